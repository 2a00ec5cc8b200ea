/**
 * A job service restarted mid-job: the job is found again and finishes. A handover through the real local stack,
 * run as a child process (tests/helpers/stack-process.ts) on fixed ports; the stack is SIGKILLed half-way through
 * the copy of a SQLite source of 2,000 tables, kept down for several poll intervals, and started again on the
 * same data folder and ports. The handover completes; the copy is the same job (one job, started twice); the
 * target has every row of the source.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sqliteCounts } from '../helpers/databases';
import { type Harness, spec, startHarness, serviceUrlsEnv } from '../helpers/harness';
import {
  MB,
  STACK_SERVICES,
  type StackProcess,
  type StackService,
  bigSqliteTable,
  killStartedStacks,
  stackPorts,
  startStackProcess,
} from '../helpers/stack-process';
import { waitFor } from '../helpers/wait';

const POLL_MAX_INTERVAL_MS = 300; // the harness's HANDOVER_POLL_MAX_INTERVAL
const DOWN_MS = 10 * POLL_MAX_INTERVAL_MS;

let base: string;
let stagingDir: string;
let dataDir: string;
let ports: Record<StackService, number>;
let stack: StackProcess;
let h: Harness;
/** Only what this test chooses; LOCAL_STACK_TARGET_ROOTS: the copy service may write to the staging folder alone. */
let stackEnv: Record<string, string>;

beforeAll(async () => {
  base = mkdtempSync(path.join(os.tmpdir(), 'handover-stack-restart-'));
  stagingDir = path.join(base, 'staging');
  mkdirSync(stagingDir);
  dataDir = path.join(base, 'services');
  ports = await stackPorts();
  stackEnv = { LOCAL_STACK_TARGET_ROOTS: `sqlite:///${stagingDir}/`, LOCAL_STACK_BACKOFF_MS: '200' };
  stack = await startStackProcess(dataDir, stackEnv, { ports });
  h = await startHarness({
    ...serviceUrlsEnv(stack.urls),
    HANDOVER_STAGING_URI: `sqlite:///${stagingDir}/`,
    HANDOVER_POLL_MAX_INTERVAL: `${POLL_MAX_INTERVAL_MS}ms`,
  });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  if (stack?.alive()) await stack.kill('SIGTERM');
  killStartedStacks();
  if (base) rmSync(base, { recursive: true, force: true });
});

/** A service's jobs as its store file records them (read-only): the stack's own record of keys and starts. */
function storedJobs(service: StackService): Array<{ id: number; idem_key: string | null; status: string; attempts: number }> {
  const db = new DatabaseSync(path.join(dataDir, 'jobs', `${service}-jobs.sqlite`), { readOnly: true });
  try {
    return db.prepare('SELECT id, idem_key, status, attempts FROM jobs ORDER BY id').all() as unknown as ReturnType<typeof storedJobs>;
  } finally {
    db.close();
  }
}

interface CopyJob {
  id: number;
  status: string;
  progress?: { tables_done?: number; tables?: number };
}
const copyJob = async (id: string) => (await fetch(`${stack.urls.copy}/jobs/${id}`)).json() as Promise<CopyJob>;

