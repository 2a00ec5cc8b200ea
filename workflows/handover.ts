/**
 * One handover: the steps of docs/ARCHITECTURE.md ("The steps"), first; then how it is supervised
 * (the queries, the cancel round trip through the lock workflow, failures, emails). The workflow ID
 * is the handover's token. Deterministic: every side effect is an activity; the step machinery
 * (deadlines, submit and poll, failure descriptions) is in ./steps.
 */
import { CancellationScope, getExternalWorkflowHandle, isCancellation, log, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  type DbRef,
  type HandoverInput,
  type HandoverProgress,
  cancelHandoverSignal,
  cancelSignal,
  handoverFailed,
  handoverTypes,
  progressQuery,
  reportsQuery,
} from '../vocabulary';
import { sendFinalEmail } from './email';
import { assertKnownFlow, fromFlow3, patchedBeforeFlow2 } from './flow';
import { ProgressTracker } from './progress';
import { KILL_ON_FAILURE, checksFoundProblems, describeFailure, jobEnded, killRunningJobs, mail, stepFailure, stepRunner } from './steps';

/**
 * The handover's steps, in the seed's order. (Step 1, the specification, is checked by the API
 * before the start.) Each step runs under its deadline; `jobs.submit` records a job on the timeline
 * (so a cancel can kill it), `jobs.poll` waits for it, paced by retries that add no history.
 */
async function handOver(input: HandoverInput, progress: ProgressTracker): Promise<void> {
  const { token, spec, timings } = input;
  const source: DbRef = { uri: spec.src_uri, sealed: input.sealed.src_uri, token };
  const target: DbRef = { uri: spec.tgt_uri, sealed: input.sealed.tgt_uri, token };
  const step = stepRunner(progress, timings, input.restart);

  // 2. The source database exists (a real connection to it), and is of the release being handed over.
  // (An unreachable server is tried again until the step's deadline, as a job is polled.)
  await step('checking', timings.checkDeadline, async (jobs) => {
    // (Workers before the release check returned nothing here: histories they wrote replay unchanged.)
    const schemaVersion = (await jobs.poll((a) => a.checkSourceExists(source)))?.schemaVersion;
    if (input.release && schemaVersion !== input.release) {
      const reason = `the source's meta.schema_version is ${schemaVersion ?? 'missing'}, but release ${input.release} is being handed over`;
      throw stepFailure({ step: 'checking', kind: 'rejected', reason });
    }
  });

  // 3. Submit the source to the healthcheck service. 4. Wait for the checks; problems end the handover.
  await step('healthcheck', timings.checkDeadline, async (jobs) => {
    const job = await jobs.submit((a) => a.submitHealthcheck({ token, db: source }));
    const report = await jobs.poll((a) => a.waitForHealthcheck(job));
    if (report.status === 'problems') throw checksFoundProblems(report.failures);
  });

  // 5. Submit a copy job, source -> target on staging. 6. Wait for the copy.
  await step('copy', timings.copyDeadline, async (jobs) => {
    const job = await jobs.submit((a) => a.submitCopy({ token, source, target }));
    return jobs.poll((a) => a.waitForCopy(job));
  });

  // 7. Submit the copied database to the metadata service. 8. Wait for it; it returns events.
  // (A restart at the event step reuses the original's events.)
  const { events } = (await step('metadata', timings.metadataDeadline, async (jobs) => {
    // (Handovers recorded before the update type was asked for record theirs as `other`.)
    const updateType = handoverTypes(input).updateType ?? 'other';
    const job = await jobs.submit((a) => a.submitMetadata({ token, target, contact: spec.contact, comment: spec.comment, updateType }));
    return jobs.poll((a) => a.waitForMetadata(job));
  })) ?? { events: input.restart?.events ?? [] };
  progress.events = events;

  // 9. Pass each event to the event service, which triggers further processing.
  await step('event', timings.eventDeadline, async (jobs) => {
    for (const [index, event] of events.entries()) {
      await jobs.submit((a) => a.submitEvent({ token, index, event }));
    }
  });
}

