/** The local stack: the four job services on one machine, sharing a data folder. */
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createCopyService } from './copy/service';
import { createEventService } from './event/service';
import { createHealthcheckService } from './healthcheck/service';
import { stackSealer } from './jobs/secrets';
import type { JobService } from './jobs/service';
import { createMetadataService } from './metadata/service';

export type StackService = 'healthcheck' | 'copy' | 'metadata' | 'event';

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
   * When set (LOCAL_STACK_TOKEN, 16 characters or more), every route wants `Authorization: Bearer <token>`.
   * Required when `host` is not a loopback address. Without it the services answer only requests whose
   * Host header names the loopback (localhost, 127.x.x.x, [::1]): a web page cannot drive them through DNS rebinding.
   */
  token?: string;
  /** Seals the passwords of job inputs in the job stores (LOCAL_STACK_SECRET_KEY); default: <dataDir>/secret.key. */
  secretKey?: string;
}

export interface LocalStack {
  services: Record<StackService, JobService>;
  urls: Record<StackService, string>;
  dumpsDir: string;
  /** The target roots the copy service was given. */
  targetRoots: string[];
  /** Stops one service and starts it again on the same port (its jobs resume). */
  restart(name: StackService): Promise<void>;
  close(): Promise<void>;
}

/** The default staging folder of a stack: `.handover/staging/` for the default `.handover/services`. */
export const defaultStagingFolder = (dataDir: string) => path.resolve(dataDir, '..', 'staging');

/** Whether a listening address is this machine's loopback (localhost, 127.x.x.x, ::1). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(h) || /^::ffff:127(?:\.\d{1,3}){3}$/.test(h);
}

export async function startLocalStack(opts: StackOptions): Promise<LocalStack> {
  const host = opts.host ?? '127.0.0.1';
  if (opts.token !== undefined && opts.token.length < 16) throw new Error('LOCAL_STACK_TOKEN must be at least 16 characters');
  // Open services (they run copies and read databases for whoever asks) only on this machine's loopback.
  if (opts.token === undefined && !isLoopbackHost(host)) {
    throw new Error(`LOCAL_STACK_HOST ${host} is not a loopback address (127.0.0.1, localhost, ::1): set LOCAL_STACK_TOKEN (16+ characters) to serve other hosts`);
  }
  const dataDir = path.resolve(opts.dataDir);
  const jobsDir = path.join(dataDir, 'jobs');
  const dumpsDir = path.join(dataDir, 'dumps');
  // The stack's own data (job stores, the key, dumps) is for the stack's user only.
  for (const dir of [dataDir, jobsDir, dumpsDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  const sealer = stackSealer({ dataDir, secretKey: opts.secretKey });
  const targetRoots = (Array.isArray(opts.targetRoots) ? opts.targetRoots : (opts.targetRoots ?? `sqlite:///${defaultStagingFolder(dataDir)}/`).split(','))
    .map((r) => r.trim())
    .filter(Boolean);
  const common = { dataDir: jobsDir, token: opts.token, sealer };
  const make: Record<StackService, () => JobService> = {
    healthcheck: () => createHealthcheckService(common),
    copy: () => createCopyService({ ...common, streams: opts.copyStreams, targetRoots, protectedDirs: [dataDir] }),
    metadata: () => createMetadataService(common),
    event: () => createEventService({ ...common, dumpsDir, passwords: opts.passwords }),
  };
  const services = {} as Record<StackService, JobService>;
  const urls = {} as Record<StackService, string>;
  const defaults: Record<StackService, number> = { healthcheck: 4001, copy: 4002, metadata: 4003, event: 4004 };
  try {
    for (const name of Object.keys(make) as StackService[]) {
      services[name] = make[name]();
      await services[name].app.listen({ host, port: opts.ports?.[name] ?? defaults[name] });
      urls[name] = `http://${host.includes(':') ? `[${host}]` : host}:${(services[name].app.server.address() as AddressInfo).port}`;
    }
  } catch (err) {
    await Promise.all(Object.values(services).map((s) => s.close().catch(() => undefined)));
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
      await Promise.all(Object.values(services).map((s) => s.close()));
    },
  };
}
