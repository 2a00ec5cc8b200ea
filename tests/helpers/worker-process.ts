/**
 * The worker as a real process (`npm run worker`'s entry point, worker/main.ts), for fault injection:
 * one process (node --import tsx), so SIGKILL kills the worker itself, not a wrapper around it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { FinalAnswer, waitFor } from './wait';

const ROOT = path.resolve(__dirname, '../..');

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** The identity Temporal records for it (the SDK's default, `<pid>@<host>`): pending activities' `lastWorkerIdentity`. */
  identity: string;
  output(): string;
  /** Resolves when the process has exited, with its code, or the signal that ended it. */
  exited: Promise<WorkerExit>;
  alive(): boolean;
}

const started: WorkerProcess[] = [];

/**
 * Starts worker/main.ts with the harness env; resolves once it polls its task queue. Its metrics are served
 * on a free port (HANDOVER_WORKER_METRICS_PORT=0), so several can run at once, and it starts from the global
 * setup's workflow bundle (HANDOVER_WORKFLOW_BUNDLE), not bundling workflows/ again itself.
 */
export async function startWorkerProcess(
  env: Record<string, string>,
  opts: { timeoutMs?: number; args?: string[] } = {},
): Promise<WorkerProcess> {
  // The sources with tsx's loader, or (args) the compiled worker: ['dist/js/worker/main.js'].
  const child = spawn(process.execPath, opts.args ?? ['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HANDOVER_WORKER_METRICS_PORT: '0',
      ...(process.env.TEST_WORKFLOW_BUNDLE ? { HANDOVER_WORKFLOW_BUNDLE: process.env.TEST_WORKFLOW_BUNDLE } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<WorkerExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const worker: WorkerProcess = {
    child,
    pid: child.pid!,
    identity: `${child.pid}@${os.hostname()}`,
    output: () => output,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
  started.push(worker);
  await waitFor(
    () => {
      if (!worker.alive()) throw new FinalAnswer(`the worker process exited before it polled:\n${output}`);
      return output.includes('Handover worker polling');
    },
    opts.timeoutMs ?? 180_000,
    () => `the worker process to start; output so far:\n${output}`,
  );
  return worker;
}

/** SIGKILLs every worker process started here that still runs (for afterAll). */
export async function killWorkerProcesses(): Promise<void> {
  const running = started.filter((w) => w.alive());
  for (const w of running) w.child.kill('SIGKILL');
  await Promise.all(running.map((w) => w.exited));
}
