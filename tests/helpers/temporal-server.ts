/**
 * The real Temporal dev server for tests: the same CLI binary temporal-dev.sh installs, started on
 * free ports with our search attributes, waited for until it answers (no 5 s start-up limit).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort, startOnFreePorts } from './ports';
import { registeredSearchAttributes } from './search-attributes';
import { FinalAnswer, waitFor } from './wait';

const ROOT = path.resolve(__dirname, '../..');

export function temporalCli(): string {
  const out = execFileSync(path.join(ROOT, 'temporal-dev.sh'), ['--install-only'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!;
}

export interface TemporalServer {
  address: string;
  uiUrl: string;
  cli: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startTemporalServer(opts: { ui?: boolean } = {}): Promise<TemporalServer> {
  const cli = temporalCli();
  return startOnFreePorts(() => startDevServer(cli, opts));
}

async function startDevServer(cli: string, opts: { ui?: boolean }): Promise<TemporalServer> {
  const attributes = registeredSearchAttributes();
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [port, uiPort, httpPort, metricsPort] = [...ports];
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--http-port', String(httpPort), '--metrics-port', String(metricsPort), '--log-level', 'error'];
  if (opts.ui) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  for (const sa of attributes) args.push('--search-attribute', sa);
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'inherit'], detached: false });
  const address = `127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new FinalAnswer(`the Temporal dev server exited with ${child.exitCode}`);
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
  return {
    address,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    cli,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
