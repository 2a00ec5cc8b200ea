/** The healthcheck job service: POST /jobs {db_uri, hc_groups?, hc_names?, staging_uri?, tag}. */
import { safe, uriFieldProblem } from '../db/uri';
import { createJobService } from '../jobs/service';
import { CHECK_GROUPS, CHECK_NAMES, type HealthcheckInput, runHealthchecks } from './checks';

export function createHealthcheckService(opts: { dataDir: string; schemasFile?: string }) {
  return createJobService({
    name: 'healthcheck',
    dataDir: opts.dataDir,
    validate(input) {
      const uriProblem = uriFieldProblem(input, 'db_uri');
      if (uriProblem) return uriProblem;
      for (const [field, known] of [['hc_groups', CHECK_GROUPS], ['hc_names', CHECK_NAMES]] as const) {
        const value = input[field];
        if (value === undefined) continue;
        if (!Array.isArray(value)) return `${field} must be a list`;
        const unknown = value.filter((v) => !(known as readonly string[]).includes(String(v)));
        if (unknown.length) return `${field}: unknown ${unknown.join(', ')} (known: ${known.join(', ')})`;
      }
      return undefined;
    },
    async work(input, { signal }) {
      const report = await runHealthchecks(input as unknown as HealthcheckInput, { schemasFile: opts.schemasFile, signal });
      return { ...report, db_uri: safe(String(input.db_uri)) };
    },
  });
}
