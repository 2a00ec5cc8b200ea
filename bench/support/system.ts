/**
 * The real system for benchmarks: a fresh Temporal dev server with the workflow bundle built once, and on it
 * Handover (one worker and the API on a real port) configured per run, against benchmark job services.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { createSealer } from '../../common/secrets';
import { WORKFLOWS_PATH, createHandoverWorker } from '../../worker/worker';
import { metaOnlySqlite } from '../../tests/helpers/databases';
import { freePort } from '../../tests/helpers/ports';
import { testSourcesEnv } from '../../tests/helpers/sources';
import { startTemporalServer } from '../../tests/helpers/temporal-server';
import type { TimedJobServices } from './timed-services';

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };

export interface BenchTemporal {
  address: string;
  dir: string;
  bundle: string;
  nativeConnection: NativeConnection;
  connection: Connection;
  stop(): Promise<void>;
}

export async function startBenchTemporal(): Promise<BenchTemporal> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-bench-'));
  const temporal = await startTemporalServer();
  const bundle = path.join(dir, 'bundle.js');
  writeFileSync(bundle, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet })).code);
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const connection = await Connection.connect({ address: temporal.address });
  return {
    address: temporal.address,
    dir,
    bundle,
    nativeConnection,
    connection,
    async stop() {
      await connection.close();
      await nativeConnection.close();
      await temporal.stop();
    },
  };
}

export interface BenchHandover {
  url: string;
  /** A SQLite source database named `name` (a meta table, as the source check wants). */
  source(name: string): string;
  stop(): Promise<void>;
}

/** The benchmark defaults for Handover on `taskQueue`, its API on `port`, against `services`. */
export function benchEnv(
  temporal: BenchTemporal,
  services: Pick<TimedJobServices, 'url'>,
  taskQueue: string,
  port: number,
): Record<string, string> {
  const { dir } = temporal;
  return {
    TEMPORAL_ADDRESS: temporal.address,
    HANDOVER_TASK_QUEUE: taskQueue,
    HANDOVER_HEALTHCHECK_URL: services.url('healthcheck'),
    HANDOVER_COPY_URL: services.url('copy'),
    HANDOVER_METADATA_URL: services.url('metadata'),
    HANDOVER_EVENT_URL: services.url('event'),
    HANDOVER_STAGING_URI: `sqlite:///${dir}/staging/`,
    ...testSourcesEnv(),
    HANDOVER_SECRET_KEY: 'bench-secret-key-0123456789',
    SMTP_URL: `file://${dir}/mail`,
    HANDOVER_PUBLIC_URL: `http://127.0.0.1:${port}`,
    PORT: String(port),
    HANDOVER_WORKER_METRICS_PORT: '0',
    HANDOVER_RATE_LIMIT_MAX: '100000000', // benchmarks read and write far faster than the default allows
  };
}

/** A SQLite source database `name` in `dir`: a meta table, as the source check wants. Returns its URI. */
export function benchSource(dir: string, name: string): string {
  return metaOnlySqlite(path.join(dir, `${name}.sqlite`));
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number | string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
}

/** Runs `one(i)` for each i in [from, from + count), `concurrency` at a time; returns the seconds it took. */
export async function timedInParallel(count: number, concurrency: number, one: (i: number) => Promise<void>, from = 0): Promise<number> {
  let next = from;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < from + count) await one(next++);
    }),
  );
  return (Date.now() - started) / 1000;
}

/** CPU seconds used so far by the Temporal dev server (every `start-dev` process). */
export function temporalCpuSeconds(): number {
  let seconds = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start-dev')) seconds += cpuSecondsOf(pid);
    } catch {
      // the process ended meanwhile
    }
  }
  return seconds;
}

/** Handover (a worker and the API on a free port) on its own task queue, with `env` over the benchmark defaults. */
export async function startBenchHandover(
  temporal: BenchTemporal,
  services: Pick<TimedJobServices, 'url'>,
  taskQueue: string,
  env: Record<string, string> = {},
): Promise<BenchHandover> {
  const port = await freePort();
  const config = loadConfig({ ...benchEnv(temporal, services, taskQueue, port), ...env });
  const worker = await createHandoverWorker(config, {
    connection: temporal.nativeConnection,
    workflowBundlePath: temporal.bundle,
    reportLog: { write() {} },
  });
  const running = worker.run();
  const app = await buildApp({
    client: new Client({ connection: temporal.connection }),
    config,
    sealer: createSealer(config.HANDOVER_SECRET_KEY),
  });
  await app.listen({ host: '127.0.0.1', port });
  return {
    url: `http://127.0.0.1:${port}`,
    source: (name) => benchSource(temporal.dir, name),
    async stop() {
      await app.close();
      worker.worker.shutdown();
      await running;
    },
  };
}

export const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];
