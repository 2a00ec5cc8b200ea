/**
 * What the API publishes: the shapes of its answers, for its clients (the CLI, scripts, tests).
 * A client imports these and nothing else of the server.
 */
// (From the vocabulary's plain modules: a client loads no Temporal code.)
export type { BatchItemStatus, HandoverStatus, RestartableStep } from '../vocabulary/names';
export type { BatchProgress, HandoverProgress, HandoverReport, JobProgress } from '../vocabulary/shapes';
export { BATCH_ITEM_STATUSES, HANDOVER_STATUSES, RESTARTABLE_STEPS } from '../vocabulary/names';
export { cancelledSentence } from '../vocabulary/format';

import type { HandoverStatus } from '../vocabulary/names';

/** One row of `GET /handovers`. */
export interface HandoverRow {
  token: string;
  database?: string;
  contact?: string;
  /** The kind of database (from its name). */
  type?: string;
  /** The kind of update (absent for handovers recorded before it was asked for). */
  update_type?: string;
  submitted_by?: string;
  status?: string;
  step?: string;
  comment?: string;
  /** The source, password-free. */
  src_uri?: string;
  submitted_at?: string;
  ended_at?: string;
}

/** Every refusal (4xx/5xx): `{error}`, with the fields to blame, the token it concerns or the status that stopped it (see api/schemas.ts errorAnswer). */
export interface ErrorAnswer {
  error: string;
  issues?: Array<{ field: string; message: string }>;
  /** The handover concerned: the running one (409) or the refusal kept (422/403). */
  token?: string;
  /** The status that stopped the request (409). */
  status?: string;
}

/** The filters of `GET /handovers`. */
export interface ListFilters {
  status?: HandoverStatus;
  database?: string;
  contact?: string;
  /** The kind of database. */
  type?: string;
  update_type?: string;
  limit: number;
}
