/**
 * Bounded crash loops of the local stack, with real processes: `services/main.ts` runs in a child process
 * (tests/helpers/stack-process.ts, as `npm start` runs it), and the test restarts the child each time it dies, as a supervisor would.
 *
 * - A job whose work takes the process down (the test hook LOCAL_STACK_CRASH_ON, honoured only with
 *   LOCAL_STACK_TEST_HOOKS=1, makes the job with that Idempotency-Key exit the process with code 70) is started
 *   3 times, then failed with a clear reason; the process then stays up and later jobs complete.
 * - A normal job interrupted by SIGKILL resumes at the next start and completes: one job, started twice.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createDemoDatabase } from '../../services/demo';
import { manyTables } from '../helpers/databases';
import { type StackExit, type StackProcess, killStartedStacks, signalStack, startStackProcess } from '../helpers/stack-process';
import { waitFor } from '../helpers/wait';

const dirs: string[] = [];
type Exit = StackExit;

afterAll(() => {
  killStartedStacks();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const signal = signalStack;
const startStack = (dataDir: string, env: Record<string, string>) => startStackProcess(dataDir, env, { timeoutMs: 30_000 });

const alive = (p: StackProcess) => p.child.exitCode === null && p.child.signalCode === null;

async function post(url: string, body: unknown, key?: string): Promise<number> {
  const res = await fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { job_id?: number; error?: string };
  if (res.status !== 201) throw new Error(`POST ${url}/jobs: ${res.status} ${JSON.stringify(json)}`);
  return json.job_id!;
}

interface JobAnswer {
  id: number;
  status: string;
  progress?: { tables_done?: number; tables?: number };
  output?: { status?: string; tables?: Record<string, number> };
}
const job = async (url: string, id: number) => (await fetch(`${url}/jobs/${id}`)).json() as Promise<JobAnswer>;
const finished = (url: string, id: number) =>
  waitFor(
    async () => ((j) => (['complete', 'failed'].includes(j.status) ? j : undefined))(await job(url, id)),
    60_000,
    `job ${id} at ${url}`,
  );

/** What the job store file says of a service's jobs (read-only; the store's own record of starts). */
function storedJobs(
  dataDir: string,
  service: string,
): Array<{ id: number; status: string; attempts: number; started_at: string | null; failure: string | null }> {
  const db = new DatabaseSync(path.join(dataDir, 'jobs', `${service}-jobs.sqlite`), { readOnly: true });
  try {
    return db.prepare('SELECT id, status, attempts, started_at, failure FROM jobs ORDER BY id').all() as unknown as ReturnType<
      typeof storedJobs
    >;
  } finally {
    db.close();
  }
}

test(
  'a job that crashes its process is started 3 times, then failed with the reason; ' + 'the process stays up and other jobs complete',
  async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-crash-loop-'));
    dirs.push(dir);
    const dataDir = path.join(dir, 'stack');
    const uri = `sqlite:///${dir}/capra_hircus_core_110_1.sqlite`;
    await createDemoDatabase(uri, { genes: 100 });
    const env = { LOCAL_STACK_TEST_HOOKS: '1', LOCAL_STACK_CRASH_ON: 'crash-me', LOCAL_STACK_BACKOFF_MS: '200' };
    console.log(
      `injected: LOCAL_STACK_CRASH_ON=crash-me (test hook): the healthcheck job submitted with Idempotency-Key crash-me exits its ` +
        `process with code 70 each time it starts; the test restarts the process whenever it dies (at most 5 times); limit: ` +
        `the default 3 starts, backoff 200 ms x 4^(starts-1)`,
    );

    let stack = await startStack(dataDir, env);
    const id = await post(stack.urls.healthcheck, { db_uri: uri }, 'crash-me');
    const exits: Exit[] = [];
    let restarts = 0;
    // Restart the process each time it dies, until the job has ended (or 5 restarts: the loop was not bounded).
    for (;;) {
      const current = stack;
      const outcome = await waitFor(
        async () => {
          if (!alive(current)) return { exit: await current.exited };
          const j = await job(current.urls.healthcheck, id).catch(() => undefined); // refused while it dies
          return j && ['complete', 'failed'].includes(j.status) ? { ended: j } : undefined;
        },
        60_000,
        'the crashing job to end or its process to die',
      );
      if ('ended' in outcome) break;
      exits.push(outcome.exit);
      expect(restarts).toBeLessThan(5);
      restarts++;
      stack = await startStack(dataDir, env);
    }

    const failures = (await (await fetch(`${stack.urls.healthcheck}/jobs/${id}?format=failures`)).json()) as { msg: string };
    const [stored] = storedJobs(dataDir, 'healthcheck');
    console.log(
      `found: ${exits.length} process exits (${exits.map((e) => e.signal ?? e.code).join(', ')}), ${restarts} restarts; ` +
        `job ${id}: ${(await job(stack.urls.healthcheck, id)).status}, attempts ${stored.attempts}; ?format=failures: ${failures.msg}`,
    );
    expect(exits).toEqual([
      { code: 70, signal: null },
      { code: 70, signal: null },
      { code: 70, signal: null },
    ]);
    expect(restarts).toBe(3);
    expect(stored).toMatchObject({ id, status: 'failed', attempts: 3 });
    expect(failures.msg).toBe(
      `the job was started 3 times and did not finish: it crashed its service each time (last start ${stored.started_at}); ` +
        `not started again`,
    );
    expect(stored.started_at).toMatch(/^\d{4}-\d\d-\d\dT/);

    // The process stays up (longer than any backoff), and jobs submitted now complete.
    await new Promise((r) => setTimeout(r, 2000));
    expect(alive(stack)).toBe(true);
    const healthcheck = await post(stack.urls.healthcheck, { db_uri: uri, hc_groups: ['meta'] }, 'after-the-loop');
    const copy = await post(stack.urls.copy, {
      source_db_uri: uri,
      target_db_uri: `sqlite:///${dir}/staging/capra_hircus_core_110_1.sqlite`,
    });
    const [hcDone, copyDone] = await Promise.all([finished(stack.urls.healthcheck, healthcheck), finished(stack.urls.copy, copy)]);
    console.log(
      `found after the loop: healthcheck job ${healthcheck} ${hcDone.status} (${hcDone.output?.status}), ` +
        `copy job ${copy} ${copyDone.status}; process alive: ${alive(stack)}`,
    );
    expect(hcDone).toMatchObject({ status: 'complete', output: { status: 'passed' } });
    expect(copyDone.status).toBe('complete');
    expect(existsSync(`${dir}/staging/capra_hircus_core_110_1.sqlite`)).toBe(true);
    expect(alive(stack)).toBe(true);
    expect(storedJobs(dataDir, 'healthcheck').map((j) => [j.id, j.status, j.attempts])).toEqual([
      [id, 'failed', 3],
      [healthcheck, 'complete', 1],
    ]);
    signal(stack.child, 'SIGTERM');
    expect(await stack.exited).toEqual({ code: 0, signal: null });
  },
);

