/**
 * Fault injection (issue #12), graceful shutdown and scale-out: two real worker processes on one task queue.
 *
 * - SIGTERM to the worker running a copy poll: it exits 0 ("Handover worker stopped"), the other worker
 *   carries on polling the same copy job, and the handover completes with one copy job.
 * - Ten handovers in flight, one of the two workers SIGKILLed: every handover completes, in one workflow
 *   run each, with one job per step per service and one completion email each.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { HANDOVER_WORKFLOW, type ServiceName } from '../../vocabulary';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { type WorkerProcess, killWorkerProcesses, startWorkerProcess } from '../helpers/worker-process';
import { waitFor } from '../helpers/wait';

/** A pending activity running now on a worker (its state, temporal.api.enums.v1.PendingActivityState, as a number or by name). */
const isRunning = (a?: { state?: unknown } | null) => a?.state === 2 || a?.state === 'PENDING_ACTIVITY_STATE_STARTED';
const SERVICES: ServiceName[] = ['healthcheck', 'copy', 'metadata', 'event'];
/** One job per step: the step keys of a handover whose metadata gave one event (the fake's default). */
const STEP_KEYS = ['healthcheck', 'copy', 'metadata', 'event:0'];

let h: Harness;

beforeAll(async () => {
  h = await startHarness(
    {
      // A request to a job service gives up after 5 s: an activity on a killed worker is retried soon after.
      HANDOVER_REQUEST_TIMEOUT: '5s',
      // On SIGTERM, running activities get 1 s before they are cancelled (worker/worker.ts, shutdownGraceTime).
      HANDOVER_WORKER_SHUTDOWN_GRACE: '1s',
    },
    { worker: false },
  );
});
afterAll(async () => {
  await killWorkerProcesses();
  await h?.stop();
});
afterEach(() => {
  h.jobs.release();
  h.jobs.reset();
});

/** A handover's pending activities, as Temporal describes them. */
async function pending(token: string) {
  return (await h.client.workflow.getHandle(token).describe()).raw.pendingActivities ?? [];
}

/** The pending polling activity of a handover (waitFor...). */
const pendingPoll = async (token: string) => (await pending(token)).find((a) => a.activityType?.name?.startsWith('waitFor'));

/** Every run of handoverWorkflow on this file's task queue, from Temporal's visibility store. */
async function handoverRuns(): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  const query = `TaskQueue = '${h.env.HANDOVER_TASK_QUEUE}' AND WorkflowType = '${HANDOVER_WORKFLOW}'`;
  for await (const run of h.client.workflow.list({ query })) runs.push(run);
  return runs;
}

/** Jobs beyond one per step per handover (and jobs under no step key of theirs), and step keys with no job. */
function jobCounts(tokens: string[]): { duplicates: number; missing: string[] } {
  const keys = tokens.flatMap((t) => STEP_KEYS.map((step) => `${t}:${step}`));
  const count = (key: string) => h.jobs.jobs.filter((j) => j.key === key).length;
  const ours = h.jobs.jobs.filter((j) => tokens.some((t) => j.key?.startsWith(`${t}:`)));
  const stray = ours.filter((j) => !keys.includes(j.key!)).length;
  return { duplicates: keys.reduce((n, k) => n + Math.max(0, count(k) - 1), 0) + stray, missing: keys.filter((k) => count(k) === 0) };
}

