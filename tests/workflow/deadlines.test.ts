/**
 * Handover's production deadlines and retry intervals, on Temporal's time-skipping test server
 * (tests/helpers/time-skipping.ts): a day of durable timers and retry backoffs passes in seconds, so the
 * defaults themselves are tested, not shortened copies of them. Each behaviour also has a real-server test
 * with short settings: the copy deadline and a service that never takes a job in ./failures.test.ts and
 * ./restart.test.ts, the email handed off when SMTP is down in ./final-email.test.ts.
 */
import { loadConfig } from '../../common/config';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { type TimeSkippingEnvironment, startTimeSkipping } from '../helpers/time-skipping';

let env: TimeSkippingEnvironment;
let h: Harness;
beforeAll(async () => {
  env = await startTimeSkipping();
  // The production timings: the harness's short polls (for the real server) put back to their defaults.
  const defaults = loadConfig({ HANDOVER_SECRET_KEY: 'unused-here-0123456789' });
  h = await startHarness({
    TEMPORAL_ADDRESS: env.address,
    HANDOVER_POLL_INTERVAL: defaults.HANDOVER_POLL_INTERVAL,
    HANDOVER_POLL_MAX_INTERVAL: defaults.HANDOVER_POLL_MAX_INTERVAL,
  });
}, 120_000);
afterAll(async () => {
  await h?.stop();
  await env?.teardown();
});
beforeEach(() => h.jobs.reset());

const DAY_MS = 24 * 3600_000;

/** Waits, skipping time, until the workflow `id` closes; returns how much (skipped) time that took. */
async function closed(id: string, on: TimeSkippingEnvironment = env): Promise<number> {
  const t0 = await on.currentTimeMs();
  await on.client.workflow
    .getHandle(id)
    .result()
    .catch(() => undefined);
  return (await on.currentTimeMs()) - t0;
}

test('the defaults these tests rely on', () => {
  const c = loadConfig({ HANDOVER_SECRET_KEY: 'unused-here-0123456789' });
  expect([c.HANDOVER_COPY_DEADLINE, c.HANDOVER_SUBMIT_TIMEOUT, c.HANDOVER_POLL_INTERVAL, c.HANDOVER_POLL_MAX_INTERVAL]).toEqual([
    '24h',
    '15m',
    '1s',
    '1m',
  ]);
  expect(h.config.HANDOVER_COPY_DEADLINE).toBe('24h');
});

test('a copy still running after a day fails at its 24 h deadline, polled at most once a minute, its job killed', async () => {
  h.jobs.scripts.copy.runningPolls = Number.MAX_SAFE_INTEGER;
  const { json } = await h.submit(spec(h.sqliteSource('day_long_copy_core_110_1')));
  const took = await closed(json.token);
  const done = await h.progress(json.token);
  expect(done.status).toBe('failed');
  expect(done.failure).toEqual({ step: 'copy', kind: 'timed_out', reason: 'the copy step did not finish within its deadline of 24h' });
  expect(took).toBeGreaterThanOrEqual(DAY_MS - 60_000);
  expect(took).toBeLessThan(DAY_MS + 5 * 60_000);
  const [copy] = h.jobs.jobsOf('copy');
  expect(h.jobs.jobsOf('copy')).toHaveLength(1);
  // Backing off from 1 s to 1 min: about one poll a minute for a day (1,440), not one a second (86,400).
  expect(copy.polls).toBeGreaterThan(1_300);
  expect(copy.polls).toBeLessThan(1_500);
  expect(h.jobs.kills).toEqual([{ service: 'copy', id: copy.id }]);
  const mail = await h.smtp.waitForSubject('day_long_copy_core_110_1');
  expect(mail.subject).toBe('Handover of day_long_copy_core_110_1 failed: copy step passed its deadline');
});

test('a metadata service that never takes the job: the step gives up after 15 min, saying so', async () => {
  h.jobs.scripts.metadata.down = true;
  const { json } = await h.submit(spec(h.sqliteSource('metadata_down_core_110_1')));
  const took = await closed(json.token);
  const done = await h.progress(json.token);
  expect(done.failure).toMatchObject({ step: 'metadata' });
  expect(done.failure!.reason).toMatch(/^the metadata service did not take the job within 15m/);
  // (It gives up when its next retry would not fit in the 15 min: a few minutes early at most.)
  expect(took).toBeGreaterThan(10 * 60_000);
  expect(took).toBeLessThanOrEqual(15 * 60_000);
  expect(h.jobs.jobsOf('metadata')).toHaveLength(0);
});

test('SMTP down for more than a day: the email is given up after 24 h of retries, and nothing else waits on it', async () => {
  await h.smtp.stop();
  const { json } = await h.submit(spec(h.sqliteSource('smtp_gone_core_110_1')));
  await closed(json.token);
  expect((await h.progress(json.token)).status).toBe('completed');
  const took = await closed(`${json.token}:email`);
  expect(took).toBeGreaterThanOrEqual(DAY_MS - 5 * 60_000);
  expect(took).toBeLessThan(DAY_MS + 10 * 60_000);
  await h.smtp.start();
  expect(h.smtp.messages.filter((m) => m.subject?.includes('smtp_gone_core_110_1'))).toHaveLength(0);
});

describe('on a test server of its own', () => {
  // A second SMTP outage on one test server never starts the second email workflow's retry (its activity stays
  // scheduled, whichever outage comes first, even on another worker): a limit of the test server, not of Handover
  // (the real server's ./final-email.test.ts has several). So this outage gets a server of its own.
  let own: TimeSkippingEnvironment;
  let o: Harness;
  beforeAll(async () => {
    own = await startTimeSkipping();
    o = await startHarness({ TEMPORAL_ADDRESS: own.address });
  }, 120_000);
  afterAll(async () => {
    await o?.stop();
    await own?.teardown();
  });

  test('SMTP down for 2 hours: the handover closes at once, and its email arrives when SMTP is back', async () => {
    await o.smtp.stop();
    const { json } = await o.submit(spec(o.sqliteSource('smtp_down_core_110_1')));
    await closed(json.token, own);
    expect((await o.progress(json.token)).status).toBe('completed');
    await own.sleep('2h');
    expect(o.smtp.messages.filter((m) => m.subject?.includes('smtp_down_core_110_1'))).toHaveLength(0);
    await o.smtp.start();
    const took = await closed(`${json.token}:email`, own);
    expect(took).toBeLessThanOrEqual(5 * 60_000); // retried at least every 5 min
    const mail = await o.smtp.waitForSubject('smtp_down_core_110_1');
    expect(mail.subject).toBe('Handover of smtp_down_core_110_1 completed');
  });
});