test('a normal job interrupted by SIGKILL resumes at the next start and completes: one job, started twice', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-crash-loop-'));
  dirs.push(dir);
  const dataDir = path.join(dir, 'stack');
  const src = `${dir}/big_core_110_1.sqlite`;
  manyTables(src, 2000, 400); // a few seconds of copying: long enough to be killed half-way
  const target = `${dir}/staging/big_core_110_1.sqlite`;
  const env = { LOCAL_STACK_BACKOFF_MS: '200' };

  let stack = await startStack(dataDir, env);
  // Chosen tables (skip_tables): copied one by one, with progress per table (a whole database is a copy of the file).
  const id = await post(
    stack.urls.copy,
    { source_db_uri: `sqlite:///${src}`, target_db_uri: `sqlite:///${target}`, skip_tables: ['meta'] },
    'copy-big-1',
  );
  const midway = await waitFor(
    async () => {
      const j = await job(stack.urls.copy, id);
      if (j.status !== 'running') throw new Error(`the copy ended (${j.status}) before it could be killed half-way`);
      return (j.progress?.tables_done ?? 0) >= 50 ? j : undefined;
    },
    30_000,
    'the copy to be under way',
  );
  signal(stack.child, 'SIGKILL');
  const exit = await stack.exited;
  const [interrupted] = storedJobs(dataDir, 'copy');
  console.log(
    `injected: SIGKILL of the stack process during copy job ${id} (${midway.progress?.tables_done}/${midway.progress?.tables} tables); ` +
      `the store then says: ${interrupted.status}, attempts ${interrupted.attempts}`,
  );
  expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
  expect(interrupted).toMatchObject({ id, status: 'running', attempts: 1 });
  expect(existsSync(target)).toBe(false);

  stack = await startStack(dataDir, env);
  const restarted = stack;
  const done = await finished(restarted.urls.copy, id).catch((err: Error) => {
    throw new Error(`${err.message}; the stack said:\n${restarted.output()}`);
  });
  const jobs = (await (await fetch(`${stack.urls.copy}/jobs`)).json()) as JobAnswer[];
  const stored = storedJobs(dataDir, 'copy');
  console.log(
    `found: copy job ${id} ${done.status} after the restart (${Object.keys(done.output?.tables ?? {}).length} tables); ` +
      `jobs in the copy service: ${jobs.length}; attempts ${stored[0]?.attempts}`,
  );
  expect(done.status).toBe('complete');
  expect(Object.keys(done.output!.tables!)).toHaveLength(2000); // every table but meta
  expect(jobs.map((j) => j.id)).toEqual([id]);
  expect(stored.map((j) => [j.id, j.status, j.attempts])).toEqual([[id, 'complete', 2]]);
  expect(existsSync(target)).toBe(true);
  signal(stack.child, 'SIGTERM');
  expect(await stack.exited).toEqual({ code: 0, signal: null });
});
