/**
 * Completion callbacks on the real Temporal server: with polling slowed to once every 10 minutes, a
 * handover completes only because each job service calls the signed `callback_url` its submission
 * carried (played here by the test, as a service that supports callbacks would). Forged callbacks
 * are refused and change nothing.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { callbackUrl } from '../../common/callbacks';
import { type LocalStack, startLocalStack } from '../../services/stack';
import type { ServiceName } from '../../vocabulary';
import { type Harness, spec, startHarness, serviceUrlsEnv } from '../helpers/harness';
import { testStackSourceRoots } from '../helpers/sources';
import { MB, bigSqliteTable } from '../helpers/stack-process';
import { freePort } from '../helpers/ports';
import { waitFor } from '../helpers/wait';

let h: Harness;
beforeAll(async () => {
  // Without a callback the second poll of each job would come 10 minutes after the first.
  h = await startHarness({
    HANDOVER_POLL_INTERVAL: '10m',
    HANDOVER_POLL_MAX_INTERVAL: '10m',
    HANDOVER_CALLBACK_URL: 'http://handover.test',
  });
});
afterAll(async () => h?.stop());

/** What a service does when its job ends: POST the callback URL it was given (with its job id and status). */
async function callBack(url: string) {
  const { pathname, search } = new URL(url);
  return h.app.inject({ method: 'POST', url: pathname + search, payload: { job_id: 1, status: 'complete' } });
}

