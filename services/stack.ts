/** The local stack: the four job services on one machine, sharing a data folder. */
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost } from '../core/addresses';
import { formatDbUri } from '../core/db-uri';
import { createCopyService } from './copy/service';
import { createEventService } from './event/service';
import { createHealthcheckService } from './healthcheck/service';
import type { RunnerOptions } from './jobs/runner';
import { stackSealer } from './jobs/secrets';
import type { JobService } from './jobs/service';
import { createMetadataService } from './metadata/service';

export type StackService = 'healthcheck' | 'copy' | 'metadata' | 'event';

/** The four services, in the order they start. */
/**
 * Node.js flags the services' process runs with (scripts/start.ts, `npm run services`, the tests' stack
 * processes): a young generation of 16 MB. A dump allocates many short-lived buffers, and V8 would otherwise
 * grow its nursery to 128 MB: with this the services stay under 200 MB dumping a 2 GB table (bench:dump).
 */
export const SERVICES_NODE_FLAGS = ['--max-semi-space-size=16'];

export const STACK_SERVICES: readonly StackService[] = ['healthcheck', 'copy', 'metadata', 'event'];

export interface StackOptions {
  dataDir: string;
  host?: string;
  /** 0 picks free ports (tests). */
  ports?: Partial<Record<StackService, number>>;
  passwords?: Record<string, string>;
  copyStreams?: number;
  /**
   * Where copies may write (LOCAL_STACK_TARGET_ROOTS): staging folders `sqlite:////abs/folder/` and
   * staging servers `mysql://[user@]host:port/`, as a comma-separated string or a list. Replaces the
   * default, which is the one folder `sqlite:///<dataDir>/../staging/` (no MySQL server).
   */
  targetRoots?: string | string[];
  /**
   * Where the healthcheck and the copy may read sources (LOCAL_STACK_SOURCE_ROOTS): source folders
   * `sqlite:////abs/folder/` (files at any depth, by real path) and servers `mysql://host:port/`, as
   * target roots are written. None by default: a job with any other source is refused (400).
   */
  sourceRoots?: string | string[];
  /**
   * When set (LOCAL_STACK_TOKEN, 16 characters or more), every route wants `Authorization: Bearer <token>`.
   * Required when `host` is not a loopback address. Without it the services answer only requests whose
   * Host header names the loopback (localhost, 127.x.x.x, [::1]): a web page cannot drive them through DNS rebinding.
   */
  token?: string;
  /** Seals the passwords of job inputs in the job stores (LOCAL_STACK_SECRET_KEY); default: <dataDir>/secret.key. */
  secretKey?: string;
  /** Attempt limit and backoff of jobs resumed at start (LOCAL_STACK_MAX_ATTEMPTS, LOCAL_STACK_BACKOFF_MS); see JobRunner. */
  runner?: RunnerOptions;
}

export interface LocalStack<S extends StackService = StackService> {
  services: Record<S, JobService>;
  urls: Record<S, string>;
  dumpsDir: string;
  /** The target roots the copy service was given. */
  targetRoots: string[];
  /** Stops one service and starts it again on the same port (its jobs resume). */
  restart(name: S): Promise<void>;
  close(): Promise<void>;
}

/** The default staging folder of a stack: `.handover/staging/` for the default `.handover/services`. */
export const defaultStagingFolder = (dataDir: string) => path.resolve(dataDir, '..', 'staging');

/** Whether a listening address is this machine's loopback (localhost, 127.x.x.x, ::1): core/addresses.ts decides. */
export { isLoopbackHost };

/**
 * Starts the services named by `only` (default: all four) on this machine. Services started by separate
 * calls or processes can share one data folder: each has its own job store, and they share the key file.
 */
export async function startLocalStack<S extends StackService = StackService>(
  opts: StackOptions & { only?: readonly S[] },
): Promise<LocalStack<S>> {
  const names = [...new Set(opts.only ?? (STACK_SERVICES as readonly S[]))];
  for (const name of names)
    if (!STACK_SERVICES.includes(name)) throw new Error(`no service named ${String(name)} (services: ${STACK_SERVICES.join(', ')})`);
  if (names.length === 0) throw new Error(`no service to start (services: ${STACK_SERVICES.join(', ')})`);
  const host = opts.host ?? '127.0.0.1';
  if (opts.token !== undefined && opts.token.length < 16) throw new Error('LOCAL_STACK_TOKEN must be at least 16 characters');
  // Open services (they run copies and read databases for whoever asks) only on this machine's loopback.
  if (opts.token === undefined && !isLoopbackHost(host)) {
    throw new Error(
      `LOCAL_STACK_HOST ${host} is not a loopback address (127.0.0.1, localhost, ::1): set LOCAL_STACK_TOKEN (16+ characters) to serve ` +
        `other hosts`,
    );
  }
  const dataDir = path.resolve(opts.dataDir);
  const jobsDir = path.join(dataDir, 'jobs');
  const dumpsDir = path.join(dataDir, 'dumps');
  // The stack's own data (job stores, the key, dumps) is for the stack's user only.
  for (const dir of [dataDir, jobsDir, dumpsDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  // The default root written by the one formatter: a data folder with a %, ? or , in its name still reads back.
  const defaultRoot = (dir: string) => formatDbUri({ engine: 'sqlite', database: '', file: `${defaultStagingFolder(dir)}/` });
  const sealer = stackSealer({ dataDir, secretKey: opts.secretKey });
  const targetRoots = (Array.isArray(opts.targetRoots) ? opts.targetRoots : (opts.targetRoots ?? defaultRoot(dataDir)).split(','))
    .map((r) => r.trim())
    .filter(Boolean);
  const sourceRoots = (Array.isArray(opts.sourceRoots) ? opts.sourceRoots : (opts.sourceRoots ?? '').split(','))
    .map((r) => r.trim())
    .filter(Boolean);
  const common = { dataDir: jobsDir, token: opts.token, sealer, runner: opts.runner };
  const make: Record<StackService, () => JobService> = {
    healthcheck: () => createHealthcheckService({ ...common, sourceRoots, protectedDirs: [dataDir] }),
    copy: () => createCopyService({ ...common, streams: opts.copyStreams, targetRoots, sourceRoots, protectedDirs: [dataDir] }),
    metadata: () => createMetadataService(common),
    event: () => createEventService({ ...common, dumpsDir, passwords: opts.passwords }),
  };
  const services = {} as Record<S, JobService>;
  const urls = {} as Record<S, string>;
  const defaults: Record<StackService, number> = { healthcheck: 4001, copy: 4002, metadata: 4003, event: 4004 };
  try {
    for (const name of names) {
      services[name] = make[name]();
      await services[name].app.listen({ host, port: opts.ports?.[name] ?? defaults[name] });
      urls[name] = `http://${host.includes(':') ? `[${host}]` : host}:${(services[name].app.server.address() as AddressInfo).port}`;
    }
  } catch (err) {
    await Promise.all(Object.values<JobService>(services).map((s) => s.close().catch(() => undefined)));
    throw err;
  }
  return {
    services,
    urls,
    dumpsDir,
    targetRoots,
    async restart(name) {
      const port = Number(new URL(urls[name]).port);
      await services[name].close();
      services[name] = make[name]();
      await services[name].app.listen({ host, port });
    },
    async close() {
      await Promise.all(Object.values<JobService>(services).map((s) => s.close()));
    },
  };
}
