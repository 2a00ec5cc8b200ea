/** The local stack: the four job services on one machine, sharing a data folder. */
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createCopyService } from './copy/service';
import { createEventService } from './event/service';
import { createHealthcheckService } from './healthcheck/service';
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
}

export interface LocalStack {
  services: Record<StackService, JobService>;
  urls: Record<StackService, string>;
  dumpsDir: string;
  /** Stops one service and starts it again on the same port (its jobs resume). */
  restart(name: StackService): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalStack(opts: StackOptions): Promise<LocalStack> {
  const host = opts.host ?? '127.0.0.1';
  const jobsDir = path.join(opts.dataDir, 'jobs');
  const dumpsDir = path.join(opts.dataDir, 'dumps');
  const make: Record<StackService, () => JobService> = {
    healthcheck: () => createHealthcheckService({ dataDir: jobsDir }),
    copy: () => createCopyService({ dataDir: jobsDir, streams: opts.copyStreams }),
    metadata: () => createMetadataService({ dataDir: jobsDir }),
    event: () => createEventService({ dataDir: jobsDir, dumpsDir, passwords: opts.passwords }),
  };
  const services = {} as Record<StackService, JobService>;
  const urls = {} as Record<StackService, string>;
  const defaults: Record<StackService, number> = { healthcheck: 4001, copy: 4002, metadata: 4003, event: 4004 };
  for (const name of Object.keys(make) as StackService[]) {
    services[name] = make[name]();
    await services[name].app.listen({ host, port: opts.ports?.[name] ?? defaults[name] });
    urls[name] = `http://${host}:${(services[name].app.server.address() as AddressInfo).port}`;
  }
  return {
    services,
    urls,
    dumpsDir,
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
