/**
 * The shapes that cross between the API, the workflows, the activities and the CLI. Types only, and (at the end)
 * the pure helpers that map the two types to their wire names. Those the API answers are declared once, as zod
 * schemas in ./answers, and typed here from them: type-only imports, erased when compiled, so the workflow
 * sandbox loads no zod.
 */
import type { Duration } from '@temporalio/common';
import type { z } from 'zod';
import type {
  batchAnswer,
  cancelRequest,
  checkFailure,
  handoverFailure,
  jobProgress,
  jobRef,
  metadataEvent,
  progressAnswer,
  recordedSpec,
  reportAnswer,
  timelineEntry,
} from './answers';
import type { RestartableStep } from './names';

/** The submitted specification as the workflow records it: URIs carry no password. */
export type RecordedSpec = z.infer<typeof recordedSpec>;

/** Per-step deadlines and the polling pace, fixed when the handover starts. */
export interface HandoverTimings {
  checkDeadline: Duration;
  copyDeadline: Duration;
  metadataDeadline: Duration;
  eventDeadline: Duration;
  pollInterval: Duration;
  pollMaxInterval: Duration;
  /** How long to keep trying to submit a job (a service that is down) before the step fails. */
  submitTimeout: Duration;
  /** One HTTP request to a job service (one activity attempt). */
  requestTimeout: Duration;
}

/** A restart: the steps before `from` passed in the original handover and are not repeated. */
export interface RestartOf {
  token: string;
  from: RestartableStep;
  /** The original's metadata events, when the restart begins at the event step. */
  events?: MetadataEvent[];
}

export interface HandoverInput {
  token: string;
  restart?: RestartOf;
  /**
   * Refused by the admission rules at submission, in handovers recorded before refusals were kept by
   * the refusals workflow: recorded (visible in the list), nothing runs.
   */
  rejected?: { field: string; reason: string };
  /** Who submitted it: the API key's name (absent in open mode and in older handovers). */
  submittedBy?: string;
  /** The release being handed over: the source's meta.schema_version must equal it. */
  release?: string;
  spec: RecordedSpec;
  /** Target database name (search attribute, lock key display). */
  database: string;
  /** The kind of database, from its name (core, variation...); absent in handovers recorded before `type` meant the update type. */
  databaseType?: string;
  /** Full URIs sealed with the workers' key, present only where a password was given. */
  sealed: { src_uri?: string; tgt_uri?: string };
  timings: HandoverTimings;
  submittedAt: string;
  /** The flow it was started for (HANDOVER_FLOW); absent in handovers started before flows were numbered. */
  flow?: number;
}

/**
 * The flow the API starts handovers for. From flow 2 on, what earlier patches added is simply on: no patch
 * marker, no TemporalChangeVersion upsert. Flow 3: the final email holds no lock and is not cancellable
 * (workflows/flow.ts).
 */
export const HANDOVER_FLOW = 3;

export interface LockInput {
  lockKey: string;
  handover: HandoverInput;
}

/** A submission the admission rules refused: answered 422/403, kept (not run) so the list shows it. */
export interface Refusal {
  token: string;
  submitted_at: string;
  submitted_by?: string;
  database: string;
  database_type: string;
  update_type: string;
  spec: RecordedSpec;
  field: string;
  reason: string;
}

/** Many handovers submitted together: each runs under its own database lock. */
export interface BatchInput {
  batchId: string;
  contact: string;
  items: LockInput[];
}

export type BatchProgress = z.infer<typeof batchAnswer>;

/** A job on one of the four services, as the timeline shows it. */
export type JobRef = z.infer<typeof jobRef>;
export type CheckFailure = z.infer<typeof checkFailure>;
export type TimelineEntry = z.infer<typeof timelineEntry>;
export type HandoverFailure = z.infer<typeof handoverFailure>;
export type CancelRequest = z.infer<typeof cancelRequest>;
export type MetadataEvent = z.infer<typeof metadataEvent>;
/** What a handover's progress query answers, and GET /handovers/{token} (with job_progress and job while a job runs). */
export type HandoverProgress = z.infer<typeof progressAnswer>;
/** A running job's own progress, as its service last reported it. */
export type JobProgress = z.infer<typeof jobProgress>;
/** A structured report of one step transition, in the shape Ensembl's report consumers read. */
export type HandoverReport = z.infer<typeof reportAnswer>;

// ---- The two types, and the wire names that keep saying `type` ----------------------------------------------
//
// In code the kind of update (new_assembly, new_genebuild, patch, other) is always `updateType` / `update_type`,
// the kind of database (core, variation..., from its name) always `databaseType` / `database_type`. A few wire
// names still say plain `type`, and keep saying it because others depend on them:
//
// - a submission's `type` (POST /handovers, POST /jobs, a batch's items; common/spec.ts): the update type.
//   Ensembl's clients, the CLI (`--type`) and the pages send it.
// - a recorded input's `spec.type`: the update type (the database type in handovers recorded before
//   `databaseType` was). Recorded histories replay byte for byte.
// - a step report's `params.type`: the update type. Ensembl's report consumers read it.
// - a row of GET /handovers and the list's `type` filter (api/schemas.ts): the database type. The pages, the CLI
//   and scripts read and send it.
// - the search attribute `HandoverType`: the database type (`HandoverUpdateType` the update type). Registered on
//   every Temporal server and in every visibility record; mapped in ./messages (`searchAttributes.databaseType`).
//
// The functions below are where the handover's code reads a `type` as one of the two, or writes one into a
// `type`. (The schemas that declare the wire shapes name the field and point here; a spec copied field by field
// copies its `type` as it is; the clients, the CLI and the pages included, speak the wire as it is.)

/** The update type a submission names (its `type`), or a recorded spec of today's shape. */
export const updateTypeOf = <S extends { type?: string }>(spec: S): S['type'] => spec.type;

/** A submission (or recorded spec) naming `updateType` as its update type (its `type`). */
export const withUpdateType = <S extends { type?: string }>(spec: S, updateType: string): S & { type: string } => ({
  ...spec,
  type: updateType,
});

/**
 * A handover's two types, from its recorded input. Since `type` means the kind of update, the input carries the
 * database type (from the name) beside it; an input without `databaseType` was recorded when `spec.type` was the
 * database type, and has no update type.
 */
export function handoverTypes(input: Pick<HandoverInput, 'spec' | 'databaseType'>): { updateType?: string; databaseType: string } {
  return input.databaseType === undefined
    ? { databaseType: input.spec.type }
    : { updateType: input.spec.type, databaseType: input.databaseType };
}

/** The two types as a step report's params carry them (`type` is the update type, as Ensembl's reports have it). */
export const reportTypes = (t: { updateType?: string; databaseType: string }) => ({
  type: t.updateType,
  update_type: t.updateType,
  database_type: t.databaseType,
});

/** The two types as a row of GET /handovers names them: `type` is the database type. */
export const listRowTypes = (t: { databaseType?: string; updateType?: string }) => ({ type: t.databaseType, update_type: t.updateType });

/** The two types a GET /handovers filter asks for: its `type` is the database type. */
export const listFilterTypes = (filters: { type?: string; update_type?: string }) => ({
  databaseType: filters.type,
  updateType: filters.update_type,
});
