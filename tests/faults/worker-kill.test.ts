/**
 * Fault injection (issue #12): the worker, a real process, killed with SIGKILL inside each step, while a
 * submission is in flight and while the handover waits for its job, then started again. Eight handovers
 * run at once, each held by the fake job services at a different point; the worker is killed once, when
 * all eight are at their points. Every handover must complete with exactly one job per step (the
 * Idempotency-Key `<token>:<step>` makes a resubmission return the job already created), one completion
 * email each and no failure email.
 *
 * The event step has no wait: it submits one job per event and records the processes the event service
 * started, without waiting for them (workflows/handover.ts, step 9). Its second point is therefore the
 * submission of the second event, after the first was accepted: event 0 must not get a second job.
 */
import type { ServiceName } from '../../vocabulary';
import { type Harness, spec, startHarness } from '../helpers/harness';
import type { HoldPoint, Job } from '../helpers/job-services';
import { type WorkerProcess, killWorkerProcesses, startWorkerProcess } from '../helpers/worker-process';
import { waitFor } from '../helpers/wait';

let h: Harness;

beforeAll(async () => {
  // A request to a job service gives up after 2 s: a submission held when the worker dies is retried soon after.
  h = await startHarness({ HANDOVER_REQUEST_TIMEOUT: '2s' }, { worker: false });
});
afterAll(async () => {
  await killWorkerProcesses();
  await h?.stop();
});

/** Where one handover is held when the worker dies. */
interface Point {
  service: ServiceName;
  hold: HoldPoint;
  /** The event step: which event's submission is held. */
  event?: number;
  label: string;
  database: string;
  token?: string;
}

const point = (service: ServiceName, hold: HoldPoint, event?: number): Point => {
  const label = `${service}${event === undefined ? '' : event}_${hold}`;
  return { service, hold, event, label, database: `kill_${label}_core_110_1` };
};

const POINTS: Point[] = [
  point('healthcheck', 'submit'),
  point('healthcheck', 'wait'),
  point('copy', 'submit'),
  point('copy', 'wait'),
  point('metadata', 'submit'),
  point('metadata', 'wait'),
  point('event', 'submit', 0),
  point('event', 'submit', 1),
];

/** Every step's idempotency key for a handover whose metadata gave two events. */
const STEP_KEYS = ['healthcheck', 'copy', 'metadata', 'event:0', 'event:1'];

/**
 * The point a new job belongs to. A job names its handover's database in its input: the URIs of the
 * healthcheck, copy and metadata jobs, and for an event the comment it carries (the submission's, below).
 */
const pointOf = (service: ServiceName, job: Job): Point | undefined =>
  POINTS.find(
    (p) =>
      p.service === service &&
      JSON.stringify(job.input).includes(p.database) &&
      (p.event === undefined || job.key?.endsWith(`:event:${p.event}`)),
  );

const jobAt = (p: Point) => h.jobs.jobsOf(p.service).find((j) => pointOf(p.service, j) === p);

/** At its point: a submission open at the service (the activity mid-request), or its job polled while held. */
function atPoint(p: Point): boolean {
  const job = jobAt(p);
  if (!job || job.hold !== p.hold) return false;
  return p.hold === 'submit' ? job.openSubmissions > 0 : job.heldPolls >= 2;
}

/** How the handovers ended: waits (generously) until none runs; a handover still running then counts as not completed. */
async function endings(tokens: string[]): Promise<string[]> {
  const statuses = async () => Promise.all(tokens.map(async (t) => (await h.progress(t)).status));
  return waitFor(async () => ((s) => s.every((x) => x !== 'running') && s)(await statuses()), 300_000, 'every handover to end').catch(
    statuses,
  );
}

