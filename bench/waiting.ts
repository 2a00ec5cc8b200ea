/**
 * Benchmark: many handovers waiting on long jobs at once (issue #13, "Small and steady").
 *
 *   npm run build && npm run bench:waiting -- [--handovers 1000] [--job-ms 120000] [--settled-after-s 0]
 *     [--node-flags='--flag …'] [--heap-snapshot]
 *
 * The compiled worker runs as its own process (node dist/js/worker/main.js, workflows from the prebuilt
 * bundle) beside a fresh Temporal dev server, the API and job services whose jobs take --job-ms. All handovers
 * are submitted, then the worker's resident memory (VmRSS, VmHWM) and CPU time are sampled while they wait;
 * when the jobs end, all must complete. Target: worker RSS under 300 MB, near-idle CPU between polls.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { buildApp } from '../api/app';
import { loadConfig } from '../common/config';
import { createSealer } from '../common/secrets';
import { freePort } from '../tests/helpers/ports';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../worker/process-settings';
import { benchEnv, benchSource, cpuSecondsOf, startBenchTemporal, timedInParallel } from './support/system';
import { TimedJobServices } from './support/timed-services';

const { values } = parseArgs({
  options: {
    handovers: { type: 'string', default: '1000' },
    'job-ms': { type: 'string', default: '120000' },
    'heap-snapshot': { type: 'boolean', default: false },
    'settled-after-s': { type: 'string', default: '0' },
    'node-flags': { type: 'string', default: '' },
  },
});
const N = Number(values.handovers);
const JOB_MS = Number(values['job-ms']);
const ROOT = path.resolve(__dirname, '..');
const MB = 1024 * 1024;

function memory(pid: number): { rss: number; peak: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM'), cpuSeconds: cpuSecondsOf(pid) };
}

async function main(): Promise<void> {
  for (const file of ['dist/js/worker/main.js', 'dist/workflow-bundle.js'])
    if (!existsSync(path.join(ROOT, file))) throw new Error(`${file} is missing: run npm run build first`);
  const temporal = await startBenchTemporal();
  const services = new TimedJobServices(JOB_MS);
  await services.start();
  const port = await freePort();
  const metricsPort = await freePort();
  const env = {
    ...benchEnv(temporal, services, 'bench-waiting', port),
    HANDOVER_WORKFLOW_BUNDLE: path.join(ROOT, 'dist/workflow-bundle.js'),
    HANDOVER_WORKER_METRICS_PORT: String(metricsPort),
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('HANDOVER_WORKER_'))),
  };
  /**
   * Where the worker's memory is, from its own process metrics: the JS heap, memory outside it held by JS objects, and the rest (native:
   * the SDK's core, V8's code).
   */
  const breakdown = async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const metric = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / MB;
    const [rss, heapTotal, heapUsed, external] = [
      'process_resident_memory_bytes',
      'nodejs_heap_size_total_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_external_memory_bytes',
    ].map(metric);
    return (
      `RSS ${rss.toFixed(0)} MB = JS heap ${heapTotal.toFixed(0)} MB (${heapUsed.toFixed(0)} used) + external ${external.toFixed(0)}` +
      ` MB + native and code ${(rss - heapTotal - external).toFixed(0)} MB`
    );
  };

  // Started as `npm run worker:built` starts it.
  // --heap-snapshot: the worker writes a heap snapshot of its main thread (to the current folder) once all are submitted.
  const profiling = values['heap-snapshot'] ? ['--heapsnapshot-signal=SIGUSR2'] : [];
  // --node-flags: more flags for the worker's node, after the usual ones (to compare settings: the last of a flag wins).
  const extra = values['node-flags'].split(' ').filter(Boolean);
  const worker = spawn(process.execPath, [...WORKER_NODE_FLAGS, ...extra, ...profiling, 'dist/js/worker/main.js'], {
    cwd: ROOT,
    env: { ...process.env, ...WORKER_ENV, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) =>
    worker.stdout.on('data', (d: Buffer) => d.toString().includes('Handover worker polling') && resolve()),
  );
  const config = loadConfig(env);
  const app = await buildApp({
    client: new Client({ connection: temporal.connection }),
    config,
    sealer: createSealer(config.HANDOVER_SECRET_KEY),
  });
  await app.listen({ host: '127.0.0.1', port });
  const client = new Client({ connection: temporal.connection });
  try {
    console.log(`worker at start: ${(memory(worker.pid!).rss / MB).toFixed(0)} MB (${await breakdown()})`);
    const tokens: string[] = [];
    const started = Date.now();
    const submitting = await timedInParallel(N, 25, async (i) => {
      const src = benchSource(temporal.dir, `ovis_aries_core_110_${i}`);
      const res = await fetch(`http://127.0.0.1:${port}/handovers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ src_uri: src, contact: 'bench@example.org', type: 'new_genebuild', comment: 'bench' }),
      });
      if (res.status !== 201) throw new Error(`POST /handovers: ${res.status} ${await res.text()}`);
      tokens.push(((await res.json()) as { token: string }).token);
    });
    console.log(`${N} handovers submitted in ${submitting.toFixed(1)} s; worker ${(memory(worker.pid!).rss / MB).toFixed(0)} MB`);
    console.log(`worker memory: ${await breakdown()}`);
    if (values['heap-snapshot']) {
      worker.kill('SIGUSR2');
      console.log(`heap snapshot requested: Heap.*.${worker.pid}.*.heapsnapshot in ${ROOT}`);
    }
    // While they wait: 30 s sampled at once (every job in its first minute of polls, 1 s apart and backing off),
    // and with --settled-after-s again once the polls have backed off (jobs of --job-ms long enough to still run).
    const sample = async (label: string) => {
      const before = memory(worker.pid!);
      const samples: number[] = [];
      for (let s = 0; s < 30; s++) {
        await new Promise((r) => setTimeout(r, 1000));
        samples.push(memory(worker.pid!).rss);
      }
      const after = memory(worker.pid!);
      const waiting = services.jobs.filter((j) => Date.now() < j.endsAt).length;
      console.log(
        `${label} (${waiting} jobs running): worker RSS ${(Math.max(...samples) / MB).toFixed(0)} MB at most over 30 s, ` +
          `peak so far ${(after.peak / MB).toFixed(0)} MB; CPU ${(((after.cpuSeconds - before.cpuSeconds) / 30) * 100).toFixed(1)} % of ` +
          `one core`,
      );
      console.log(`worker memory: ${await breakdown()}`);
    };
    const submitted = Date.now();
    await sample('waiting, first minute of polls');
    const settleMs = Number(values['settled-after-s']) * 1000;
    if (settleMs > 0) {
      await new Promise((r) => setTimeout(r, Math.max(0, submitted + settleMs - Date.now())));
      await sample(`waiting, ${values['settled-after-s']} s after the last submission`);
    }
    const results = await Promise.allSettled(tokens.map((t) => client.workflow.getHandle(t).result()));
    const completed = results.filter((r) => r.status === 'fulfilled').length;
    const end = memory(worker.pid!);
    console.log(
      `\n${completed} of ${N} completed in ${((Date.now() - started) / 1000).toFixed(1)} s; worker peak RSS ${(end.peak / MB).toFixed(0)}` +
        ` MB (target under 300 MB)`,
    );
  } finally {
    worker.kill('SIGTERM');
    await app.close();
    await services.stop();
    await temporal.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
