/**
 * Prometheus metrics (README "Metrics") on the real Temporal server: one handover completed, one failed
 * at the healthcheck, a lock conflict and a job service down for a while, read back from the API's
 * GET /metrics and the worker's /metrics listener; the liveness and readiness probes; and the worker as
 * a real process serving its own metrics and the Temporal SDK's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { createSealer } from '../../common/secrets';
import { serveMetrics, type MetricsServer } from '../../worker/metrics-server';
import { type HandoverWorker, createHandoverWorker } from '../../worker/worker';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { freePort } from '../helpers/ports';
import { waitFor } from '../helpers/wait';

const ROOT = path.resolve(__dirname, '../..');

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text exposition (no HELP/TYPE lines). */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

/** The sum of the samples named `name` whose labels include `labels`. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

let h: Harness;
let connection: NativeConnection;
let worker: HandoverWorker;
let running: Promise<void>;
let workerMetrics: MetricsServer;

beforeAll(async () => {
  h = await startHarness({}, { worker: false });
  connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
  worker = await createHandoverWorker(h.config, {
    connection,
    workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE,
    reportLog: { write: () => undefined },
  });
  running = worker.run();
  workerMetrics = await serveMetrics(worker.metrics.registry, '127.0.0.1', 0);
});
afterAll(async () => {
  await workerMetrics?.close();
  if (worker?.worker.getState() === 'RUNNING') worker.worker.shutdown();
  await running;
  await connection?.close();
  await h?.stop();
});

const apiMetrics = async () => {
  const res = await h.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return parse(res.body);
};
const scrapeWorker = async () => {
  const res = await fetch(workerMetrics.url);
  expect(res.status).toBe(200);
  return parse(await res.text());
};

test('handovers started, ended, step durations, polls, service errors and lock conflicts are counted', async () => {
  // The first handover holds its copy (and finds the metadata service down) until told otherwise.
  h.jobs.scripts.copy.runningPolls = 100_000;
  h.jobs.scripts.metadata.down = true;
  const source = h.sqliteSource('metrics_core_110_1');
  const first = await h.submit(spec(source));
  expect(first.statusCode).toBe(201);
  await waitFor(() => h.jobs.jobsOf('copy').length === 1, 60_000, 'the copy job');

  // A second submission of the same database: 409, counted.
  const conflict = await h.submit(spec(source));
  expect(conflict.statusCode).toBe(409);
  expect(value(await apiMetrics(), 'handover_lock_conflicts_total')).toBe(1);

  // While the copy runs, its step is a running step with a start time; deadlines are exported.
  let samples = await scrapeWorker();
  const since = samples.find((s) => s.name === 'handover_step_running_since_seconds' && s.labels.token === first.json.token);
  expect(since?.labels.step).toBe('copy');
  expect(since!.value).toBeGreaterThan(Date.now() / 1000 - 120);
  expect(value(samples, 'handover_step_deadline_seconds', { step: 'copy' })).toBe(24 * 3600);

  // The copy ends; the metadata service answers 503 until it is back.
  h.jobs.jobsOf('copy')[0].pollsLeft = 0;
  await waitFor(
    async () => value(await scrapeWorker(), 'handover_job_service_errors_total', { service: 'metadata', kind: 'server_error' }) >= 2,
    60_000,
    'metadata errors to be counted',
  );
  h.jobs.scripts.metadata.down = false;
  await h.waitForStatus(first.json.token, 'completed');

  // The second handover, a variation database with a patch, fails at the healthcheck (problems found).
  h.jobs.scripts.healthcheck.outcome = 'problems';
  const second = await h.submit(spec(h.sqliteSource('metrics_variation_110_1'), { type: 'patch' }));
  expect(second.statusCode).toBe(201);
  const failed = await h.waitForStatus(second.json.token, 'failed');
  const healthcheckOutcome = failed.timeline.find((t) => t.step === 'healthcheck')!.outcome!;
  expect(healthcheckOutcome).toBe('problems');

  // The API: started, by database type and update type.
  const api = await apiMetrics();
  expect(value(api, 'handover_handovers_started_total')).toBe(2);
  expect(value(api, 'handover_handovers_started_total', { database_type: 'core', update_type: 'new_genebuild' })).toBe(1);
  expect(value(api, 'handover_handovers_started_total', { database_type: 'variation', update_type: 'patch' })).toBe(1);

  // The worker: the final report is published just before the workflow closes.
  samples = await waitFor(
    async () => {
      const s = await scrapeWorker();
      return value(s, 'handover_handovers_ended_total') === 2 && s;
    },
    30_000,
    'both handovers to be counted as ended',
  );
  expect(value(samples, 'handover_handovers_ended_total', { status: 'completed', database_type: 'core' })).toBe(1);
  expect(value(samples, 'handover_handovers_ended_total', { status: 'failed', database_type: 'variation' })).toBe(1);

  const steps = (step: string, outcome: string) => value(samples, 'handover_step_duration_seconds_count', { step, outcome });
  expect(steps('checking', 'passed')).toBe(2);
  expect(steps('healthcheck', 'passed')).toBe(1);
  expect(steps('healthcheck', healthcheckOutcome)).toBe(1);
  for (const step of ['copy', 'metadata', 'event']) expect(steps(step, 'passed')).toBe(1);
  expect(value(samples, 'handover_step_duration_seconds_count')).toBe(7);
  // The metadata step lasted through the outage.
  expect(value(samples, 'handover_step_duration_seconds_sum', { step: 'metadata' })).toBeGreaterThan(0);
  expect(value(samples, 'handover_step_duration_seconds_bucket', { step: 'checking', le: '+Inf' })).toBe(2);
  // No step is left running.
  expect(samples.filter((s) => s.name === 'handover_step_running_since_seconds')).toEqual([]);

  // Polls: each healthcheck job answered "running" once, then ended on the second poll.
  expect(value(samples, 'handover_job_polls_total', { service: 'healthcheck', state: 'running' })).toBe(2);
  expect(value(samples, 'handover_job_polls_total', { service: 'healthcheck', state: 'complete' })).toBe(2);
  expect(value(samples, 'handover_job_polls_per_job_count', { service: 'healthcheck' })).toBe(2);
  expect(value(samples, 'handover_job_polls_per_job_sum', { service: 'healthcheck' })).toBe(4);
  expect(value(samples, 'handover_job_polls_per_job_count', { service: 'copy' })).toBe(1);
  expect(value(samples, 'handover_job_polls_per_job_sum', { service: 'copy' })).toBeGreaterThanOrEqual(2);
  expect(value(samples, 'handover_job_polls_total', { service: 'copy', state: 'running' })).toBeGreaterThanOrEqual(1);

  // Errors: only the metadata service's 503s.
  expect(value(samples, 'handover_job_service_errors_total')).toBe(
    value(samples, 'handover_job_service_errors_total', { service: 'metadata', kind: 'server_error' }),
  );
});

test('/health/live always answers; /health/ready names what is unreachable; /health is unchanged', async () => {
  expect((await h.app.inject({ method: 'GET', url: '/health/live' })).json()).toEqual({ status: 'ok' });
  const ready = await h.app.inject({ method: 'GET', url: '/health/ready' });
  expect(ready.statusCode).toBe(200);
  expect(ready.json()).toEqual({
    status: 'ready',
    temporal: 'reachable',
    services: { healthcheck: 'reachable', copy: 'reachable', metadata: 'reachable', event: 'reachable' },
    failed: [],
  });

  h.jobs.scripts.event.down = true;
  try {
    const notReady = await h.app.inject({ method: 'GET', url: '/health/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({
      status: 'not ready',
      temporal: 'reachable',
      services: { event: 'unreachable', copy: 'reachable' },
      failed: ['event'],
    });
  } finally {
    h.jobs.scripts.event.down = false;
  }
  expect((await h.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok', temporal: 'reachable' });
});

test('with API keys, GET /metrics needs a read key; the probes stay public', async () => {
  const keys = { 'reader-key-0123456789abcdef': { name: 'prometheus', role: 'read' } };
  const config = loadConfig({ ...h.env, HANDOVER_API_KEYS: JSON.stringify(keys) });
  const app = await buildApp({ client: h.client, config, sealer: createSealer(config.HANDOVER_SECRET_KEY) });
  try {
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const scraped = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer reader-key-0123456789abcdef' } });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.body).toContain('# TYPE handover_handovers_started_total counter');
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  } finally {
    await app.close();
  }
});

test('the worker process serves its metrics and the Temporal SDK its own, and stops cleanly', async () => {
  const [workerPort, sdkPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...h.env,
      HANDOVER_TASK_QUEUE: `metrics-${Date.now()}`,
      HANDOVER_WORKER_METRICS_PORT: String(workerPort),
      HANDOVER_SDK_METRICS_PORT: String(sdkPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    await waitFor(
      () => output.includes('Handover worker polling') || (child.exitCode !== null && Promise.reject(new Error(output))),
      90_000,
      'the worker process to start',
    );
    expect(output).toContain(`Handover worker metrics on http://127.0.0.1:${workerPort}/metrics`);
    expect(output).toContain(`Temporal SDK metrics on http://127.0.0.1:${sdkPort}/metrics`);

    const own = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
    expect(own).toContain('# TYPE handover_handovers_ended_total counter');
    expect(value(parse(own), 'handover_step_deadline_seconds', { step: 'metadata' })).toBe(6 * 3600);
    expect(own).toContain('process_cpu_user_seconds_total');
    expect((await fetch(`http://127.0.0.1:${workerPort}/other`)).status).toBe(404);

    // The SDK's exporter: its pollers report soon after the worker starts.
    const sdk = await waitFor(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${sdkPort}/metrics`)).text();
        return /^temporal_\w+/m.test(text) && text;
      },
      30_000,
      'the Temporal SDK metrics',
    );
    expect(sdk).toMatch(/^temporal_\w+/m);
  } finally {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  expect(output).toContain('Handover worker stopped');
});
