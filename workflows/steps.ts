/**
 * The machinery every step of a handover runs on: its deadline, submitting and polling jobs through
 * activities, and turning what went wrong into a reason a submitter can act on. workflows/handover.ts
 * says what the steps are; this says how a step runs.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  isCancellation,
  log,
  proxyActivities,
} from '@temporalio/workflow';
import { type Duration, RetryState } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import {
  type CheckFailure,
  type HandoverActivities,
  type HandoverFailure,
  type HandoverTimings,
  type JobRef,
  RESTARTABLE_STEPS,
  type RestartOf,
  STEPS,
  type Step,
  failureTypes,
  handoverFailed,
  handoverFailedDetails,
} from '../vocabulary';
import type { ProgressTracker } from './progress';

/** The least time an activity is given, however little of its step's deadline is left. */
const MIN_ACTIVITY_TIME_MS = 1000;
/** How close to its deadline a step's activity may give up and still count as the deadline passing. */
const DEADLINE_SLACK_MS = 1000;
/** Each poll waits this much longer than the last, up to HANDOVER_POLL_MAX_INTERVAL. */
const POLL_BACKOFF = 1.5;

/** Short activities: the clean-up ones (kills). (The source check polls within its step's deadline, as `jobs.poll`.) */
const quick = proxyActivities<HandoverActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 8 },
});

/** Emails are retried for a while; an email that cannot be sent never changes the handover's outcome. */
export const mail = proxyActivities<HandoverActivities>({
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '5s', maximumInterval: '5m' },
});

export interface StepJobs {
  /** Submits a job and records it on the timeline. Not cancellable: a job created is a job we know, so cancel can kill it. */
  submit<T extends JobRef | JobRef[]>(call: (a: HandoverActivities) => Promise<T>): Promise<T>;
  /**
   * Waits for a job (or, at the checking step, for the source to answer): one activity, paced by its retry policy,
   * bounded by what is left of the step's deadline.
   */
  poll<T>(call: (a: HandoverActivities) => Promise<T>): Promise<T>;
}

/** The `step(name, deadline, work)` function a handover's flow is written with. */
export function stepRunner(progress: ProgressTracker, timings: HandoverTimings, restart?: RestartOf) {
  // A restart skips the restartable steps before the one it restarts from: they passed in the original.
  const skipped = (name: Step) =>
    !!restart && (RESTARTABLE_STEPS as readonly Step[]).includes(name) && STEPS.indexOf(name) < STEPS.indexOf(restart.from);
  return async function step<T>(name: Step, deadline: Duration, work: (jobs: StepJobs) => Promise<T>): Promise<T | undefined> {
    progress.begin(name);
    if (skipped(name)) {
      progress.end('skipped', `passed in handover ${restart!.token}`);
      return undefined;
    }
    const endsAt = Date.now() + msToNumber(deadline);
    const left = () => Math.max(MIN_ACTIVITY_TIME_MS, endsAt - Date.now());
    const jobs: StepJobs = {
      async submit(call) {
        const submitter = proxyActivities<HandoverActivities>({
          startToCloseTimeout: timings.requestTimeout,
          scheduleToCloseTimeout: Math.min(left(), msToNumber(timings.submitTimeout)),
          retry: {
            initialInterval: timings.pollInterval,
            maximumInterval: timings.pollMaxInterval,
            nonRetryableErrorTypes: [failureTypes.jobRejected],
          },
        });
        try {
          return progress.jobStarted(await CancellationScope.nonCancellable(() => call(submitter)));
        } catch (err) {
          // Gave up before the step's deadline: the service did not take the job in HANDOVER_SUBMIT_TIMEOUT.
          if (outOfTime(err) && Date.now() < endsAt - DEADLINE_SLACK_MS) {
            const last = err.cause instanceof TimeoutFailure ? err.cause.cause?.message : err.cause?.message;
            throw stepFailure({
              step: name,
              kind: 'error',
              reason: `the ${name} service did not take the job within ${timings.submitTimeout}${last ? `: ${last}` : ''}`,
            });
          }
          throw err;
        }
      },
      poll(call) {
        const poller = proxyActivities<HandoverActivities>({
          startToCloseTimeout: timings.requestTimeout,
          scheduleToCloseTimeout: left(),
          retry: {
            initialInterval: timings.pollInterval,
            backoffCoefficient: POLL_BACKOFF,
            maximumInterval: timings.pollMaxInterval,
            nonRetryableErrorTypes: [failureTypes.jobFailed, failureTypes.jobRejected, failureTypes.sourceMissing],
          },
        });
        return call(poller);
      },
    };
    try {
      const result = await work(jobs);
      progress.end('passed');
      return result;
    } catch (err) {
      // Out of time: Temporal reports either a TimeoutFailure or, when the next retry would not fit,
      // the last attempt's failure ("job is running") with retry state TIMEOUT. The step's own clock
      // tells a passed deadline from a submission that gave up earlier (a service down too long).
      // (A poll gives up when its next retry would not fit: up to one poll interval before the deadline.)
      if (outOfTime(err) && Date.now() >= endsAt - msToNumber(timings.pollMaxInterval) - DEADLINE_SLACK_MS) {
        throw stepFailure({ step: name, kind: 'timed_out', reason: `the ${name} step did not finish within its deadline of ${deadline}` });
      }
      throw err;
    }
  };
}

