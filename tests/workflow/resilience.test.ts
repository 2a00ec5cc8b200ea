/** Outages that must cost nothing: a service down for a while, a submission whose answer never came. */
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ HANDOVER_REQUEST_TIMEOUT: '1s' });
});
afterAll(async () => h?.stop());
beforeEach(() => h.jobs.reset());

test('a service that is down and comes back: the handover completes, no failure, one email', async () => {
  h.jobs.scripts.metadata.down = true;
  h.jobs.scripts.healthcheck.runningPolls = 3;
  const { json } = await h.submit(spec(h.sqliteSource('outage_core_110_1')));
  // The handover reaches metadata and keeps trying while the service answers 503...
  await waitFor(async () => (await h.progress(json.token)).step === 'metadata', 30_000, 'the metadata step');
  await new Promise((r) => setTimeout(r, 1500));
  expect((await h.progress(json.token)).status).toBe('running');
  // ...then the service comes back, and the handover goes on as if nothing happened.
  h.jobs.scripts.metadata.down = false;
  const done = await h.waitForStatus(json.token, 'completed');
  expect(done.failure).toBeUndefined();
  const mail = await h.smtp.waitForSubject('outage_core_110_1');
  expect(mail.subject).toBe('Handover of outage_core_110_1 completed');
  expect(h.smtp.messages.filter((m) => m.subject?.includes('outage_core_110_1'))).toHaveLength(1);
});

test('a submission whose answer is lost is retried with the same key and creates no second job', async () => {
  // The copy service creates the job, then holds its answer past the request timeout (1s): the
  // activity retries, and the Idempotency-Key brings back the job already made.
  h.jobs.scripts.copy.hangFirstSubmitMs = 2500;
  const { json } = await h.submit(spec(h.sqliteSource('lost_answer_core_110_1')));
  const done = await h.waitForStatus(json.token, 'completed');
  const copySubmissions = h.jobs.submissions.filter((s) => s.key === `${json.token}:copy`);
  expect(copySubmissions.length).toBeGreaterThanOrEqual(2);
  const copyJobs = h.jobs.jobsOf('copy').filter((j) => j.key === `${json.token}:copy`);
  expect(copyJobs).toHaveLength(1);
  expect(done.timeline.find((t) => t.step === 'copy')!.jobs).toEqual([expect.objectContaining({ id: copyJobs[0].id })]);
});