export async function handoverWorkflow(input: HandoverInput): Promise<HandoverProgress> {
  assertKnownFlow(input);
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

/** Runs the steps and wraps up how they ended: the failure or cancellation recorded, the submitter emailed. */
async function superviseHandover(input: HandoverInput, progress: ProgressTracker): Promise<HandoverProgress> {
  // The scope the steps run in (a cancel cancels it); `flow` is only ever the version a handover was started for.
  const steps = new CancellationScope();
  // Once the steps have ended, the outcome is decided: from flow 3 a cancel then changes nothing.
  let decided = false;
  setHandler(cancelSignal, async (request) => {
    if (decided && fromFlow3(input))
      return log.info('cancel ignored: the handover has already ended', { status: progress.snapshot().status });
    progress.cancelled = { by: request?.by, reason: request?.reason };
    // Cancel through Temporal, so a signal, `temporal workflow cancel` and the API all take one path and
    // the Web UI shows the handover as Canceled. A workflow cannot cancel itself; its lock workflow can.
    const parent = workflowInfo().parent;
    try {
      if (!parent) throw new Error('no lock workflow');
      await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(cancelHandoverSignal);
    } catch {
      steps.cancel();
    }
  });

  if (input.rejected) {
    // Refused by the admission rules: recorded so the list shows it, with the reason; nothing runs.
    progress.finish('rejected', { step: 'checking', kind: 'rejected', reason: `${input.rejected.field}: ${input.rejected.reason}` });
    return progress.snapshot();
  }

  try {
    await steps.run(() => handOver(input, progress));
  } catch (err) {
    decided = true;
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => wrapUpCancelled(input, progress));
      throw err;
    }
    const failure = describeFailure(err, progress);
    // A job the step did not see end (past its deadline, or the step failed around it: a poll refused, a
    // later event refused) is stopped before the lock is released, not left writing to staging.
    // (Workers before the patch killed only on a deadline: their histories replay unchanged.)
    if (
      failure.kind === 'timed_out' ||
      (!jobEnded(err) && progress.runningJobs().length > 0 && patchedBeforeFlow2(input, KILL_ON_FAILURE))
    ) {
      await toTheEnd(input, () => killRunningJobs(progress));
    }
    progress.end(failure.kind === 'timed_out' ? 'timed out' : failure.kind === 'problems' ? 'problems' : 'failed', failure.reason);
    progress.finish(failure.kind === 'rejected' ? 'rejected' : 'failed', failure);
    await notify(input, progress, 'failed');
    // The final progress rides on the failure, as it is the result of a completed handover: the API serves a
    // closed handover's progress from its history, with no query (and no replay) on a worker.
    throw handoverFailed(`${failure.step}: ${failure.reason}`, { failure, progress: progress.snapshot() });
  }
  decided = true;
  progress.finish('completed');
  await notify(input, progress, 'completed');
  return progress.snapshot();
}

/** Cancelled: kill the step's running job(s), tell the submitter, record who and why. */
async function wrapUpCancelled(input: HandoverInput, progress: ProgressTracker): Promise<void> {
  const killed = await killRunningJobs(progress);
  const { by, reason } = progress.cancelled ?? {};
  progress.end(
    'cancelled',
    [by && `by ${by}`, reason, killed.length && `killed ${killed.join(', ')}`].filter(Boolean).join('; ') || undefined,
  );
  progress.finish('cancelled');
  await notify(input, progress, 'cancelled');
}

/** What follows a decided outcome runs to its end, whatever cancel comes (from flow 3; before, as recorded). */
const toTheEnd = <T>(input: HandoverInput, work: () => Promise<T>): Promise<T> =>
  fromFlow3(input) ? CancellationScope.nonCancellable(work) : work();

/** Emails the submitter how the handover ended. From flow 3 the email holds no lock and cannot be cancelled (./email). */
async function notify(input: HandoverInput, progress: ProgressTracker, kind: 'completed' | 'failed' | 'cancelled'): Promise<void> {
  const { timeline, failure, cancelled } = progress.snapshot();
  const notice = {
    kind,
    token: input.token,
    database: input.database,
    ...handoverTypes(input),
    spec: input.spec,
    timeline,
    failure,
    cancelled,
  };
  if (fromFlow3(input)) return sendFinalEmail(notice);
  try {
    await mail.sendEmail(notice);
  } catch (err) {
    log.error('could not email the submitter', { error: (err as Error).message });
  }
}
