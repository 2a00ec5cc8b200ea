/** The healthcheck job service: POST /jobs {db_uri, hc_groups?, hc_names?, staging_uri?, tag}. */
import { printable } from '../db/names';
import { safe, uriFieldProblem } from '../db/uri';
import type { RunnerOptions } from '../jobs/runner';
import type { Sealer } from '../jobs/secrets';
import { createJobService, listProblem } from '../jobs/service';
import { CHECK_GROUPS, CHECK_NAMES, type HealthcheckInput, runHealthchecks } from './checks';

export function createHealthcheckService(opts: { dataDir: string; schemasFile?: string; token?: string; sealer?: Sealer; runner?: RunnerOptions }) {
  return createJobService({
    name: 'healthcheck',
    dataDir: opts.dataDir,
    token: opts.token,
    sealer: opts.sealer,
    runner: opts.runner,
    validate(input) {
      const uriProblem = uriFieldProblem(input, 'db_uri');
      if (uriProblem) return uriProblem;
      for (const [field, known] of [
        ['hc_groups', CHECK_GROUPS],
        ['hc_names', CHECK_NAMES],
      ] as const) {
        const value = input[field];
        if (value === undefined) continue;
        const listed = listProblem(input, field);
        if (listed) return listed;
        const unknown = (value as string[]).filter((v) => !(known as readonly string[]).includes(String(v)));
        if (unknown.length)
          return `${field}: unknown ${unknown
            .slice(0, 10)
            .map((u) => printable(u, 40))
            .join(', ')} (known: ${known.join(', ')})`;
      }
      return undefined;
    },
    async work(input, { signal }) {
      const report = await runHealthchecks(input as unknown as HealthcheckInput, { schemasFile: opts.schemasFile, signal });
      return { ...report, db_uri: safe(String(input.db_uri)) };
    },
  });
}
