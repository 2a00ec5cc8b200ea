/**
 * What the job services answer is hostile input (activities/service-answers.ts), on the real Temporal server:
 * Ensembl's JSON-string `details` read as an object (and still readable from a history recorded before that),
 * malformed answers failing their step at once with the field named, huge texts and counts clipped with a note,
 * and nothing recorded in history anywhere near Temporal's payload limits.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createMailer } from '../../activities/email';
import { createSealer } from '../../common/secrets';
import type { HandoverProgress, MetadataEvent } from '../../vocabulary';
import { type Harness, spec, startHarness } from '../helpers/harness';
import type { AnswerKind } from '../helpers/job-services';

/** The most any one payload of a handover's history may hold (Temporal warns at 512 KB, refuses at 2 MB). */
const PAYLOAD_BOUND = 128 * 1024;

let h: Harness;
let api: string;
beforeAll(async () => {
  h = await startHarness({ HANDOVER_SUBMIT_TIMEOUT: '30s' });
  api = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => h?.stop());
beforeEach(() => h.jobs.reset());

type Answer = Record<string, unknown>;
/** Rewrites the complete poll answer's output (the job's result), leaves every other answer as it is. */
const output =
  (rewrite: (output: Answer) => unknown) =>
  (kind: AnswerKind, answer: Answer): unknown =>
    kind === 'poll' && answer.status === 'complete' ? { ...answer, output: rewrite(answer.output as Answer) } : answer;

/** Ensembl's metadata updater: each event's details as a JSON string (MetadataUpdater.pm `to_hash`). */
const ensemblDetails = output((o) => ({
  ...o,
  events: (o.events as MetadataEvent[]).map((e) => ({ ...e, details: JSON.stringify(e.details) })),
}));

/** The largest payload in a workflow's history, in bytes. */
async function largestPayload(workflowId: string): Promise<number> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  let largest = 0;
  const walk = (value: unknown) => {
    if (value instanceof Uint8Array) largest = Math.max(largest, value.byteLength);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v);
  };
  walk(history.events);
  return largest;
}

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.resolve(__dirname, '../../bin/handover.cjs'), ...args],
      { env: { ...process.env, HANDOVER_API_URL: api } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function handover(name: string, status: HandoverProgress['status']): Promise<HandoverProgress> {
  const { statusCode, json } = await h.submit(spec(h.sqliteSource(name)));
  expect(statusCode).toBe(201);
  return h.waitForStatus(json.token, status);
}

const expectedDetails = { email: 'curator@example.org', comment: 'release 110 handover', current_database_list: [] };

test(
  "Ensembl's details (a JSON string): " + 'the handover completes; its API answer, web page data and CLI status show details as an object',
  async () => {
    h.jobs.scripts.metadata.answer = ensemblDetails;
    const done = await handover('ensembl_details_core_110_1', 'completed');
    expect(done.events).toEqual([{ type: 'new_assembly', genome: 'homo_sapiens', source: 'Handover', details: expectedDetails }]);
    // The web page reads the same answer (api/web/handover.js: GET /handovers/{token}).
    const page = await h.app.inject({ method: 'GET', url: `/handovers/${done.token}`, headers: { accept: 'application/json' } });
    expect(page.statusCode).toBe(200);
    expect(page.json().events[0].details).toEqual(expectedDetails);
    const status = await cli('status', done.token, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).events[0].details).toEqual(expectedDetails);
    // And the event service was handed the object.
    expect(h.jobs.jobsOf('event').find((j) => j.key?.startsWith(done.token))?.input.details).toEqual(expectedDetails);
  },
);

