/**
 * `npm start`: the whole Handover system on one machine: the Temporal dev server (installed on first
 * run by temporal-dev.sh), the four local job services, the worker and the API, and a demo database
 * to hand over. Ctrl-C stops everything; a second start reuses what exists (the Temporal CLI, its
 * SQLite history, a server already running, the demo database, the services' job stores).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig } from '../common/config';
import { LOCAL_STATE_DIR } from '../common/project-paths';
import { SERVICES_NODE_FLAGS } from '../services/stack';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../worker/process-settings';
import { ensureDemoDatabase } from './demo-database';

const ROOT = path.resolve(__dirname, '..');
const config = loadConfig();
const children: ChildProcess[] = [];

/** Starts a part; its exit stops everything, unless `mayExitCleanly` and it exits 0. */
function run(
  name: string,
  command: string,
  args: string[],
  opts: { mayExitCleanly?: boolean; env?: Record<string, string> } = {},
): ChildProcess {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  const prefix = (data: Buffer) =>
    data
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `[${name}] ${l}`)
      .join('\n') + '\n';
  child.stdout.on('data', (d: Buffer) => process.stdout.write(prefix(d)));
  child.stderr.on('data', (d: Buffer) => process.stderr.write(prefix(d)));
  child.on('exit', (code, signal) => {
    if (!stopping && !(opts.mayExitCleanly && code === 0)) {
      console.error(`[${name}] exited (${signal ?? code}); stopping everything`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

async function waitForTemporal(): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  for (let i = 0; i < 600; i++) {
    try {
      const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 1000 });
      await connection.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  throw new Error(`Temporal did not answer on ${config.TEMPORAL_ADDRESS}`);
}

let stopping = false;
function stop(code = 0): void {
  if (stopping) return;
  stopping = true;
  for (const child of children.reverse()) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 5000).unref();
  // Not awaited: stop() runs from signal and exit handlers; the 5 s timer above exits anyway if a child hangs.
  void Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))))).then(() =>
    process.exit(code),
  );
}
process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));

async function main(): Promise<void> {
  // temporal-dev.sh exits 0 at once when a server already answers: that server is used.
  run('temporal', path.join(ROOT, 'temporal-dev.sh'), [], { mayExitCleanly: true });
  const demo = await ensureDemoDatabase();
  await waitForTemporal();
  // Each part is one process (node with tsx's loader, not tsx's CLI, which forks): a signal reaches the part itself.
  const tsx = ['--import', 'tsx'];
  // The job services take requests only from this run's worker: a key made for it.
  const serviceKey = process.env.HANDOVER_SERVICE_TOKEN ?? randomBytes(24).toString('hex');
  // Sources are allowed only where they are listed: the demo folder, and whatever the caller's environment adds.
  const demoFolder = path.join(LOCAL_STATE_DIR, 'demo');
  const sourceRoots = [demoFolder, config.HANDOVER_SOURCE_ROOTS].filter(Boolean).join(',');
  const stackSources = [`sqlite:///${demoFolder}/`, process.env.LOCAL_STACK_SOURCE_ROOTS].filter(Boolean).join(',');
  run('services', process.execPath, [...SERVICES_NODE_FLAGS, ...tsx, 'services/main.ts'], {
    env: { LOCAL_STACK_TOKEN: serviceKey, LOCAL_STACK_SOURCE_ROOTS: stackSources },
  });
  run('worker', process.execPath, [...WORKER_NODE_FLAGS, ...tsx, 'worker/main.ts'], {
    env: { ...WORKER_ENV, HANDOVER_SERVICE_TOKEN: serviceKey },
  });
  run('api', process.execPath, [...tsx, 'api/main.ts'], { env: { HANDOVER_SOURCE_ROOTS: sourceRoots } });
  console.log(`
Handover is starting:
  API            ${config.HANDOVER_PUBLIC_URL}   (OpenAPI: ${config.HANDOVER_PUBLIC_URL}/docs)
  Temporal UI    ${config.TEMPORAL_WEB_URL}
  Job services   ${config.HANDOVER_HEALTHCHECK_URL} (healthcheck), ${config.HANDOVER_COPY_URL} (copy),
                 ${config.HANDOVER_METADATA_URL} (metadata), ${config.HANDOVER_EVENT_URL} (event)
  Demo database  ${demo}
  Emails         ${config.SMTP_URL}
  Sources        ${sourceRoots}${config.HANDOVER_SOURCE_SERVERS ? `, ${config.HANDOVER_SOURCE_SERVERS}` : ''}
                 (allow more: HANDOVER_SOURCE_ROOTS=/folder,... and HANDOVER_SOURCE_SERVERS=host:port,...
                 for the API, LOCAL_STACK_SOURCE_ROOTS=sqlite:////folder/,mysql://host:port/ for the services)

Hand the demo database over (in another terminal) and follow it to the end:
  npm run demo
or with curl:
  curl -s -XPOST ${config.HANDOVER_PUBLIC_URL}/handovers -H 'content-type: application/json' \\
    -d '{"src_uri":"${demo}","contact":"you@example.org","type":"new_assembly","comment":"demo"}'
Ctrl-C stops everything.
`);
}

main().catch((err) => {
  console.error(err);
  stop(1);
});
