/** The healthcheck job service: POST /jobs {db_uri, hc_groups?, hc_names?, staging_uri?, tag}. */
import { printable } from '../db/names';
import { safe, uriFieldProblem } from '../db/uri';
import type { RunnerOptions } from '../jobs/runner';
import type { Sealer } from '../jobs/secrets';
import { createJobService, listProblem } from '../jobs/service';
import { checkSource, parseTargetRoots } from '../copy/targets';
import { CHECK_GROUPS, CHECK_NAMES, type HealthcheckInput, runHealthchecks } from './checks';

export function createHealthcheckService(opts: {
  dataDir: string;
  schemasFile?: string;
  token?: string;
  sealer?: Sealer;
  runner?: RunnerOptions;
  /** Source folders and servers checks may read (LOCAL_STACK_SOURCE_ROOTS; none: no database is checked). */
  sourceRoots?: string | string[];
  /** Folders no source may be in (the stack's own data). */
  protectedDirs?: string[];
}) {
  const sources = { roots: parseTargetRoots(opts.sourceRoots ?? []), protectedDirs: [opts.dataDir, ...(opts.protectedDirs ?? [])] };
  const checkDbUri = (uri: string) => checkSource(uri, sources, 'db_uri');
  return createJobService({
    name: 'healthcheck',
    dataDir: opts.dataDir,
    token: opts.token,
    sealer: opts.sealer,
    runner: opts.runner,
    async validate(input) {
      const uriProblem = uriFieldProblem(input, 'db_uri');
      if (uriProblem) return uriProblem;
      await checkDbUri(input.db_uri as string); // InputError: 400, no job
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
      const report = await runHealthchecks(input as unknown as HealthcheckInput, {
        schemasFile: opts.schemasFile,
        signal,
        checkSource: checkDbUri,
      });
      return { ...report, db_uri: safe(String(input.db_uri)) };
    },
  });
}