test('SIGTERM to the worker running a copy poll: it exits 0, the other worker finishes the copy, one copy job', async () => {
  // A long copy, and a slow copy service: each poll takes 2 s to answer, so a poll is running when the signal comes.
  h.jobs.scripts.copy.holdFor = () => 'wait';
  h.jobs.scripts.copy.pollDelayMs = 2000;
  const workers = await Promise.all([startWorkerProcess(h.env), startWorkerProcess(h.env)]);
  const { json } = await h.submit(spec(h.sqliteSource('sigterm_core_110_1')));
  const token = json.token;

  // The copy's poll running (a retry, so the wait is well under way) on one of the two workers.
  const target = await waitFor(
    async () => {
      const poll = await pendingPoll(token);
      const worker = workers.find((w) => w.identity === poll?.lastWorkerIdentity);
      return (
        poll?.activityType?.name === 'waitForCopy' &&
        isRunning(poll) &&
        (poll.attempt ?? 0) >= 2 &&
        worker && { worker, attempt: poll.attempt }
      );
    },
    180_000,
    'a copy poll running on one of the workers',
  );
  const { worker: running, attempt } = target;
  const other = workers.find((w) => w !== running)!;
  const copy = h.jobs.jobsOf('copy')[0];
  const pollsBefore = copy.polls;
  const signalled = Date.now();
  running.child.kill('SIGTERM');
  const exit = await running.exited;
  const exitMs = Date.now() - signalled;
  const pollsAtExit = copy.polls;
  console.log(
    `injected: SIGTERM to worker ${running.identity} while it ran copy poll attempt ${attempt} (each poll takes 2 s; ` +
      `HANDOVER_WORKER_SHUTDOWN_GRACE 1s); ` +
      `found: it exited ${JSON.stringify(exit)} after ${exitMs} ms, ${pollsAtExit - pollsBefore} poll(s) answered meanwhile`,
  );
  expect(exit).toEqual({ code: 0, signal: null });
  expect(running.output()).toContain('Handover worker stopped');

  // The other worker carries on: the same copy job is polled again, by it.
  const carried = await waitFor(
    async () => {
      const poll = await pendingPoll(token);
      return (
        copy.polls >= pollsAtExit + 2 && poll?.activityType?.name === 'waitForCopy' && poll.lastWorkerIdentity === other.identity && poll
      );
    },
    120_000,
    () => `the copy polled by the other worker (polls ${copy.polls}, at exit ${pollsAtExit})`,
  );
  console.log(`found: ${copy.polls - pollsAtExit} more copy poll(s) after the exit, attempt ${carried.attempt} by ${other.identity}`);

  h.jobs.scripts.copy.pollDelayMs = 0;
  h.jobs.release(); // the copy finishes
  const done = await h.waitForStatus(token, 'completed', 180_000).catch(() => undefined);
  const closed = await waitFor(
    async () => (await h.client.workflow.getHandle(token).describe()).status.name === 'COMPLETED',
    60_000,
    'the handover closed in Temporal',
  ).catch(() => false);
  const completed = done && closed ? 1 : 0;
  const { duplicates, missing } = jobCounts([token]);
  await h.smtp.waitForSubject('Handover of sigterm_core_110_1 completed');
  console.log(
    `found: handover ${done?.status}, copy jobs ${h.jobs.jobsOf('copy').length}, ${duplicates} duplicate(s), missing ${missing.length}`,
  );
  console.log(
    `fault: worker SIGTERM mid-copy, second worker takes over; handovers: 1; completed: ${completed}; duplicate jobs: ${duplicates}; ` +
      `lost: ${1 - completed}`,
  );
  expect(completed).toBe(1);
  expect(duplicates).toBe(0);
  expect(missing).toEqual([]);
  expect(h.jobs.jobsOf('copy')).toHaveLength(1);

  other.child.kill('SIGTERM');
  expect(await other.exited).toEqual({ code: 0, signal: null });
}, 600_000);

