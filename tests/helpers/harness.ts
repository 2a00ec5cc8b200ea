/**
 * Everything one test file needs around the real Temporal server: scriptable job services, an SMTP
 * catcher, a worker on its own task queue, a Temporal client and the API (driven with inject()).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { metaOnlySqlite } from './databases';
import { testSourcesEnv } from './sources';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import mysql from 'mysql2/promise';
import { buildApp } from '../../api/app';
import { type Config, loadConfig } from '../../common/config';
import { createSealer } from '../../common/secrets';
import type { ErrorAnswer } from '../../api/types';
import type { HandoverProgress, HandoverReport } from '../../vocabulary';
import { createHandoverWorker } from '../../worker/worker';
import { FakeJobServices } from './job-services';
import { SmtpCatcher } from './smtp';
import { FinalAnswer, waitFor } from './wait';

/**
 * What POST /handovers answers: 201 `{token, status_url}` (and `restarted_from` on a restart), or a refusal
 * `{error, issues?, token?}` (the running handover's token on 409, the kept refusal's on 422/403).
 */
export type SubmitAnswer = { token: string; status_url?: string; restarted_from?: string } & Partial<ErrorAnswer>;

/** A report as the worker logs it: the report, plus the log level by name (activities/reports.ts). */
export type LoggedReport = HandoverReport & { level: string };

export interface Harness {
  config: Config;
  env: Record<string, string>;
  jobs: FakeJobServices;
  smtp: SmtpCatcher;
  client: Client;
  app: Awaited<ReturnType<typeof buildApp>>;
  dir: string;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** The report lines the worker logged (each a JSON report, with pino's level by name). */
  reportLines: LoggedReport[];
  /** A real SQLite source database, Ensembl-style, with a meta table. */
  sqliteSource(name: string): string;
  submit(body: Record<string, unknown>): Promise<{ statusCode: number; json: SubmitAnswer }>;
  progress(token: string): Promise<HandoverProgress>;
  waitForStatus(token: string, status: HandoverProgress['status'], timeoutMs?: number): Promise<HandoverProgress>;
  stop(): Promise<void>;
}

export interface MariaDbSettings {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** The source server, or with 'staging' the staging server, started by the global setup. */
export const mariadbSettings = (which: 'source' | 'staging' = 'source') =>
  JSON.parse(process.env[which === 'source' ? 'TEST_MARIADB' : 'TEST_MARIADB_STAGING'] ?? 'null') as MariaDbSettings;

export const mariadbUri = (m: MariaDbSettings, database = '') =>
  `mysql://${m.user}:${encodeURIComponent(m.password)}@${m.host}:${m.port}/${database}`;

export async function mariadbQuery(sql: string): Promise<unknown> {
  const m = mariadbSettings();
  const conn = await mysql.createConnection({ host: m.host, port: m.port, user: m.user, password: m.password, multipleStatements: true });
  try {
    return (await conn.query(sql))[0];
  } finally {
    await conn.end();
  }
}

export async function startHarness(overrides: Record<string, string> = {}, opts: { worker?: boolean } = {}): Promise<Harness> {
  if (!process.env.TEST_TEMPORAL_ADDRESS) throw new Error('the jest global setup did not start Temporal');
  const jobs = new FakeJobServices();
  const smtp = new SmtpCatcher();
  await Promise.all([jobs.start(), smtp.start()]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-test-'));
  const urls = jobs.urls();
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
    HANDOVER_TASK_QUEUE: `test-${Math.random().toString(36).slice(2)}`,
    HANDOVER_HEALTHCHECK_URL: urls.healthcheck,
    HANDOVER_COPY_URL: urls.copy,
    HANDOVER_METADATA_URL: urls.metadata,
    HANDOVER_EVENT_URL: urls.event,
    HANDOVER_STAGING_URI: `sqlite:///${dir}/staging/`,
    ...testSourcesEnv(),
    HANDOVER_SECRET_KEY: 'test-secret-key-0123456789',
    HANDOVER_POLL_INTERVAL: '100ms',
    HANDOVER_POLL_MAX_INTERVAL: '300ms',
    SMTP_URL: smtp.url,
    HANDOVER_PUBLIC_URL: 'http://handover.test',
    // The API is driven with inject(): no service could reach a callback (tests/workflow/callback.test.ts turns them on).
    HANDOVER_CALLBACK_URL: 'off',
    ...overrides,
  };
  const config = loadConfig(env);
  const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection });
  const app = await buildApp({ client, config, sealer: createSealer(config.HANDOVER_SECRET_KEY) });

  let worker: Worker | undefined;
  const reportLines: LoggedReport[] = [];
  const reportLog = { write: (line: string) => void reportLines.push(JSON.parse(line)) };
  let running: Promise<void> | undefined;

  const harness: Harness = {
    config,
    env,
    jobs,
    smtp,
    client,
    app,
    dir,
    reportLines,
    async startWorker() {
      const handoverWorker = await createHandoverWorker(config, {
        connection: nativeConnection,
        workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE,
        reportLog,
      });
      worker = handoverWorker.worker;
      running = handoverWorker.run();
    },
    async stopWorker() {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      worker = undefined;
    },
    sqliteSource(name) {
      return metaOnlySqlite(path.join(dir, `${name}.sqlite`));
    },
    async submit(body) {
      const res = await app.inject({ method: 'POST', url: '/handovers', payload: body });
      return { statusCode: res.statusCode, json: res.json() };
    },
    async progress(token) {
      const res = await app.inject({ method: 'GET', url: `/handovers/${token}` });
      if (res.statusCode !== 200) throw new Error(`GET /handovers/${token}: ${res.statusCode} ${res.body}`);
      return res.json();
    },
    async waitForStatus(token, status, timeoutMs = 60_000) {
      let last: HandoverProgress | undefined;
      return waitFor(
        async () => {
          last = await harness.progress(token);
          if (last.status !== status && last.status !== 'running') {
            throw new FinalAnswer(
              `handover ${token} ended ${last.status}, not ${status}: ${JSON.stringify(last.failure ?? last.cancelled)}`,
            );
          }
          return last.status === status ? last : undefined;
        },
        timeoutMs,
        () => `handover ${token} to be ${status} (last: ${last?.status}/${last?.step}${last?.failure ? `, ${last.failure.reason}` : ''})`,
      );
    },
    async stop() {
      await harness.stopWorker();
      await app.close();
      await Promise.all([jobs.stop(), smtp.stop(), connection.close(), nativeConnection.close()]);
    },
  };
  if (opts.worker !== false) await harness.startWorker();
  return harness;
}

/** The harness settings that point Handover at a set of job services (the local stack's, say). */
export const serviceUrlsEnv = (urls: Record<'healthcheck' | 'copy' | 'metadata' | 'event', string>) => ({
  HANDOVER_HEALTHCHECK_URL: urls.healthcheck,
  HANDOVER_COPY_URL: urls.copy,
  HANDOVER_METADATA_URL: urls.metadata,
  HANDOVER_EVENT_URL: urls.event,
});

export const spec = (src_uri: string, extra: Record<string, unknown> = {}) => ({
  src_uri,
  contact: 'curator@example.org',
  type: 'new_genebuild',
  comment: 'release 110 handover',
  ...extra,
});