test('SIGKILL inside each step, during the submission and during the wait: all complete, one job per step', async () => {
  h.jobs.scripts.metadata.events = [
    { type: 'new_assembly', genome: 'homo_sapiens' },
    { type: 'new_genebuild', genome: 'homo_sapiens' },
  ];
  for (const service of ['healthcheck', 'copy', 'metadata', 'event'] as const) {
    h.jobs.scripts[service].holdFor = (job) => {
      const p = pointOf(service, job);
      return p?.hold;
    };
  }

  const first = await startWorkerProcess(h.env);
  const answers = await Promise.all(
    POINTS.map((p) => h.submit(spec(h.sqliteSource(p.database), { comment: `fault injection on ${p.database}` }))),
  );
  answers.forEach((a, i) => {
    expect(a.statusCode).toBe(201);
    POINTS[i].token = a.json.token;
  });

  // All eight at their points at the same moment (each held submission is open for 2 s of every ~2.2 s).
  await waitFor(
    () => POINTS.every(atPoint),
    300_000,
    () =>
      `all 8 handovers at their points (not yet: ${POINTS.filter((p) => !atPoint(p))
        .map((p) => p.label)
        .join(', ')})`,
  );
  first.child.kill('SIGKILL');
  const atKill = POINTS.map((p) => {
    const job = jobAt(p)!;
    return `${p.label}: ${p.hold === 'submit' ? `${job.openSubmissions} submission(s) open` : `${job.heldPolls} poll(s) answered running`}`;
  });
  console.log(`injected: SIGKILL of worker pid ${first.pid} with 8 handovers held at: ${atKill.join('; ')}`);
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

  const statuses = await Promise.all(POINTS.map(async (p) => (await h.client.workflow.getHandle(p.token!).describe()).status.name));
  console.log(`found after the kill: Temporal says ${statuses.join(', ')}`);
  expect(statuses).toEqual(POINTS.map(() => 'RUNNING'));

  // The services let the jobs go while no worker runs; a fresh worker process takes over.
  h.jobs.release();
  const second: WorkerProcess = await startWorkerProcess(h.env);
  try {
    const tokens = POINTS.map((p) => p.token!);
    const ended = await endings(tokens);
    const completed = ended.filter((s) => s === 'completed').length;

    // One job per step per handover: count what each service received under each handover's keys.
    const perKey = tokens.flatMap((t) =>
      STEP_KEYS.map((step) => ({ key: `${t}:${step}`, jobs: h.jobs.jobs.filter((j) => j.key === `${t}:${step}`).length })),
    );
    const stray = h.jobs.jobs.filter((j) => !perKey.some((k) => k.key === j.key)).length;
    const duplicates = perKey.reduce((n, k) => n + Math.max(0, k.jobs - 1), 0) + stray;
    const missing = perKey.filter((k) => k.jobs === 0).map((k) => k.key);
    // The held submissions were made again after the restart and answered with the job already created.
    const resubmitted = POINTS.filter((p) => p.hold === 'submit').map(
      (p) => `${p.label}: ${h.jobs.submissions.filter((s) => s.key === jobAt(p)!.key).length} POSTs`,
    );
    const event1 = POINTS.find((p) => p.event === 1)!;
    const event0Again = h.jobs.submissions.filter((s) => s.key === `${event1.token}:event:0`).length;

    await waitFor(
      () => POINTS.every((p) => h.smtp.messages.some((m) => m.subject === `Handover of ${p.database} completed`)),
      60_000,
      'a completion email for each handover',
    );
    const mails = (p: Point) => h.smtp.messages.filter((m) => m.subject?.includes(p.database));
    const completionMails = POINTS.map((p) => mails(p).filter((m) => m.subject === `Handover of ${p.database} completed`).length);
    const otherMails = POINTS.flatMap((p) =>
      mails(p)
        .filter((m) => m.subject !== `Handover of ${p.database} completed`)
        .map((m) => m.subject),
    );

    console.log(
      `found: ${completed} of 8 completed; ` +
        'jobs per service: ' +
        (['healthcheck', 'copy', 'metadata', 'event'] as const).map((s) => `${s} ${h.jobs.jobsOf(s).length}`).join(', ') +
        ` (expected 8, 8, 8, 16); ${duplicates} duplicate(s), ${missing.length} missing; resubmissions: ${resubmitted.join('; ')} ` +
        `(event 0 of event1_submit: ${event0Again} POST(s));` +
        ` completion emails per handover: ${completionMails.join(',')}; other emails: ${otherMails.length}`,
    );
    console.log(
      `fault: worker SIGKILL in each step (submit and wait); handovers: 8; completed: ${completed}; duplicate jobs: ${duplicates}; ` +
        `lost: ${8 - completed}`,
    );

    expect(completed).toBe(8);
    expect(duplicates).toBe(0);
    expect(missing).toEqual([]);
    expect(h.jobs.jobs).toHaveLength(8 * STEP_KEYS.length);
    expect(completionMails).toEqual(POINTS.map(() => 1));
    expect(otherMails).toEqual([]);
  } finally {
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }
}, 900_000);
