/**
 * One handover, the nine steps of docs/ARCHITECTURE.md ("The flow"). The workflow ID is the handover's token.
 * Deterministic: every side effect is an activity; waits are retry-paced status activities
 * (a retry adds no history), each step bounded by its deadline.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { type Duration, RetryState } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { HandoverActivities } from '../activities';
import type { DbRef } from '../activities/credentials';
import {
  type CheckFailure,
  type HandoverFailure,
  type HandoverInput,
  type HandoverProgress,
  type HandoverTimings,
  type JobRef,
  RESTARTABLE_STEPS,
  type RestartOf,
  STEPS,
  type Step,
  cancelChildSignal,
  cancelSignal,
  failureTypes,
  handoverTypes,
  progressQuery,
  reportsQuery,
} from './definitions';
import { ProgressTracker } from './progress';

export async function handoverWorkflow(input: HandoverInput): Promise<HandoverProgress> {
  const progress = new ProgressTracker(input);
  setHandler(progressQuery, () => progress.snapshot());
  setHandler(reportsQuery, () => progress.reports.all());
  try {
    return await superviseHandover(input, progress);
  } finally {
    // However it ended, every report of it is out before the handover closes.
    await progress.reports.allSent();
  }
}

/** Runs the flow and wraps up how it ended: the failure or cancellation recorded, the submitter emailed. */
async function superviseHandover(input: HandoverInput, progress: ProgressTracker): Promise<HandoverProgress> {
  const flow = new CancellationScope();
  setHandler(cancelSignal, async (request) => {
    progress.cancelled = { by: request?.by, reason: request?.reason };
    // Cancel through Temporal, so a signal, `temporal workflow cancel` and the API all take one path and
    // the Web UI shows the handover as Canceled. A workflow cannot cancel itself; its lock workflow can.
    const parent = workflowInfo().parent;
    try {
      if (!parent) throw new Error('no lock workflow');
      await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(cancelChildSignal);
    } catch {
      flow.cancel();
    }
  });

  if (input.rejected) {
    // Refused by the admission rules: recorded so the list shows it, with the reason; nothing runs.
    progress.finish('rejected', { step: 'checking', kind: 'rejected', reason: `${input.rejected.field}: ${input.rejected.reason}` });
    return progress.snapshot();
  }

  try {
    await flow.run(() => handOver(input, progress));
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => wrapUpCancelled(input, progress));
      throw err;
    }
    const failure = describeFailure(err, progress);
    // A job still running past its step's deadline is stopped, not left to write to staging.
    if (failure.kind === 'timed_out') await killRunningJobs(progress);
    progress.end(failure.kind === 'timed_out' ? 'timed out' : failure.kind === 'problems' ? 'problems' : 'failed', failure.reason);
    progress.finish(failure.kind === 'rejected' ? 'rejected' : 'failed', failure);
    await notify(input, progress, 'failed');
    throw ApplicationFailure.nonRetryable(`${failure.step}: ${failure.reason}`, failureTypes.handoverFailed, failure);
  }
  progress.finish('completed');
  await notify(input, progress, 'completed');
  return progress.snapshot();
}

/** The flow itself: steps 2 to 9 (step 1, the specification, is checked by the API before the start). */
async function handOver(input: HandoverInput, progress: ProgressTracker): Promise<void> {
  const { token, spec, timings } = input;
  const source: DbRef = { uri: spec.src_uri, sealed: input.sealed.src_uri, token };
  const target: DbRef = { uri: spec.tgt_uri, sealed: input.sealed.tgt_uri, token };
  const step = stepRunner(progress, timings, input.restart);

  // 2. The source database exists (a real connection to it), and is of the release being handed over.
  await step('checking', timings.checkDeadline, async () => {
    // (Workers before the release check returned nothing here: histories they wrote replay unchanged.)
    const schemaVersion = (await quick.checkSourceExists(source))?.schemaVersion;
    if (input.release && schemaVersion !== input.release) {
      const reason = `the source's meta.schema_version is ${schemaVersion ?? 'missing'}, but release ${input.release} is being handed over`;
      throw stepFailure({ step: 'checking', kind: 'rejected', reason });
    }
  });

  // 3. Submit the source to the healthcheck service. 4. Wait for the checks; problems end the handover.
  await step('healthcheck', timings.checkDeadline, async (jobs) => {
    const job = await jobs.submit((a) => a.submitHealthcheck({ token, db: source }));
    const report = await jobs.wait().waitForHealthcheck(job);
    if (report.status === 'problems') throw checksFoundProblems(report.failures);
  });

  // 5. Submit a copy job, source -> target on staging. 6. Wait for the copy.
  await step('copy', timings.copyDeadline, async (jobs) => {
    const job = await jobs.submit((a) => a.submitCopy({ token, source, target }));
    return jobs.wait().waitForCopy(job);
  });

  // 7. Submit the copied database to the metadata service. 8. Wait for it; it returns events.
  // (A restart at the event step reuses the original's events.)
  const { events } = (await step('metadata', timings.metadataDeadline, async (jobs) => {
    // (Handovers recorded before the update type was asked for record theirs as `other`.)
    const updateType = handoverTypes(input).updateType ?? 'other';
    const job = await jobs.submit((a) => a.submitMetadata({ token, target, contact: spec.contact, comment: spec.comment, updateType }));
    return jobs.wait().waitForMetadata(job);
  })) ?? { events: input.restart?.events ?? [] };
  progress.events = events;

  // 9. Pass each event to the event service, which triggers further processing.
  await step('event', timings.eventDeadline, async (jobs) => {
    for (const [index, event] of events.entries()) {
      await jobs.submit((a) => a.submitEvent({ token, index, event }));
    }
  });
}

