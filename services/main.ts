/**
 * `npm run services [-- <service> ...]`: the local job services (healthcheck 4001, copy 4002, metadata 4003,
 * event 4004). With no argument all four run in this one process (as `npm start` runs them); with names,
 * only those: `npm run services -- copy` runs the copy service alone, so each service can be its own
 * process (and a job that takes its process down takes only its own service with it). Processes started
 * this way may share one LOCAL_STACK_DIR: each service has its own job store.
 *
 * Every job's starts are counted in its store. At start, a job a previous process left unfinished is
 * started again only while it has been started fewer than LOCAL_STACK_MAX_ATTEMPTS times, after a backoff
 * that grows with its starts (LOCAL_STACK_BACKOFF_MS x 4^(starts-1): 1 s, 4 s, 16 s ...); one at the limit
 * is marked failed ("the job was started 3 times and did not finish: it crashed its service each time
 * (last start ...); not started again", also on GET /jobs/<id>?format=failures). Starts interrupted by a
 * clean stop (Ctrl-C, SIGTERM) do not count.
 *
 * Environment:
 *   LOCAL_STACK_DIR           data folder (default .handover/services): job stores, the key file, dumps
 *   LOCAL_STACK_HOST          address to listen on (default 127.0.0.1); any other than a loopback address needs LOCAL_STACK_TOKEN
 *   LOCAL_STACK_PORTS         ports other than the defaults, e.g. healthcheck=5001,copy=5002 (0: any free port)
 *   LOCAL_STACK_DB_PASSWORDS  JSON {"user@host:port": "password"} for databases that events name without a password
 *   LOCAL_STACK_TARGET_ROOTS  comma-separated staging folders and servers copies may write to:
 *                             sqlite:////abs/folder/,mysql://[user@]host:port/ (default: <LOCAL_STACK_DIR>/../staging/)
 *   LOCAL_STACK_SOURCE_ROOTS  comma-separated source folders and servers healthchecks and copies may read:
 *                             sqlite:////abs/folder/,mysql://host:port/ (default: none, every job is refused)
 *   LOCAL_STACK_TOKEN         when set (16+ characters), every request needs Authorization: Bearer <token>; when not,
 *                             only requests to localhost / 127.x.x.x / [::1] (their Host header) are answered
 *   LOCAL_STACK_SECRET_KEY    key sealing the passwords kept in job stores (default: a key in <LOCAL_STACK_DIR>/secret.key)
 *   LOCAL_STACK_MAX_ATTEMPTS  starts an unfinished job may have before it is failed instead of resumed (default 3)
 *   LOCAL_STACK_BACKOFF_MS    backoff before resuming a job started once, x4 per further start (default 1000)
 * Test hooks (tests/faults; ignored unless LOCAL_STACK_TEST_HOOKS=1, never set them in production):
 *   LOCAL_STACK_CRASH_ON      a job kind (healthcheck, copy, metadata, dump) or an Idempotency-Key: such a job exits
 *                             the process with code 70 as soon as its start is recorded, as work that crashes would
 */
import path from 'node:path';
import { STACK_SERVICES, type StackService, startLocalStack } from './stack';

/** A whole number from the environment, or a start-up error naming the variable. */
function wholeNumber(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < min)
    throw new Error(`${name} must be a whole number of ${min} or more (got ${JSON.stringify(value)})`);
  return Number(value);
}

/** LOCAL_STACK_PORTS: `name=port,...`. */
function ports(value: string | undefined): Partial<Record<StackService, number>> | undefined {
  if (value === undefined) return undefined;
  const out: Partial<Record<StackService, number>> = {};
  for (const entry of value.split(',').filter((e) => e.trim())) {
    const [name, port] = entry.split('=').map((p) => p.trim());
    if (!STACK_SERVICES.includes(name as StackService))
      throw new Error(`LOCAL_STACK_PORTS: no service named ${JSON.stringify(name)} (services: ${STACK_SERVICES.join(', ')})`);
    const n = wholeNumber('LOCAL_STACK_PORTS', port, 0);
    if (n === undefined || n > 65535) throw new Error(`LOCAL_STACK_PORTS: ${name} needs a port from 0 to 65535`);
    out[name as StackService] = n;
  }
  return out;
}

async function main(): Promise<void> {
  const env = (name: string) => (process.env[name] === '' ? undefined : process.env[name]);
  const only = process.argv.slice(2);
  for (const name of only) {
    if (!STACK_SERVICES.includes(name as StackService))
      throw new Error(`no service named ${JSON.stringify(name)}: name any of ${STACK_SERVICES.join(', ')}, or none for all four`);
  }
  const dataDir = path.resolve(env('LOCAL_STACK_DIR') ?? path.resolve(__dirname, '../.handover/services'));
  const testHooks = env('LOCAL_STACK_TEST_HOOKS') === '1';
  const crashOn = testHooks ? env('LOCAL_STACK_CRASH_ON') : undefined;
  if (env('LOCAL_STACK_CRASH_ON') && !testHooks)
    console.warn('LOCAL_STACK_CRASH_ON is ignored: it is a test hook, honoured only with LOCAL_STACK_TEST_HOOKS=1');
  if (crashOn)
    console.warn(`TEST HOOK: jobs of kind or Idempotency-Key ${JSON.stringify(crashOn)} exit this process (code 70) when started`);
  const stack = await startLocalStack({
    dataDir,
    only: only.length ? (only as StackService[]) : undefined,
    host: env('LOCAL_STACK_HOST'),
    ports: ports(env('LOCAL_STACK_PORTS')),
    passwords: env('LOCAL_STACK_DB_PASSWORDS') ? (JSON.parse(env('LOCAL_STACK_DB_PASSWORDS')!) as Record<string, string>) : undefined,
    targetRoots: env('LOCAL_STACK_TARGET_ROOTS'),
    sourceRoots: env('LOCAL_STACK_SOURCE_ROOTS'),
    token: env('LOCAL_STACK_TOKEN'),
    secretKey: env('LOCAL_STACK_SECRET_KEY'),
    runner: {
      maxAttempts: wholeNumber('LOCAL_STACK_MAX_ATTEMPTS', env('LOCAL_STACK_MAX_ATTEMPTS'), 1),
      backoffMs: wholeNumber('LOCAL_STACK_BACKOFF_MS', env('LOCAL_STACK_BACKOFF_MS'), 0),
      crashOn,
    },
  });
  for (const [name, url] of Object.entries<string>(stack.urls)) console.log(`${name} service on ${url}`);
  console.log(`jobs and the metadata store in ${dataDir}, dumps in ${stack.dumpsDir}`);
  console.log(`copies may write to: ${stack.targetRoots.join(', ')}${env('LOCAL_STACK_TOKEN') ? '; requests need the bearer token' : ''}`);
  console.log(
    `sources may be read from: ` +
      `${env('LOCAL_STACK_SOURCE_ROOTS') ?? 'none (set LOCAL_STACK_SOURCE_ROOTS=sqlite:////abs/folder/,mysql://host:port/)'}`,
  );
  const stop = async () => {
    await stack.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