test('each waited step moves on when its service calls back, not at the next poll', async () => {
  for (const s of ['healthcheck', 'copy', 'metadata'] as const) h.jobs.scripts[s].runningPolls = 1; // the first poll finds it running
  const { json } = await h.submit(spec(h.sqliteSource('callback_core_110_1')));
  const waits: Record<string, number> = {};
  for (const service of ['healthcheck', 'copy', 'metadata'] as const satisfies ServiceName[]) {
    const job = await waitFor(
      () => h.jobs.jobsOf(service).find((j) => j.key === `${json.token}:${service}` && j.pollsLeft <= 0),
      30_000,
      `the ${service} job's first poll`,
    );
    // The submission carried the URL signed for this handover's step, at the API's address.
    expect(job.input.callback_url).toBe(callbackUrl('http://handover.test', h.config.HANDOVER_SECRET_KEY, json.token, service));
    const called = Date.now();
    const res = await callBack(job.input.callback_url as string);
    expect([res.statusCode, res.json()]).toEqual([202, { polled: true }]);
    await waitFor(
      async () => (await h.progress(json.token)).timeline.find((t) => t.step === service)?.outcome === 'passed',
      30_000,
      `the ${service} step to pass after the callback`,
    );
    waits[service] = Date.now() - called;
  }
  const done = await h.waitForStatus(json.token, 'completed');
  console.log(`found: with polls 10 minutes apart, each step passed after its callback in ${JSON.stringify(waits)} ms`);
  expect(done.timeline.map((t) => t.outcome)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
  // The event service's submission (nothing waited for) carries no callback.
  expect(h.jobs.jobsOf('event').find((j) => j.key?.startsWith(json.token))!.input.callback_url).toBeUndefined();
});

test('forged, misdirected and late callbacks are refused or do nothing', async () => {
  h.jobs.reset();
  h.jobs.scripts.healthcheck.runningPolls = 0; // done at the first poll (the next would be 10 minutes later)
  h.jobs.scripts.copy.runningPolls = 100_000;
  const { json } = await h.submit(spec(h.sqliteSource('forged_core_110_1')));
  const copy = await waitFor(() => h.jobs.jobsOf('copy').find((j) => j.key === `${json.token}:copy`), 30_000, 'the copy job');
  const good = new URL(copy.input.callback_url as string);
  const post = (url: string) => h.app.inject({ method: 'POST', url });
  const polls = () => 100_000 - copy.pollsLeft;
  const before = polls();

  const attempts = {
    'another key': callbackUrl('http://x', 'another-secret-key-0123456789', json.token, 'copy'),
    "another step's signature": callbackUrl('http://x', h.config.HANDOVER_SECRET_KEY, json.token, 'metadata').replace(
      '/metadata?',
      '/copy?',
    ),
    "another handover's signature": `${good.pathname.replace(json.token, 'someone-else')}${good.search}`,
    'no signature': good.pathname,
    'a step that waits for nothing': `${good.pathname.replace('/copy', '/event')}${good.search}`,
    'a signature with a quote': `${good.pathname}?sig=${encodeURIComponent("x' OR '1'='1")}`,
  };
  const answers: Record<string, number> = {};
  for (const [what, url] of Object.entries(attempts)) answers[what] = (await post(url.replace(/^http:\/\/x/, ''))).statusCode;
  console.log(
    `injected: ${Object.keys(attempts).length} forged callbacks; found: ${JSON.stringify(answers)}; ` +
      `polls of the copy job before ${before}, after ${polls()}`,
  );
  expect(answers).toEqual({
    'another key': 403,
    "another step's signature": 403,
    "another handover's signature": 403,
    'no signature': 400,
    'a step that waits for nothing': 400,
    'a signature with a quote': 403,
  });
  expect(polls()).toBe(before); // none of them made the copy poll

  // A genuine callback for a handover that has ended: answered, nothing to poll.
  await h.app.inject({ method: 'POST', url: `/handovers/${json.token}/cancel` });
  await h.waitForStatus(json.token, 'cancelled');
  const late = await post(good.pathname + good.search);
  expect([late.statusCode, late.json()]).toEqual([202, { polled: false }]);
});

describe('through the local stack, whose services call back', () => {
  let stack: LocalStack;
  let real: Harness;
  beforeAll(async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'handover-callback-stack-'));
    stack = await startLocalStack({
      sourceRoots: testStackSourceRoots(),
      dataDir: path.join(base, 'services'),
      ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
      targetRoots: [`sqlite:///${base}/staging/`],
    });
    // The API listens for real, where the services' callbacks reach it; polls are 10 minutes apart.
    const port = await freePort();
    real = await startHarness({
      ...serviceUrlsEnv(stack.urls),
      HANDOVER_STAGING_URI: `sqlite:///${base}/staging/`,
      HANDOVER_CALLBACK_URL: `http://127.0.0.1:${port}`,
      HANDOVER_POLL_INTERVAL: '10m',
      HANDOVER_POLL_MAX_INTERVAL: '10m',
    });
    await real.app.listen({ host: '127.0.0.1', port });
  });
  afterAll(async () => {
    await real?.stop();
    await stack?.close();
  });

  test(
    'a real handover completes on callbacks alone: each job still running at its first poll, ' + 'each step on within moments of its end',
    async () => {
      // 1.2 GB: the checks and the copy (a copy of the file) take a second or more, so the first poll of each finds it running.
      const file = `${real.dir}/bos_taurus_variation_110_13.sqlite`;
      bigSqliteTable(file, 1200 * MB);
      const started = Date.now();
      const { json } = await real.submit(spec(`sqlite:///${file}`));
      const done = await real.waitForStatus(json.token, 'completed', 120_000);
      const took = (step: string) =>
        ((t) => Date.parse(t.ended_at!) - Date.parse(t.started_at))(done.timeline.find((t) => t.step === step)!);
      console.log(
        `found: with polls 10 minutes apart, the handover through the local stack completed in ${Date.now() - started} ms; ` +
          `steps: ${done.timeline.map((t) => `${t.step} ${took(t.step)} ms`).join(', ')}`,
      );
      expect(done.timeline.map((t) => t.outcome)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
      // The copy ran past its first poll (a second poll could only come from its callback).
      const copy = stack.services.copy.store.list().find((j) => j.key === `${json.token}:copy`)!;
      expect(Date.parse(copy.updated_at) - Date.parse(copy.created_at)).toBeGreaterThan(500);
    },
  );
});