/** An activity that ran out of time: a TimeoutFailure, or its last attempt's failure with retry state TIMEOUT. */
function outOfTime(err: unknown): err is ActivityFailure {
  return (
    err instanceof ActivityFailure && !isCancellation(err) && (err.cause instanceof TimeoutFailure || err.retryState === RetryState.TIMEOUT)
  );
}

export function checksFoundProblems(checks: CheckFailure[]): ApplicationFailure {
  const reason = `${checks.length} check(s) found problems: ${checks.map((c) => c.check).join(', ')}`;
  return stepFailure({ step: 'healthcheck', kind: 'problems', reason, checks });
}

export function stepFailure(failure: HandoverFailure): ApplicationFailure {
  return handoverFailed(failure.reason, { failure });
}

/** Turns whatever ended the steps into a reason a submitter can act on. */
export function describeFailure(err: unknown, progress: ProgressTracker): HandoverFailure {
  const step = progress.snapshot().step as Step;
  const handedOver = handoverFailedDetails(err);
  if (handedOver) return handedOver.failure;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    if (step === 'healthcheck' && cause.type === failureTypes.jobFailed) {
      return { step, kind: 'could_not_run', reason: `the healthchecks could not run: ${cause.message}` };
    }
    return { step, kind: 'error', reason: cause.message };
  }
  if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.cause) {
    // Gave up (a service down past HANDOVER_SUBMIT_TIMEOUT, say): the last attempt's error says why.
    return { step, kind: 'error', reason: `${err.cause.cause.message} (gave up: ${err.cause.message})` };
  }
  const message = err instanceof ActivityFailure && err.cause ? err.cause.message : (err as Error)?.message;
  return { step, kind: 'error', reason: message || String(err) };
}

/** The patch marker of handovers that kill a step's unfinished jobs on any failure, not only on a deadline. */
export const KILL_ON_FAILURE = 'kill-on-failure';

/** Whether the failure is the job's own end (it failed, or its checks found problems): nothing is left running. */
export function jobEnded(err: unknown): boolean {
  const handedOver = handoverFailedDetails(err);
  if (handedOver) return handedOver.failure.kind === 'problems';
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === failureTypes.jobFailed;
}

/** Kills the current step's jobs; returns what was killed. */
export async function killRunningJobs(progress: ProgressTracker): Promise<string[]> {
  const killed: string[] = [];
  for (const job of progress.runningJobs()) {
    try {
      await quick.killJob(job);
      killed.push(`${job.service} job ${job.id}`);
    } catch (err) {
      log.warn('could not kill job', { job, error: (err as Error).message });
    }
  }
  return killed;
}
