/**
 * The shapes of the API answers the pages read, for `// @ts-check` in api/web/*.js (no build step:
 * nothing here reaches the browser). The handover shapes are the API's published types
 * (api/types.ts), so they cannot drift; the few answers it does not publish are declared here.
 */
import type { BatchItemStatus, HandoverProgress, HandoverReport, HandoverRow, HandoverStatus, RestartableStep } from '../types';

export type { BatchItemStatus, BatchProgress, HandoverProgress, HandoverReport, HandoverRow, HandoverStatus, JobProgress, RestartableStep } from '../types';

type TimelineEntry = HandoverProgress['timeline'][number];

/** GET /vocabulary (api/routes/vocabulary.ts): the lists the pages choose from. */
export interface Vocabulary {
  steps: Array<TimelineEntry['step']>;
  restartable_steps: RestartableStep[];
  statuses: HandoverStatus[];
  batch_item_statuses: BatchItemStatus[];
  /** The update types in force (HANDOVER_UPDATE_TYPES). */
  update_types: string[];
  database_types: string[];
  outcomes: Array<NonNullable<TimelineEntry['outcome']>>;
}

/** GET /admission. */
export interface Admission {
  open: boolean;
  allowed_types: string[];
  update_types: string[];
  release: string | null;
}

/** GET /ui/config.json (api/routes/web.ts). */
export interface PageConfig {
  temporalWebUrl: string;
  namespace: string;
}

/** GET /handovers. */
export interface HandoverList {
  handovers: HandoverRow[];
}

/** GET /handovers/{token}/reports. */
export interface ReportList {
  reports: HandoverReport[];
}

/** POST /handovers, POST /handovers/{token}/restart. */
export interface Submitted {
  token: string;
  status_url: string;
}

/** A refusal (api/errors.ts): the reason, the fields at fault, and for a recorded refusal or a 409 the token. */
export interface ApiError {
  error?: string;
  issues?: Array<{ field: string; message: string }>;
  token?: string;
}

/** What `api()` (app.js) resolves to: a 2xx answer's body, or the refusal. */
export type Answer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; body: ApiError | null };
