/** One handover per target database at a time: a real lock, not a list query. */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';
import { handoverReads } from '../../api/gateway/read';
import { databaseKey } from '../../core/db-uri';
import { lockWorkflowId } from '../../vocabulary';
import { databaseLockWorkflow } from '../../workflows/lock';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

test('a second handover of a database being handed over is refused with the running token (409)', async () => {
  h.jobs.scripts.healthcheck.runningPolls = 3; // each poll is ~1 s: Temporal paces retries in whole seconds
  const src = h.sqliteSource('dup_core_110_1');
  const first = await h.submit(spec(src));
  expect(first.statusCode).toBe(201);

  const second = await h.submit(spec(src, { comment: 'again' }));
  expect(second.statusCode).toBe(409);
  expect(second.json).toEqual({ error: 'a handover of this database is already running', token: first.json.token });
  // Nothing was started for the refused one: still a single handover of that database.
  const list = await h.app.inject({ method: 'GET', url: '/handovers?database=dup_core_110_1' });
  expect(list.json().handovers.map((r: { token: string }) => r.token)).toEqual([first.json.token]);

  // Same target reached through an explicit tgt_uri, from another copy of the source: the same lock.
  const elsewhere = path.join(h.dir, 'elsewhere');
  mkdirSync(elsewhere, { recursive: true });
  copyFileSync(src.replace('sqlite:///', ''), path.join(elsewhere, 'dup_core_110_1.sqlite'));
  const third = await h.submit(
    spec(`sqlite:///${elsewhere}/dup_core_110_1.sqlite`, { tgt_uri: (await h.progress(first.json.token)).spec.tgt_uri }),
  );
  expect(third.statusCode).toBe(409);

  // Once the first has ended, the database can be handed over again.
  await h.waitForStatus(first.json.token, 'completed');
  h.jobs.scripts.healthcheck.runningPolls = 1;
  let again = await h.submit(spec(src, { comment: 'again, later' }));
  for (let i = 0; again.statusCode === 409 && i < 50; i++) {
    // The lock closes a moment after the handover's last step (its email).
    await new Promise((r) => setTimeout(r, 100));
    again = await h.submit(spec(src, { comment: 'again, later' }));
  }
  expect(again.statusCode).toBe(201);
  await h.waitForStatus(again.json.token, 'completed');
});

test('two submissions at the same moment: exactly one starts', async () => {
  h.jobs.scripts.healthcheck.runningPolls = 2;
  const src = h.sqliteSource('race_core_110_1');
  const answers = await Promise.all([1, 2, 3, 4].map((i) => h.submit(spec(src, { comment: `try ${i}` }))));
  const codes = answers.map((a) => a.statusCode).sort();
  expect(codes).toEqual([201, 409, 409, 409]);
  const winner = answers.find((a) => a.statusCode === 201)!.json.token;
  for (const a of answers.filter((a) => a.statusCode === 409)) expect(a.json.token).toBe(winner);
  await h.waitForStatus(winner, 'completed');
});

/** Starts a batch of one database; returns its item's token. */
async function batchOf(src: string): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/batches',
    payload: { contact: 'batcher@example.org', handovers: [{ src_uri: src, type: 'patch', comment: 'in a batch' }] },
  });
  expect(res.statusCode).toBe(201);
  const [token] = res.json().tokens as string[];
  // The batch starts the lock, which starts the handover: wait for it to exist.
  await waitFor(() => h.progress(token), 30_000, `batch item ${token}`);
  return token;
}

test("a database held by a batch's handover: a single submission is refused with that handover's token (409)", async () => {
  h.jobs.reset();
  h.jobs.scripts.copy.holdFor = (job) => (String(job.input.source_db_uri).includes('batch_held_core_110_1') ? 'wait' : undefined);
  const src = h.sqliteSource('batch_held_core_110_1');
  const token = await batchOf(src);
  await waitFor(() => h.jobs.held().length > 0, 30_000, 'the copy job to be held');

  const single = await h.submit(spec(src, { comment: 'alone' }));
  expect(single.statusCode).toBe(409);
  expect(single.json).toEqual({ error: 'a handover of this database is already running', token });

  h.jobs.release();
  await h.waitForStatus(token, 'completed');
});

test("a restart blocked by a batch's lock waits for it, as one blocked by a single submission's lock does", async () => {
  h.jobs.reset();
  h.jobs.scripts.copy.outcome = 'failed';
  const src = h.sqliteSource('batch_restart_core_110_1');
  // The failure email is answered late: meanwhile the failed handover still holds its database.
  let answer = () => {};
  h.smtp.answerAfter = new Promise<void>((resolve) => (answer = resolve));
  // Once the restart has met the lock (a start refused as already started), the email is answered and the lock goes.
  const startWorkflow = h.client.workflow.start.bind(h.client.workflow);
  let refused = 0;
  const start = jest.spyOn(h.client.workflow, 'start').mockImplementation(async (...args) => {
    try {
      return await startWorkflow(...args);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError && ++refused === 1) answer();
      throw err;
    }
  });
  try {
    const token = await batchOf(src);
    await h.waitForStatus(token, 'failed');
    await waitFor(
      () => h.smtp.received.some((m) => m.subject?.includes('batch_restart_core_110_1')),
      30_000,
      'the failure email to reach the SMTP server',
    );
    expect(h.smtp.messages.filter((m) => m.subject?.includes('batch_restart_core_110_1'))).toHaveLength(0);
    h.jobs.scripts.copy.outcome = 'complete';

    const res = await h.app.inject({ method: 'POST', url: `/handovers/${token}/restart`, payload: {} });
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(res.statusCode).toBe(201);
    expect(res.json().restarted_from).toBe(token);
    await h.waitForStatus(res.json().token, 'completed');
  } finally {
    start.mockRestore();
    answer();
    h.smtp.answerAfter = undefined;
  }
});

test('a lock started without the memo (by an older release): a submission is refused with its holder, asked of the lock', async () => {
  h.jobs.reset();
  const src = h.sqliteSource('old_lock_core_110_1');
  const first = await h.submit(spec(src));
  await h.waitForStatus(first.json.token, 'completed');
  // The same database handed over again under a lock as an older release started one: no memo. (A SQLite source
  // has no credentials to seal, so the input is reused under a new token.) Its copy is held, so the lock stays taken.
  h.jobs.scripts.copy.holdFor = (job) => (String(job.input.source_db_uri).includes('old_lock_core_110_1') ? 'wait' : undefined);
  const input = await handoverReads(h.client).originalInput(first.json.token);
  expect(input.sealed).toEqual({});
  const holder = randomUUID();
  const lockId = lockWorkflowId(databaseKey(input.spec.tgt_uri));
  await h.client.workflow.getHandle(lockId).result(); // the first handover's lock, released
  await h.client.workflow.start(databaseLockWorkflow, {
    workflowId: lockId,
    taskQueue: h.config.HANDOVER_TASK_QUEUE,
    args: [{ lockKey: lockId, handover: { ...input, token: holder } }],
  });
  await waitFor(() => h.jobs.held().length > 0, 30_000, 'the copy job to be held');

  const blocked = await h.submit(spec(src, { comment: 'again' }));
  expect(blocked.statusCode).toBe(409);
  expect(blocked.json).toEqual({ error: 'a handover of this database is already running', token: holder });

  h.jobs.release();
  await h.client.workflow.getHandle(lockId).result();
});
