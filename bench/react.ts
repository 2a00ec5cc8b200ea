/**
 * Benchmark: how soon a handover moves on after its job ends (issue #13, "React within a second").
 *
 *   npm run bench:react -- [--job-ms 1000] [--handovers 8]
 *
 * A fresh Temporal dev server, one worker (prebuilt workflow bundle), the API on a real port and job services
 * whose every job takes --job-ms (bench/support/timed-services.ts; they call `callback_url` at the job's end).
 * Handovers run one at a time in three modes, each on its own task queue:
 *   - callbacks: today's defaults (polls from 1 s, backing off to 1 min) and the services' callbacks;
 *   - polling only: today's defaults, callbacks off;
 *   - before (baseline): the old defaults, polls from 10 s, no callbacks.
 * Prints, per mode, the end-to-end time (median, p95) and the lag from each job's end to its step's end
 * (median, p95), and the ratios against the baseline.
 */
import { parseArgs } from 'node:util';
import type { HandoverProgress } from '../vocabulary';
import { percentile, startBenchHandover, startBenchTemporal } from './support/system';
import { TimedJobServices } from './support/timed-services';

const { values } = parseArgs({ options: { 'job-ms': { type: 'string', default: '1000' }, handovers: { type: 'string', default: '8' } } });
const JOB_MS = Number(values['job-ms']);
const N = Number(values.handovers);

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface Mode {
  name: string;
  env: Record<string, string>;
  handovers: number;
}

async function main(): Promise<void> {
  const temporal = await startBenchTemporal();
  const services = new TimedJobServices(JOB_MS);
  await services.start();
  const modes: Mode[] = [
    { name: 'callbacks (polls from 1 s as fallback)', env: {}, handovers: N },
    { name: 'polling only (from 1 s, x1.5, to 1 min)', env: { HANDOVER_CALLBACK_URL: 'off' }, handovers: N },
    {
      name: 'before: polling from 10 s, no callbacks',
      env: { HANDOVER_CALLBACK_URL: 'off', HANDOVER_POLL_INTERVAL: '10s' },
      handovers: Math.max(2, Math.ceil(N / 3)),
    },
  ];
  const results: Array<{ mode: string; endToEnd: number[]; lags: number[] }> = [];
  try {
    for (const [i, mode] of modes.entries()) {
      const handover = await startBenchHandover(temporal, services, `bench-react-${i}`, mode.env);
      const port = new URL(handover.url).port;
      const endToEnd: number[] = [];
      const lags: number[] = [];
      try {
        for (let n = 0; n < mode.handovers; n++) {
          const src = handover.source(`homo_sapiens_core_110_${i}${n}`);
          const started = Date.now();
          const res = await fetch(`http://127.0.0.1:${port}/handovers`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ src_uri: src, contact: 'bench@example.org', type: 'new_genebuild', comment: 'bench' }),
          });
          const { token } = (await res.json()) as { token: string };
          let progress: HandoverProgress;
          for (;;) {
            progress = (await (await fetch(`http://127.0.0.1:${port}/handovers/${token}`)).json()) as HandoverProgress;
            if (progress.status !== 'running') break;
            await new Promise((r) => setTimeout(r, 20));
          }
          if (progress.status !== 'completed')
            throw new Error(`handover ${token} ended ${progress.status}: ${JSON.stringify(progress.failure)}`);
          endToEnd.push(Date.parse(progress.ended_at!) - started);
          for (const service of ['healthcheck', 'copy', 'metadata'] as const) {
            const job = services.jobs.find((j) => j.service === service && j.key === `${token}:${service}`)!;
            const step = progress.timeline.find((t) => t.step === service)!;
            lags.push(Date.parse(step.ended_at!) - job.endsAt);
          }
        }
      } finally {
        await handover.stop();
      }
      results.push({ mode: mode.name, endToEnd, lags });
      console.log(
        `${mode.name}: ${mode.handovers} handovers of four ${JOB_MS} ms jobs; end to end median ${seconds(percentile(endToEnd, 50))}, ` +
          `p95 ${seconds(percentile(endToEnd, 95))}; job end -> step end median ${seconds(percentile(lags, 50))}, ` +
          `p95 ${seconds(percentile(lags, 95))}`,
      );
    }
  } finally {
    await services.stop();
    await temporal.stop();
  }
  const base = results[results.length - 1];
  console.log('\nmode | end to end (median / p95) | job end -> next step (median / p95) | end-to-end speed-up vs before');
  for (const r of results) {
    console.log(
      `${r.mode} | ${seconds(percentile(r.endToEnd, 50))} / ${seconds(percentile(r.endToEnd, 95))} | ${seconds(percentile(r.lags, 50))} ` +
        `/ ${seconds(percentile(r.lags, 95))} | ${(percentile(base.endToEnd, 50) / percentile(r.endToEnd, 50)).toFixed(1)}x`,
    );
  }
  console.log(
    `\ntargets (issue #13): four 1 s jobs end to end within 6 s; a job's end starts the next step within 1 s (median), p95 under 2 s`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
