/**
 * Benchmark: how soon a handover whose healthcheck answers a 2 MB check message reaches its end (issue #19,
 * "bounded before anything reads it"), beside a normal handover measured in the same run.
 *
 *   npm run bench:hostile-answers -- [--rounds 3] [--message-mb 2]
 *
 * A fresh Temporal dev server, the worker and the API in this process, and scriptable job services
 * (tests/helpers/job-services.ts) whose healthcheck finds problems in the hostile handover's database, with
 * one message of --message-mb megabytes. Each round times, from submission to its end (polling its status):
 * a normal handover alone, the hostile one alone, then both at once.
 */
import { parseArgs } from 'node:util';
import { FakeJobServices } from '../tests/helpers/job-services';
import { percentile, startBenchHandover, startBenchTemporal } from './support/system';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, 'message-mb': { type: 'string', default: '2' } } });
const ROUNDS = Number(values.rounds);
const MESSAGE = 'm'.repeat(Number(values['message-mb']) * 1024 * 1024);

async function main(): Promise<void> {
  const temporal = await startBenchTemporal();
  const services = new FakeJobServices();
  await services.start();
  const hostile = (input: Record<string, unknown>) => typeof input.db_uri === 'string' && input.db_uri.includes('hostile_');
  services.scripts.healthcheck.outcomeFor = (input) => (hostile(input) ? 'problems' : undefined);
  services.scripts.healthcheck.answer = (kind, answer, job) =>
    kind === 'poll' && answer.status === 'complete' && hostile(job.input)
      ? {
          ...answer,
          output: { ...(answer.output as object), status: 'failed', results: { Huge: { status: 'failed', messages: [MESSAGE] } } },
        }
      : answer;
  const handover = await startBenchHandover(temporal, services, 'bench-hostile', {
    HANDOVER_POLL_INTERVAL: '100ms',
    HANDOVER_POLL_MAX_INTERVAL: '300ms',
    HANDOVER_CALLBACK_URL: 'off',
  });

  /** Milliseconds from submission to the handover's end, and how it ended. */
  const timed = async (name: string): Promise<{ ms: number; status: string }> => {
    const started = Date.now();
    const res = await fetch(`${handover.url}/handovers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ src_uri: handover.source(name), contact: 'bench@example.org', type: 'new_genebuild', comment: 'bench' }),
    });
    const { token } = (await res.json()) as { token: string };
    for (;;) {
      const progress = (await (await fetch(`${handover.url}/handovers/${token}`)).json()) as { status: string };
      if (progress.status !== 'running') return { ms: Date.now() - started, status: progress.status };
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const rows: Record<string, number[]> = {
    'normal, alone': [],
    'hostile (2 MB message), alone': [],
    'normal, beside a hostile one': [],
    'hostile, beside a normal one': [],
  };
  try {
    await timed('warmup_core_110_1');
    for (let round = 1; round <= ROUNDS; round++) {
      const normal = await timed(`normal_core_110_${round}`);
      const bad = await timed(`hostile_core_110_${round}`);
      if (normal.status !== 'completed' || bad.status !== 'failed') throw new Error(`unexpected ends: ${normal.status}, ${bad.status}`);
      const [n, b] = await Promise.all([timed(`beside_core_110_${round}`), timed(`hostile_beside_core_110_${round}`)]);
      rows['normal, alone'].push(normal.ms);
      rows['hostile (2 MB message), alone'].push(bad.ms);
      rows['normal, beside a hostile one'].push(n.ms);
      rows['hostile, beside a normal one'].push(b.ms);
    }
  } finally {
    await handover.stop();
    await services.stop();
    await temporal.stop();
  }
  console.log(`\nTime from submission to the handover's end, ${ROUNDS} rounds (median, max), ${values['message-mb']} MB check message:`);
  for (const [what, ms] of Object.entries(rows))
    console.log(`  ${what.padEnd(34)} ${String(percentile(ms, 50)).padStart(6)} ms  ${String(Math.max(...ms)).padStart(6)} ms`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