/** Short activities: the source check (a few tries over a few minutes) and the clean-up ones. */
const quick = proxyActivities<HandoverActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 8, nonRetryableErrorTypes: [failureTypes.sourceMissing] },
});

/** Emails are retried for a while; an email that cannot be sent never changes the handover's outcome. */
export const mail = proxyActivities<HandoverActivities>({
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '5s', maximumInterval: '5m' },
});

interface StepJobs {
  /** Submits a job and records it on the timeline. Not cancellable: a job created is a job we know, so cancel can kill it. */
  submit<T extends JobRef | JobRef[]>(call: (a: HandoverActivities) => Promise<T>): Promise<T>;
  /** The polling activities, paced by their retry policy and bounded by what is left of the step's deadline. */
  wait(): HandoverActivities;
}

function stepRunner(progress: ProgressTracker, timings: HandoverTimings, restart?: RestartOf) {
  // A restart skips the restartable steps before the one it restarts from: they passed in the original.
  const skipped = (name: Step) => !!restart && (RESTARTABLE_STEPS as readonly Step[]).includes(name) && STEPS.indexOf(name) < STEPS.indexOf(restart.from);
  return async function step<T>(name: Step, deadline: Duration, work: (jobs: StepJobs) => Promise<T>): Promise<T | undefined> {
    progress.begin(name);
    if (skipped(name)) {
      progress.end('skipped', `passed in handover ${restart!.token}`);
      return undefined;
    }
    const endsAt = Date.now() + msToNumber(deadline);
    const left = () => Math.max(1000, endsAt - Date.now());
    const jobs: StepJobs = {
      async submit(call) {
        const submitter = proxyActivities<HandoverActivities>({
          startToCloseTimeout: timings.requestTimeout,
          scheduleToCloseTimeout: Math.min(left(), msToNumber(timings.submitTimeout)),
          retry: { initialInterval: timings.pollInterval, maximumInterval: timings.pollMaxInterval, nonRetryableErrorTypes: [failureTypes.jobRejected] },
        });
        try {
          return progress.jobStarted(await CancellationScope.nonCancellable(() => call(submitter)));
        } catch (err) {
          // Gave up before the step's deadline: the service did not take the job in HANDOVER_SUBMIT_TIMEOUT.
          if (outOfTime(err) && Date.now() < endsAt - 1000) {
            const last = err.cause instanceof TimeoutFailure ? err.cause.cause?.message : err.cause?.message;
            throw stepFailure({ step: name, kind: 'error', reason: `the ${name} service did not take the job within ${timings.submitTimeout}${last ? `: ${last}` : ''}` });
          }
          throw err;
        }
      },
      wait() {
        return proxyActivities<HandoverActivities>({
          startToCloseTimeout: timings.requestTimeout,
          scheduleToCloseTimeout: left(),
          retry: {
            initialInterval: timings.pollInterval,
            backoffCoefficient: 1.5,
            maximumInterval: timings.pollMaxInterval,
            nonRetryableErrorTypes: [failureTypes.jobFailed, failureTypes.jobRejected],
          },
        });
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
      if (outOfTime(err) && Date.now() >= endsAt - msToNumber(timings.pollMaxInterval) - 1000) {
        throw stepFailure({ step: name, kind: 'timed_out', reason: `the ${name} step did not finish within its deadline of ${deadline}` });
      }
      throw err;
    }
  };
}

/** An activity that ran out of time: a TimeoutFailure, or its last attempt's failure with retry state TIMEOUT. */
function outOfTime(err: unknown): err is ActivityFailure {
  return err instanceof ActivityFailure && !isCancellation(err) && (err.cause instanceof TimeoutFailure || err.retryState === RetryState.TIMEOUT);
}

function checksFoundProblems(checks: CheckFailure[]): ApplicationFailure {
  const reason = `${checks.length} check(s) found problems: ${checks.map((c) => c.check).join(', ')}`;
  return stepFailure({ step: 'healthcheck', kind: 'problems', reason, checks });
}

function stepFailure(failure: HandoverFailure): ApplicationFailure {
  return ApplicationFailure.nonRetryable(failure.reason, failureTypes.handoverFailed, failure);
}

/** Turns whatever ended the flow into a reason a submitter can act on. */
function describeFailure(err: unknown, progress: ProgressTracker): HandoverFailure {
  const step = progress.snapshot().step as Step;
  if (err instanceof ApplicationFailure && err.type === failureTypes.handoverFailed) return err.details?.[0] as HandoverFailure;
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

/** Kills the current step's jobs; returns what was killed. */
async function killRunningJobs(progress: ProgressTracker): Promise<string[]> {
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

/** Cancelled: kill the step's running job(s), tell the submitter, record who and why. */
async function wrapUpCancelled(input: HandoverInput, progress: ProgressTracker): Promise<void> {
  const killed = await killRunningJobs(progress);
  const { by, reason } = progress.cancelled ?? {};
  progress.end('cancelled', [by && `by ${by}`, reason, killed.length && `killed ${killed.join(', ')}`].filter(Boolean).join('; ') || undefined);
  progress.finish('cancelled');
  await notify(input, progress, 'cancelled');
}

async function notify(input: HandoverInput, progress: ProgressTracker, kind: 'completed' | 'failed' | 'cancelled'): Promise<void> {
  const { timeline, failure, cancelled } = progress.snapshot();
  try {
    await mail.sendEmail({ kind, token: input.token, database: input.database, ...handoverTypes(input), spec: input.spec, timeline, failure, cancelled });
  } catch (err) {
    log.error('could not email the submitter', { error: (err as Error).message });
  }
}