test('a handover recorded before the fix (its history holds the string details) still reads: 200, details as an object', async () => {
  // A worker with the old waitForMetadata: the service's events recorded as they came.
  h.jobs.scripts.metadata.answer = ensemblDetails;
  await h.stopWorker();
  const connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
  const activities = createActivities({
    serviceUrls: h.jobs.urls(),
    sealer: createSealer(h.config.HANDOVER_SECRET_KEY),
    mailer: createMailer(h.config.SMTP_URL, h.config.HANDOVER_MAIL_FROM),
    publicUrl: h.config.HANDOVER_PUBLIC_URL,
    temporalWebUrl: h.config.TEMPORAL_WEB_URL,
    namespace: h.config.TEMPORAL_NAMESPACE,
    reportLog: { write: () => undefined },
  });
  const old = await Worker.create({
    connection,
    taskQueue: h.config.HANDOVER_TASK_QUEUE,
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
    activities: {
      ...activities,
      async waitForMetadata(job: { id: string }) {
        const res = await fetch(`${h.jobs.url('metadata')}/jobs/${job.id}`);
        const answer = (await res.json()) as { status: string; output?: { events: MetadataEvent[] } };
        if (answer.status !== 'complete') throw new Error('still running');
        return { events: answer.output!.events };
      },
    },
  });
  try {
    const token = await old.runUntil(async () => {
      const { json } = await h.submit(spec(h.sqliteSource('recorded_string_core_110_1')));
      await h.client.workflow.getHandle(json.token).result();
      return json.token;
    });
    const history = JSON.stringify(await h.client.workflow.getHandle(token).fetchHistory());
    expect(history.length).toBeGreaterThan(0);
    const res = await h.app.inject({ method: 'GET', url: `/handovers/${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().events[0].details).toEqual(expectedDetails);
    expect((await cli('status', token, '--json')).code).toBe(0);
  } finally {
    await connection.close();
    await h.startWorker();
  }
});

test('a submission answered without a job_id fails its step at once, saying so (one submission, no retries)', async () => {
  h.jobs.scripts.copy.answer = (kind, answer) => (kind === 'submit' ? { id: answer.job_id } : answer);
  const done = await handover('no_job_id_core_110_1', 'failed');
  expect(done.failure).toMatchObject({ step: 'copy', kind: 'error', reason: "the copy service's answer to POST /jobs has no job_id" });
  expect(h.jobs.submissions.filter((s) => s.service === 'copy' && s.key?.startsWith(done.token))).toHaveLength(1);
  expect(h.jobs.jobsOf('metadata').filter((j) => j.key?.startsWith(done.token))).toHaveLength(0);
});

test('a poll answered with an unknown status fails the step at once, and the job is killed', async () => {
  h.jobs.scripts.copy.answer = (kind, answer) => (kind === 'poll' ? { ...answer, status: 'exploded' } : answer);
  const done = await handover('bad_status_core_110_1', 'failed');
  expect(done.failure).toMatchObject({
    step: 'copy',
    kind: 'error',
    reason: expect.stringMatching(/^the copy service's answer to GET \/jobs\/\d+ has a bad status: Invalid option/),
  });
  const job = h.jobs.jobsOf('copy').find((j) => j.key?.startsWith(done.token))!;
  expect(job.polls).toBe(1);
  expect(h.jobs.kills).toContainEqual({ service: 'copy', id: job.id });
});

test('a 50 MB answer is not read whole: the step fails, saying the answer is too large', async () => {
  const huge = JSON.stringify({ id: 1, status: 'running', progress: 'p'.repeat(50 * 1024 * 1024) });
  h.jobs.scripts.metadata.answer = (kind, answer) => (kind === 'poll' ? huge : answer);
  const done = await handover('huge_answer_core_110_1', 'failed');
  expect(done.failure!.reason).toMatch(/^the metadata service's answer to GET \/jobs\/\d+ is larger than 8 MiB \(not read past that\)$/);
});

test(
  'a 2 MB check message: the handover fails with its problems, the message clipped with a note; ' + 'no payload in history over the bound',
  async () => {
    h.jobs.scripts.healthcheck.answer = output((o) => ({
      ...o,
      status: 'failed',
      results: { Huge: { status: 'failed', messages: [`${'m'.repeat(2 * 1024 * 1024)}`] } },
    }));
    const done = await handover('huge_message_core_110_1', 'failed');
    expect(done.failure).toMatchObject({
      step: 'healthcheck',
      kind: 'problems',
      checks: [{ check: 'Huge', messages: [expect.stringMatching(/… \[clipped: 2,097,152 characters, kept \d[\d,]*\]$/)] }],
    });
    expect(done.failure!.checks![0].messages[0].length).toBeLessThan(1100);
    expect(await largestPayload(done.token)).toBeLessThan(PAYLOAD_BOUND);
  },
);

test('100k failed checks: 50 kept and the rest counted; no payload in history over the bound', async () => {
  const results = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`c${i}`, { status: 'failed', messages: [`m${i}`] }]));
  h.jobs.scripts.healthcheck.answer = output((o) => ({ ...o, status: 'failed', results }));
  const done = await handover('many_checks_core_110_1', 'failed');
  expect(done.failure!.checks).toHaveLength(51);
  expect(done.failure!.checks!.at(-1)).toEqual({ check: '[99,950 more failed checks not kept]', messages: [] });
  expect(await largestPayload(done.token)).toBeLessThan(PAYLOAD_BOUND);
});

test('a 1 MB genome and 1 MB of details: the handover completes with both clipped; no payload in history over the bound', async () => {
  h.jobs.scripts.metadata.answer = output((o) => ({
    ...o,
    events: (o.events as MetadataEvent[]).map((e) => ({
      ...e,
      genome: 'g'.repeat(1024 * 1024),
      details: JSON.stringify({ ...e.details, comment: 'c'.repeat(1024 * 1024) }),
    })),
  }));
  const done = await handover('huge_event_core_110_1', 'completed');
  const [event] = done.events!;
  expect(event.genome).toMatch(/^g+… \[clipped: 1,048,576 characters, kept \d[\d,]*\]$/);
  expect(event.details).toMatchObject({ email: 'curator@example.org', comment: expect.stringMatching(/\[clipped: 1,048,576 characters/) });
  expect(await largestPayload(done.token)).toBeLessThan(PAYLOAD_BOUND);
});

test('/health/ready asks each service its cheap GET /health, never its job list', async () => {
  const before = h.jobs.healthProbes.length;
  const res = await h.app.inject({ method: 'GET', url: '/health/ready' });
  expect(res.statusCode).toBe(200);
  expect(h.jobs.healthProbes.slice(before).sort()).toEqual(['copy', 'event', 'healthcheck', 'metadata']);
  expect(h.jobs.jobLists).toEqual([]);
});
