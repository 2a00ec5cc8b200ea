/**
 * The shapes of the API answers the pages read, for `// @ts-check` in api/web/*.js (no build step:
 * nothing here reaches the browser). Every answer is the API's published type (api/types.ts: the
 * `z.infer` of the route's own schema), so none is declared twice and none can drift; only the
 * pages' own settings and the shape of `api()`'s result are declared here.
 */
import type { ErrorAnswer } from '../types';

export type {
  Admission,
  BatchItemStatus,
  BatchProgress,
  HandoverList,
  HandoverProgress,
  HandoverReport,
  HandoverRow,
  HandoverStatus,
  JobProgress,
  ReportList,
  RestartableStep,
  Submitted,
  Vocabulary,
} from '../types';

/** GET /ui/config.json (api/routes/web.ts: a page file, outside the API's published answers). */
export interface PageConfig {
  temporalWebUrl: string;
  namespace: string;
}

/** A refusal (api/errors.ts) as the page reads it: a body from elsewhere (a proxy's) may lack any field. */
export type ApiError = Partial<ErrorAnswer>;

/** What `api()` (app.js) resolves to: a 2xx answer's body, or the refusal. */
export type Answer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; body: ApiError | null };
