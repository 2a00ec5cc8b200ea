/**
 * The words every part of Handover shares: workflow names, steps, statuses, types, failure types.
 * Pure data, safe in the workflow sandbox (no Node APIs): the API, the CLI, activities, workflows
 * and tests all import from here (see docs/ARCHITECTURE.md, "One vocabulary").
 */

export const HANDOVER_WORKFLOW = 'handoverWorkflow';
export const LOCK_WORKFLOW = 'databaseLockWorkflow';
export const BATCH_WORKFLOW = 'batchWorkflow';
export const REFUSALS_WORKFLOW = 'refusalsWorkflow';
/** The one workflow that keeps refused submissions (per namespace and task queue). */
export const refusalsWorkflowId = (taskQueue: string) => `handover-refusals:${taskQueue}`;
/** The lock workflow of one target database (keyed by its canonical location). */
export const lockWorkflowId = (databaseKey: string) => `handover-lock:${databaseKey}`;

/** The steps of a handover, in the order they run (the timeline's `step`). */
export const STEPS = ['checking', 'healthcheck', 'copy', 'metadata', 'event'] as const;
export type Step = (typeof STEPS)[number];
/** Steps a failed or cancelled handover can be restarted from (the source check always runs again). */
export const RESTARTABLE_STEPS = ['healthcheck', 'copy', 'metadata', 'event'] as const;
export type RestartableStep = (typeof RESTARTABLE_STEPS)[number];
export type CurrentStep = Step | 'done';

export const HANDOVER_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'rejected'] as const;
export type HandoverStatus = (typeof HANDOVER_STATUSES)[number];
/** A batch item is also `locked` when another handover of its database was running (it never started). */
export const BATCH_ITEM_STATUSES = [...HANDOVER_STATUSES, 'locked'] as const;
export type BatchItemStatus = (typeof BATCH_ITEM_STATUSES)[number];

/** How a step ended, on the timeline. */
export const OUTCOMES = ['passed', 'skipped', 'failed', 'problems', 'cancelled', 'timed out'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The update types a submission's `type` names when HANDOVER_UPDATE_TYPES is not set. */
export const DEFAULT_UPDATE_TYPES = ['new_assembly', 'new_genebuild', 'patch', 'other'] as const;
/** Database types of `<species>_<type>_<release>_<assembly>` names. */
export const GENOME_TYPES = ['core', 'rnaseq', 'cdna', 'otherfeatures', 'variation', 'funcgen'] as const;
/** Every database type a name can give: the genome types, and the multi-species databases. */
export const DATABASE_TYPES = [...GENOME_TYPES, 'compara', 'ancestral'] as const;

/** The four job services the handover is a client of. */
export const SERVICE_NAMES = ['healthcheck', 'copy', 'metadata', 'event'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Failure types that cross from activities to the workflow (the workflow imports no activity code). */
export const failureTypes = {
  /** A job is still going: a benign, retried failure that paces polling. */
  jobStillRunning: 'JobStillRunning',
  /** A job ended as failed (for the healthcheck: the checks could not run). */
  jobFailed: 'JobFailed',
  /** A service refused the request (4xx): retrying would not help. */
  jobRejected: 'JobRejected',
  /** The source database does not exist or refuses us. */
  sourceMissing: 'SourceMissing',
  /** Sealed credentials that do not open for this handover (moved from another, or another key). */
  credentialsRefused: 'CredentialsRefused',
  /** The handover ended as failed; its details are a HandoverFailedDetails (./failures: made and read there only). */
  handoverFailed: 'HandoverFailed',
} as const;
