/** The shapes that cross between the API, the workflows, the activities and the CLI. Types only, and one pure helper. */
import type { Duration } from '@temporalio/common';
import type { BatchItemStatus, CurrentStep, HandoverStatus, Outcome, RestartableStep, ServiceName, Step } from './names';

/** The submitted specification as the workflow records it: URIs carry no password. */
export interface RecordedSpec {
  src_uri: string;
  tgt_uri: string;
  contact: string;
  /** The kind of update (new_assembly, new_genebuild, patch, other); see handoverTypes for older handovers. */
  type: string;
  comment: string;
  source?: string;
}

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

export interface BatchProgress {
  batch_id: string;
  status: 'running' | 'ended';
  total: number;
  counts: Record<BatchItemStatus, number>;
  handovers: Array<{ token: string; database: string; status: BatchItemStatus; reason?: string }>;
}

/** A job on one of the four services, as the timeline shows it. */
export interface JobRef {
  service: ServiceName;
  id: string;
  url: string;
}

export interface CheckFailure {
  check: string;
  messages: string[];
}

export interface TimelineEntry {
  step: Step;
  started_at: string;
  ended_at?: string;
  outcome?: Outcome;
  message?: string;
  jobs: JobRef[];
}

export interface HandoverFailure {
  step: Step;
  /** 'could_not_run' (the checks did not run) vs 'problems' (they ran and found problems). */
  kind: 'error' | 'could_not_run' | 'problems' | 'timed_out' | 'rejected';
  reason: string;
  checks?: CheckFailure[];
}

export interface CancelRequest {
  by?: string;
  reason?: string;
}

export interface MetadataEvent {
  /** new_assembly, new_genebuild or other from the local stack; any word from other metadata services. */
  type: string;
  genome: string;
  source?: string;
  /**
   * Always an object from the activities on (they parse Ensembl's JSON string: activities/service-answers.ts);
   * a history recorded before may hold the string, which the API answers as an object (vocabulary/events.ts).
   */
  details?: Record<string, unknown>;
}

export interface HandoverProgress {
  token: string;
  /** The handover this one restarts. */
  restarted_from?: string;
  status: HandoverStatus;
  step: CurrentStep;
  progress: { complete: number; total: number };
  spec: RecordedSpec;
  /** The kind of update (absent for handovers recorded before it was asked for). */
  update_type?: string;
  /** The kind of database, from its name. */
  database_type: string;
  /** Who submitted it: the API key's name (absent in open mode). */
  submitted_by?: string;
  submitted_at: string;
  ended_at?: string;
  timeline: TimelineEntry[];
  failure?: HandoverFailure;
  cancelled?: CancelRequest;
  events?: MetadataEvent[];
  /** Added by the API while a job runs: its service's last word, e.g. "copy job 2 is running (3 of 12 tables)". */
  job_progress?: string;
  /** Added by the API while a job runs: the same, as numbers (when the service reports them). */
  job?: JobProgress;
}

/** A running job's own progress, as its service last reported it. */
export interface JobProgress {
  service: ServiceName;
  id: string;
  status: string;
  complete?: number;
  total?: number;
  /** What is counted: tables, checks... */
  unit?: string;
}

/**
 * A structured report of one step transition, in the shape Ensembl's report consumers read
 * (ensembl-prodinf's ReportFormatter): logged as JSON, kept by the workflow, published to AMQP.
 */
export interface HandoverReport {
  report_type: 'INFO' | 'ERROR';
  /** The worker that made the report (filled in by the reporting activity). */
  host?: string;
  process: 'handover';
  /** The database the report is about, password-free. */
  resource: string;
  params: Record<string, string | number | undefined>;
  /** UTC, without zone, as Ensembl's reports: 2026-11-28T07:50:00.123 */
  report_time: string;
  message: string;
}

/**
 * A handover's two types. Since `type` means the kind of update, the input carries the database type
 * (from the name) beside it; an input without `databaseType` was recorded when `spec.type` was the
 * database type, and has no update type.
 */
export function handoverTypes(input: Pick<HandoverInput, 'spec' | 'databaseType'>): { updateType?: string; databaseType: string } {
  return input.databaseType === undefined ? { databaseType: input.spec.type } : { updateType: input.spec.type, databaseType: input.databaseType };
}
