/**
 * The real Temporal dev server for tests: the same CLI binary temporal-dev.sh installs, started on
 * free ports with our search attributes, waited for until it answers (no 5 s start-up limit).
 *
 * By default its state is in memory (the global setup's shared server). With `dbFile` it is kept in
 * that SQLite file (`--db-filename`), so `restart()` (stop, then start again on the same ports and
 * file) brings back every workflow: tests/faults/temporal-restart.test.ts.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort, startOnFreePorts } from './ports';
import { registeredSearchAttributes } from './search-attributes';
import { FinalAnswer, waitFor } from './wait';

const ROOT = path.resolve(__dirname, '../..');

export function temporalCli(): string {
  const out = execFileSync(path.join(ROOT, 'temporal-dev.sh'), ['--install-only'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

export interface TemporalServerOptions {
  /** Serve the Web UI (on `uiUrl`); default headless. */
  ui?: boolean;
  /** Keep the server's state in this SQLite file (`--db-filename`), so it survives a restart; default: in memory. */
  dbFile?: string;
  /** The gRPC port; default: a free one. */
  port?: number;
}

export type StopSignal = 'SIGTERM' | 'SIGKILL';

/** What a restart did, as measured here. */
export interface TemporalRestart {
  signal: StopSignal;
  /** From the signal to the process's exit. */
  stoppedInMs: number;
  /** From the process's exit to the new process's start. */
  downMs: number;
  /** From the new process's start until it answered getSystemInfo. */
  answeredInMs: number;
}

export interface TemporalServer {
  address: string;
  port: number;
  uiUrl: string;
  cli: string;
  dbFile?: string;
  /** The server's process: a new one after each restart. */
  process: ChildProcess;
  /** Stops the server (SIGTERM by default: a clean stop; SIGKILL: a crash) and waits for its process to exit. */
  stop(signal?: StopSignal): Promise<void>;
  /**
   * Stops the server, keeps it down `downMs`, then starts it again on the same ports and database file and
   * waits until it answers. Without `dbFile` the restarted server has lost everything (its state was in memory).
   */
  restart(opts?: { signal?: StopSignal; downMs?: number }): Promise<TemporalRestart>;
}

export async function startTemporalServer(opts: TemporalServerOptions = {}): Promise<TemporalServer> {
  const cli = temporalCli();
  return startOnFreePorts(() => startDevServer(cli, opts));
}

interface Ports {
  port: number;
  uiPort: number;
  httpPort: number;
  metricsPort: number;
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

async function startDevServer(cli: string, opts: TemporalServerOptions): Promise<TemporalServer> {
  const ports = new Set<number>(opts.port ? [opts.port] : []);
  while (ports.size < 4) ports.add(await freePort());
  const [port, uiPort, httpPort, metricsPort] = [...ports];
  const chosen: Ports = { port, uiPort, httpPort, metricsPort };
  const address = `127.0.0.1:${port}`;
  const server: TemporalServer = {
    address,
    port,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    cli,
    dbFile: opts.dbFile,
    process: await launch(cli, opts, chosen),
    async stop(signal: StopSignal = 'SIGTERM') {
      const child = server.process;
      if (exited(child)) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await gone;
    },
    async restart({ signal = 'SIGTERM', downMs = 0 } = {}) {
      const t0 = Date.now();
      await server.stop(signal);
      const t1 = Date.now();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      const t2 = Date.now();
      // The same ports (clients reconnect to the same address) and the same file (the same state).
      server.process = await launch(cli, opts, chosen);
      return { signal, stoppedInMs: t1 - t0, downMs: t2 - t1, answeredInMs: Date.now() - t2 };
    },
  };
  return server;
}

/** Starts one dev server process and resolves once it answers; FinalAnswer if it exits first (a port taken, say). */
async function launch(cli: string, opts: TemporalServerOptions, { port, uiPort, httpPort, metricsPort }: Ports): Promise<ChildProcess> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--log-level',
    'error',
  ];
  if (opts.ui) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  for (const sa of registeredSearchAttributes()) args.push('--search-attribute', sa);
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'inherit'], detached: false });
  const address = `127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (exited(child)) throw new FinalAnswer(`the Temporal dev server exited with ${child.exitCode ?? child.signalCode}`);
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await connection.workflowService.getSystemInfo({});
          return true;
        } finally {
          await connection.close();
        }
      },
      120_000,
      `the Temporal dev server on ${address}`,
    );
  } catch (err) {
    if (!exited(child)) child.kill('SIGKILL');
    throw err;
  }
  return child;
}
