/**
 * A corpus of hostile requests against the API on the real Temporal server: every one is answered
 * 4xx with a message (never a 500), starts nothing and creates no job. Also: refused submissions in
 * a burst cost no workflow each; sealed credentials open only for their own handover; a batch
 * survives its items; a missing secret key fails at start.
 */
import path from 'node:path';
import { ConfigError, loadConfig } from '../../common/config';
import { PROJECT_ROOT } from '../../common/project-paths';
import type { HandoverInput } from '../../vocabulary';
import { type Harness, mariadbQuery, mariadbSettings, mariadbUri, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';
import { hostileCorpus } from './corpus';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    HANDOVER_RATE_LIMIT_MAX: '100000',
    HANDOVER_STAGING_RULES: JSON.stringify([{ pattern: '^sealed_', staging_uri: mariadbUri(mariadbSettings('staging')) }]),
  });
});
afterAll(async () => h?.stop());

// A run the refusals log continued as new (it does every 1,000 signals) is the same workflow: not counted.
const workflowsOnQueue = async () =>
  (await h.client.workflow.count(`TaskQueue = '${h.config.HANDOVER_TASK_QUEUE}' AND ExecutionStatus != 'ContinuedAsNew'`)).count;

test('at least 150 hostile requests: each a 4xx with a message, no 500, nothing started, no job', async () => {
  const corpus = hostileCorpus({ staging: path.join(h.dir, 'staging'), project: PROJECT_ROOT });
  expect(corpus.length).toBeGreaterThanOrEqual(150);
  const jobsBefore = h.jobs.jobs.length;
  const answers: Array<{ kind: string; name: string; status: number; error: unknown }> = [];
  for (const request of corpus) {
    const res = await h.app.inject({
      method: request.method,
      url: request.url,
      headers: request.headers,
      payload:
        request.payload === undefined ? undefined : typeof request.payload === 'string' ? request.payload : JSON.stringify(request.payload),
      ...(request.headers || request.payload === undefined ? {} : { headers: { 'content-type': 'application/json' } }),
    });
    let body: { error?: unknown } = {};
    try {
      body = res.json();
    } catch {
      // not JSON: counted below
    }
    answers.push({ kind: request.kind, name: request.name, status: res.statusCode, error: body.error });
  }
  const kinds = [...new Set(corpus.map((r) => r.kind))];
  for (const kind of kinds) {
    const of = answers.filter((a) => a.kind === kind);
    console.log(
      `${kind}: ${of.length} tried, ${of.filter((a) => a.status >= 400 && a.status < 500).length} refused ` +
        `(${[...new Set(of.map((a) => a.status))].join(', ')})`,
    );
  }
  const wrong = answers.filter((a) => a.status < 400 || a.status >= 500 || typeof a.error !== 'string' || !a.error);
  console.log(
    `hostile requests: ${answers.length} tried, ${answers.length - wrong.length} ` +
      `stopped, ${answers.filter((a) => a.status >= 500).length} answered 5xx`,
  );
  expect(wrong).toEqual([]);
  // Nothing started: no job on any service, no handover (visibility is eventually consistent: wait a moment).
  await new Promise((r) => setTimeout(r, 1500));
  expect(h.jobs.jobs.length).toBe(jobsBefore);
  expect(await workflowsOnQueue()).toBeLessThanOrEqual(1); // at most the refusals log
});

test('a burst of 1,000 refused submissions is answered and recorded without a workflow each', async () => {
  const before = await workflowsOnQueue();
  const answers = await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      h.submit(spec(h.sqliteSource(i === 0 ? 'scratch_db' : 'scratch_db'), { comment: `burst ${i}` })),
    ),
  );
  expect(answers.every((a) => a.statusCode === 422 && /is not an Ensembl name/.test(a.json.issues![0].message))).toBe(true);
  const tokens = new Set(answers.map((a) => a.json.token));
  expect(tokens.size).toBe(1000);
  // Recorded: each shows as rejected (the log keeps the newest 1,000 refusals of all, so nearly all of these).
  const last = answers[999].json.token;
  expect((await h.progress(last)).status).toBe('rejected');
  const listed = (await h.app.inject({ method: 'GET', url: '/handovers?status=rejected&database=scratch_db&limit=1000' })).json().handovers;
  expect(listed.length).toBeGreaterThanOrEqual(950);
  await new Promise((r) => setTimeout(r, 1500));
  const after = await workflowsOnQueue();
  console.log(`1,000 refused submissions: workflows on the queue before ${before}, after ${after}`);
  expect(after - before).toBeLessThanOrEqual(1);
});

