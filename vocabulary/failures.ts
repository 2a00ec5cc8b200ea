/**
 * The failures that carry data from one layer to another, each as one typed object. Temporal carries an
 * ApplicationFailure's details as a list; which position holds what is written and read only here: the workflow
 * that throws a `HandoverFailed` and the lock and the API that read it, the activity that throws a
 * `JobStillRunning` and the API that reads it, all import these. The positions stay as recorded histories have them.
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { failureTypes } from './names';
import type { HandoverFailure, HandoverProgress, JobProgress } from './shapes';

/** What a failed handover's `HandoverFailed` carries. */
export interface HandoverFailedDetails {
  /** Why it failed. */
  failure: HandoverFailure;
  /**
   * The progress it ended with: set on the failure that ends the handover (the API serves a closed handover's
   * progress from its history, with no query), not on the failure a step throws inside `handOver`.
   */
  progress?: HandoverProgress;
}

/** A non-retryable `HandoverFailed`; on the wire its details are `[failure]` or `[failure, progress]`. */
export function handoverFailed(message: string, { failure, progress }: HandoverFailedDetails): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, failureTypes.handoverFailed, ...(progress ? [failure, progress] : [failure]));
}

/** The details of a `HandoverFailed` (undefined for any other error, or one that carries none). */
export function handoverFailedDetails(err: unknown): HandoverFailedDetails | undefined {
  if (!(err instanceof ApplicationFailure) || err.type !== failureTypes.handoverFailed) return undefined;
  const [failure, progress] = err.details ?? [];
  if (!isRecord(failure)) return undefined;
  // (Handovers from before the progress rode on the failure carry only the failure.)
  return {
    failure: failure as unknown as HandoverFailure,
    ...(isRecord(progress) && 'token' in progress ? { progress: progress as unknown as HandoverProgress } : {}),
  };
}

/**
 * The retryable, benign failure a poll throws while its job runs (the retry policy paces the polls, adding no
 * history); it carries the job's own progress, which the API reads from the pending activity's last failure.
 */
export function jobStillRunning(message: string, job: JobProgress): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: failureTypes.jobStillRunning,
    category: ApplicationFailureCategory.BENIGN,
    details: [job],
  });
}

/** The job progress a `JobStillRunning` carries (undefined for any other error). */
export function jobStillRunningProgress(err: unknown): JobProgress | undefined {
  if (!(err instanceof ApplicationFailure) || err.type !== failureTypes.jobStillRunning) return undefined;
  const [job] = err.details ?? [];
  return isRecord(job) ? (job as unknown as JobProgress) : undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
