/**
 * The worker as a real process (`npm run worker`'s entry point): killed with SIGKILL in the middle of a
 * wait and started again, the handover completes with exactly one job per step. SIGTERM stops it cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

const ROOT = path.resolve(__dirname, '../..');
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ HANDOVER_REQUEST_TIMEOUT: '2s' }, { worker: false });
});
afterAll(async () => h?.stop());

/** One process (node --import tsx), so SIGKILL kills the worker itself, not a wrapper around it. */
async function startWorkerProcess(env: Record<string, string> = {}): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...h.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  await waitFor(
    () => output.includes('Handover worker polling') || (child.exitCode !== null && Promise.reject(new Error(output))),
    90_000,
    'the worker process to start',
  );
  return { child, output: () => output };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));

test('a worker killed mid-wait and restarted: the handover completes, one job per step', async () => {
  h.jobs.scripts.copy.runningPolls = 100_000;
  const first = await startWorkerProcess();
  const { json } = await h.submit(spec(h.sqliteSource('restart_core_110_1')));
  await waitFor(() => h.jobs.jobsOf('copy').length === 1, 60_000, 'the copy job');
  await new Promise((r) => setTimeout(r, 500)); // a few polls of the running copy

  first.child.kill('SIGKILL');
  expect(await exited(first.child)).toBeNull(); // killed by the signal, not exited
  h.jobs.jobsOf('copy')[0].pollsLeft = 2; // the copy finishes while no worker runs
  expect((await h.client.workflow.getHandle(json.token).describe()).status.name).toBe('RUNNING');

  // The second starts from the prebuilt workflow bundle (as production workers do: npm run build:bundle).
  const second = await startWorkerProcess({ HANDOVER_WORKFLOW_BUNDLE: process.env.TEST_WORKFLOW_BUNDLE! });
  expect(second.output()).toContain(`workflows from the bundle ${process.env.TEST_WORKFLOW_BUNDLE}`);
  expect(first.output()).toContain('workflows bundled at start');
  try {
    const done = await h.waitForStatus(json.token, 'completed', 120_000);
    expect(done.timeline.map((t) => t.outcome)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
    for (const step of ['healthcheck', 'copy', 'metadata', 'event:0']) {
      expect(h.jobs.submissions.filter((s) => s.key === `${json.token}:${step}`)).toHaveLength(1);
    }
    expect(h.jobs.jobs).toHaveLength(4);
    await h.smtp.waitForSubject('restart_core_110_1');
  } finally {
    // SIGTERM: the worker drains and exits cleanly.
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
    expect(second.output()).toContain('Handover worker stopped');
  }
});