test('sealed credentials open only for their own handover: a blob moved into another handover fails there', async () => {
  const m = mariadbSettings();
  await mariadbQuery('CREATE DATABASE IF NOT EXISTS sealed_core_110_1');
  const src = `mysql://${m.user}:${encodeURIComponent(m.password)}@${m.host}:${m.port}/sealed_core_110_1`;
  h.jobs.scripts.healthcheck.runningPolls = 100_000;
  const { json } = await h.submit(spec(src));
  await waitFor(async () => (await h.progress(json.token)).step === 'healthcheck', 30_000, 'the healthcheck step');
  const history = await h.client.workflow.getHandle(json.token).fetchHistory();
  const { defaultPayloadConverter } = await import('@temporalio/common');
  const input = defaultPayloadConverter.fromPayload<HandoverInput>(
    history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0],
  );
  expect(input.sealed.src_uri).toMatch(/^sealed:v2:/);
  await h.app.inject({ method: 'POST', url: `/handovers/${json.token}/cancel` });
  await h.waitForStatus(json.token, 'cancelled');
  h.jobs.reset();
  // Another handover carrying the first one's sealed source: the activity refuses to open it.
  const thief = { ...input, token: `thief-${Date.now()}`, restart: undefined };
  await h.client.workflow.start('handoverWorkflow', { workflowId: thief.token, taskQueue: h.config.HANDOVER_TASK_QUEUE, args: [thief] });
  const done = await h.waitForStatus(thief.token, 'failed');
  expect(done.failure?.reason).toContain(`sealed credentials do not open for handover ${thief.token}`);
  // The thief's handover never reached a service with the password.
  expect(h.jobs.jobs.filter((j) => j.key?.startsWith(thief.token))).toEqual([]);
});

test('a batch survives its items: one item that fails or is refused never ends the others', async () => {
  h.jobs.reset();
  h.jobs.scripts.copy.outcomeFor = (input) => (String(input.source_db_uri).includes('survive_bad') ? 'failed' : undefined);
  const items = ['survive_a_core_110_1', 'survive_bad_core_110_1', 'survive_b_core_110_1'].map((name) => ({
    src_uri: h.sqliteSource(name),
    type: 'patch',
    comment: 'x',
  }));
  const res = await h.app.inject({ method: 'POST', url: '/batches', payload: { contact: 'survivor@example.org', handovers: items } });
  expect(res.statusCode).toBe(201);
  const { batch_id, tokens } = res.json();
  // Terminating the batch itself leaves its handovers running to their end.
  await waitFor(async () => (await h.progress(tokens[0]).catch(() => undefined))?.status === 'running', 30_000, 'the first handover');
  await h.client.workflow.getHandle(batch_id).terminate('testing');
  expect((await h.waitForStatus(tokens[0], 'completed')).status).toBe('completed');
  expect((await h.waitForStatus(tokens[1], 'failed')).failure?.step).toBe('copy');
  expect((await h.waitForStatus(tokens[2], 'completed')).status).toBe('completed');
});

test('without HANDOVER_SECRET_KEY, a worker or API that is not on the local stack fails at start', () => {
  expect(() => loadConfig({ TEMPORAL_ADDRESS: 'temporal.example.org:7233' })).toThrow(ConfigError);
  expect(() => loadConfig({ HANDOVER_COPY_URL: 'http://copy.example.org' })).toThrow('HANDOVER_SECRET_KEY: is required');
  expect(loadConfig({ HANDOVER_SECRET_KEY: 'k'.repeat(16), TEMPORAL_ADDRESS: 'temporal.example.org:7233' }).HANDOVER_SECRET_KEY).toBe(
    'k'.repeat(16),
  );
});