test('two workers, 10 handovers in flight, one worker SIGKILLed: each completes once, one job per step', async () => {
  h.jobs.scripts.healthcheck.runningPolls = 3;
  h.jobs.scripts.copy.runningPolls = 20;
  h.jobs.scripts.metadata.runningPolls = 3;
  for (const s of SERVICES) h.jobs.scripts[s].pollDelayMs = 200; // requests take a while: some are in flight at the kill
  const workers: WorkerProcess[] = await Promise.all([startWorkerProcess(h.env), startWorkerProcess(h.env)]);
  const databases = Array.from({ length: 10 }, (_, i) => `scale_${i}_core_110_1`);
  const answers = await Promise.all(databases.map((db) => h.submit(spec(h.sqliteSource(db)))));
  for (const a of answers) expect(a.statusCode).toBe(201);
  const tokens = answers.map((a) => a.json.token);

  // Mid-flight: every handover waits for its copy (polled at least once; 20 polls to go), and a worker is
  // running some of their activities: that one is killed.
  await waitFor(
    () => tokens.every((t) => h.jobs.jobs.some((j) => j.key === `${t}:copy` && j.polls > 0)),
    180_000,
    'the 10 handovers waiting for their copies',
  );
  const { activities, victim } = await waitFor(
    async () => {
      const activities = (await Promise.all(tokens.map(pending))).flat();
      const running = (w: WorkerProcess) => activities.filter((a) => isRunning(a) && a.lastWorkerIdentity === w.identity).length;
      const victim = running(workers[0]) >= running(workers[1]) ? workers[0] : workers[1];
      return running(victim) > 0 && { activities, victim };
    },
    120_000,
    'an activity running on one of the workers',
  );
  const busy = (w: WorkerProcess) => activities.filter((a) => a.lastWorkerIdentity === w.identity);
  const survivor = workers.find((w) => w !== victim)!;
  const steps = await Promise.all(tokens.map(async (t) => (await h.progress(t)).step));
  victim.child.kill('SIGKILL');
  console.log(
    `injected: SIGKILL of worker ${victim.identity} (of 2) with the 10 handovers at steps ${steps.join(',')}; ` +
      `it had last run ${busy(victim).length} of their ${activities.length} pending activities (${busy(victim).filter(isRunning).length} ` +
      `running then), the survivor ${busy(survivor).length}`,
  );
  expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });

  // Every handover ends; each in one run of handoverWorkflow, closed as completed in Temporal.
  const statuses = () => Promise.all(tokens.map(async (t) => (await h.progress(t)).status));
  const ended = await waitFor(
    async () => ((s) => s.every((x) => x !== 'running') && s)(await statuses()),
    300_000,
    'every handover to end',
  ).catch(statuses);
  const runs = await waitFor(
    // This test's handovers only: the first test's completed run is on the same task queue (counted, it let this
    // wait end while one of these was still closing in visibility: a flake a fresh-clone CI run caught).
    async () =>
      ((r) => r.filter((x) => tokens.includes(x.workflowId) && x.status.name === 'COMPLETED').length >= tokens.length && r)(
        await handoverRuns(),
      ),
    60_000,
    'the runs closed in visibility',
  ).catch(handoverRuns);
  const runsOf = tokens.map((t) => runs.filter((r) => r.workflowId === t).length);
  const completed = tokens.filter(
    (t, i) => ended[i] === 'completed' && runs.some((r) => r.workflowId === t && r.status.name === 'COMPLETED'),
  ).length;
  const { duplicates, missing } = jobCounts(tokens);
  await waitFor(
    () => databases.every((db) => h.smtp.messages.some((m) => m.subject === `Handover of ${db} completed`)),
    60_000,
    'a completion email each',
  ).catch(() => undefined);
  const mails = databases.map((db) => h.smtp.messages.filter((m) => m.subject?.includes(db)));
  const completionMails = databases.map((db, i) => mails[i].filter((m) => m.subject === `Handover of ${db} completed`).length);
  const otherMails = databases.flatMap((db, i) =>
    mails[i].filter((m) => m.subject !== `Handover of ${db} completed`).map((m) => m.subject),
  );
  console.log(
    `found: ${completed} of 10 completed; runs per handover ${runsOf.join(',')}; ` +
      'jobs per service: ' +
      SERVICES.map((s) => `${s} ${h.jobs.jobsOf(s).filter((j) => tokens.some((t) => j.key?.startsWith(`${t}:`))).length}`).join(', ') +
      ' (expected 10 each); ' +
      `${duplicates} duplicate(s), ${missing.length} missing; completion emails per handover ${completionMails.join(',')}; ` +
      `other emails ${otherMails.length}`,
  );
  console.log(
    `fault: one of two workers SIGKILLed mid-flight; handovers: 10; completed: ${completed}; duplicate jobs: ${duplicates}; ` +
      `lost: ${10 - completed}`,
  );
  expect(completed).toBe(10);
  expect(runsOf).toEqual(tokens.map(() => 1));
  expect(duplicates).toBe(0);
  expect(missing).toEqual([]);
  expect(completionMails).toEqual(tokens.map(() => 1));
  expect(otherMails).toEqual([]);

  survivor.child.kill('SIGTERM');
  expect(await survivor.exited).toEqual({ code: 0, signal: null });
}, 900_000);