test(
  'the local stack SIGKILLed mid-copy and started again on the same data and ports: ' + 'the copy job is found again and finishes',
  async () => {
    const name = 'bos_taurus_variation_110_13';
    const file = path.join(base, `${name}.sqlite`);
    // A whole database is copied as a file: 1.5 GB takes a second or two here, long enough to be killed half-way.
    bigSqliteTable(file, 1500 * MB);
    const sourceCounts = sqliteCounts(file);
    const { statusCode, json } = await h.submit(spec(`sqlite:///${file}`));
    expect(statusCode).toBe(201);
    const token = json.token;

    // The copy job, under way.
    const id = await waitFor(
      async () => (await h.progress(token)).timeline.find((t) => t.step === 'copy')?.jobs[0]?.id,
      120_000,
      'the copy job',
    );
    /** How far the copy's temporary file has grown (in its private folder in staging). */
    const copied = () => {
      const folder = readdirSync(stagingDir).find((e) => e.startsWith(`.${name}.sqlite.copying-`));
      const temp = folder && path.join(stagingDir, folder, `${name}.sqlite`);
      return temp && existsSync(temp) ? statSync(temp).size : 0;
    };
    const midway = await waitFor(
      async () => {
        const j = await copyJob(id);
        if (j.status !== 'running' && j.status !== 'submitted')
          throw new Error(`the copy ended (${j.status}) before it could be killed half-way`);
        const bytes = copied();
        return bytes > 0 ? { ...j, bytes } : undefined;
      },
      60_000,
      'the copy to be under way',
    );
    const urlsBefore = stack.urls;
    const exit = await stack.kill('SIGKILL');
    const [interrupted] = storedJobs('copy');
    console.log(
      `injected: SIGKILL of the local stack (process group) during copy job ${id} of handover ${token} (${(midway.bytes / MB).toFixed(0)}` +
        ` of ${(statSync(file).size / MB).toFixed(0)} MB copied); ` +
        `exit ${exit.signal ?? exit.code}; the store then says ${interrupted.status}, attempts ${interrupted.attempts}; ` +
        `kept down ${DOWN_MS} ms (${DOWN_MS / POLL_MAX_INTERVAL_MS} poll intervals)`,
    );
    expect(exit.signal).toBe('SIGKILL');

    // Down: the handover keeps waiting, its polls refused.
    await new Promise((r) => setTimeout(r, DOWN_MS));
    const whileDown = await h.progress(token);
    console.log(`while down: ${whileDown.status}/${whileDown.step}; last word: ${whileDown.job_progress}`);
    expect(whileDown).toMatchObject({ status: 'running', step: 'copy' });

    stack = await startStackProcess(dataDir, stackEnv, { ports });
    const restarted = stack;
    expect(stack.urls).toEqual(urlsBefore);
    const done = await h.waitForStatus(token, 'completed', 300_000).catch((err: Error) => {
      throw new Error(`${err.message}; the restarted stack said:\n${restarted.output()}`);
    });

    const copyJobs = done.timeline.find((t) => t.step === 'copy')!.jobs;
    const listed = (await (await fetch(`${stack.urls.copy}/jobs`)).json()) as CopyJob[];
    const stored = Object.fromEntries(STACK_SERVICES.map((s) => [s, storedJobs(s)])) as Record<StackService, ReturnType<typeof storedJobs>>;
    const perStep = STACK_SERVICES.map(
      (s) => stored[s].filter((j) => j.idem_key === `${token}:${s}` || j.idem_key?.startsWith(`${token}:${s}:`)).length,
    );
    const duplicateJobs = perStep.reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    const targetCounts = sqliteCounts(path.join(stagingDir, `${name}.sqlite`));
    const mismatched = Object.keys(sourceCounts).filter((t) => targetCounts[t] !== sourceCounts[t]);
    await h.smtp.waitForSubject(name, 60_000);
    await new Promise((r) => setTimeout(r, 1000)); // room for a second email, were one coming
    const mails = h.smtp.messages.filter((m) => m.subject?.startsWith(`Handover of ${name} `)).map((m) => m.subject);
    const completed = done.status === 'completed' && !done.failure ? 1 : 0;
    const lost = 1 - completed + perStep.filter((n) => n === 0).length + (mismatched.length ? 1 : 0);
    console.log(
      `found: handover ${done.status}; copy jobs on its timeline: ${copyJobs.map((j) => j.id).join(', ')} (the one killed: ${id}); ` +
        `jobs the copy service lists: ${listed.map((j) => `${j.id} ${j.status}`).join(', ')}; ` +
        `copy store: ${stored.copy.map((j) => `job ${j.id} ${j.status}, started ${j.attempts} times`).join('; ')}; ` +
        `jobs per step (${STACK_SERVICES.join(', ')}): ${perStep.join('/')}; ` +
        `target: ${Object.keys(targetCounts).length} tables, ${Object.values(targetCounts).reduce((a, b) => a + b, 0)} ` +
        `rows, ${mismatched.length} tables differing from the source (${Object.keys(sourceCounts).length} tables); ` +
        `emails: ${mails.join(' | ')}`,
    );
    console.log(`fault: stack SIGKILL mid-copy; handovers: 1; completed: ${completed}; duplicate jobs: ${duplicateJobs}; lost: ${lost}`);

    expect(done.status).toBe('completed');
    expect(copyJobs.map((j) => j.id)).toEqual([id]);
    expect(listed.map((j) => String(j.id))).toEqual([id]);
    expect(stored.copy.map((j) => [String(j.id), j.status, j.attempts])).toEqual([[id, 'complete', 2]]);
    expect(perStep).toEqual([1, 1, 1, 1]);
    expect(targetCounts).toEqual(sourceCounts);
    expect(mails).toEqual([`Handover of ${name} completed`]);
    expect(duplicateJobs).toBe(0);
    expect(lost).toBe(0);
  },
  600_000,
);
