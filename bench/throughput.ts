/**
 * Benchmark: handovers per second against Temporal's own floor, in the same run (issue #13, "Near the floor").
 *
 *   npm run bench:throughput -- [--handovers 500] [--concurrency 25]
 *
 * On one fresh Temporal dev server:
 *   1. the floor (bench/floor-workflows.ts): N parent workflows each holding a child that runs nine sequential
 *      no-op activities, 25 at a time, on one worker: half of them first, half after the handovers (the server
 *      slows as its store fills; so both see it, on average, as full);
 *   2. between those halves, N handovers with instant jobs (bench/support/timed-services.ts with 0 ms jobs), 25
 *      at a time, submitted through the API (POST /handovers) and waited for through Temporal.
 * Prints both rates, their ratio, and the shape of one handover's history (events by type) as the profile.
 */
import { Session } from 'node:inspector';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { floorParent } from './floor-workflows';
import { startBenchHandover, startBenchTemporal, temporalCpuSeconds, timedInParallel } from './support/system';
import { TimedJobServices } from './support/timed-services';

const { values } = parseArgs({
  options: {
    handovers: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '25' },
    profile: { type: 'boolean', default: false },
  },
});
const N = Number(values.handovers);
const CONCURRENCY = Number(values.concurrency);

/** CPU seconds used so far by this process (worker, API, job services) and by the Temporal dev server. */
function cpuSeconds(): { bench: number; temporal: number } {
  const own = process.cpuUsage();
  return { bench: (own.user + own.system) / 1e6, temporal: temporalCpuSeconds() };
}

const cpuLine = (label: string, before: ReturnType<typeof cpuSeconds>, after: ReturnType<typeof cpuSeconds>, seconds: number) =>
  `CPU: this process (${label}) ${(after.bench - before.bench).toFixed(1)} s, ` +
  `Temporal server ${(after.temporal - before.temporal).toFixed(1)} s, over ${seconds.toFixed(1)} s on ${os.cpus().length} cores`;

/** With --profile: this process's CPU profile of `fn`, summed by source file (self time), the top 15 printed. */
async function profiled<T>(fn: () => Promise<T>): Promise<T> {
  if (!values.profile) return fn();
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = (await post('Profiler.stop')) as {
      profile: { nodes: Array<{ id: number; callFrame: { url: string; functionName: string } }>; samples: number[]; timeDeltas: number[] };
    };
    const urlOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame.url || `(${n.callFrame.functionName || 'native'})`]));
    const byFile = new Map<string, number>();
    profile.samples.forEach((id, i) => {
      const where = urlOf
        .get(id)!
        .replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1')
        .replace(/^.*\/work\/[^/]+\//, '');
      byFile.set(where, (byFile.get(where) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1e6);
    });
    const total = [...byFile.values()].reduce((a, b) => a + b, 0);
    console.log(`\nprofile of this process (self time by file or package, ${total.toFixed(1)} s sampled):`);
    for (const [where, secs] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15))
      console.log(`  ${secs.toFixed(1).padStart(6)} s  ${where}`);
    session.disconnect();
  }
}

/** Runs `one(i)` for i in [from, from + count), CONCURRENCY at a time; returns how long it took. */
const timed = (one: (i: number) => Promise<void>, from: number, count: number) => timedInParallel(count, CONCURRENCY, one, from);

async function main(): Promise<void> {
  const temporal = await startBenchTemporal();
  const client = new Client({ connection: temporal.connection });
  const services = new TimedJobServices(0);
  await services.start();
  const floorWorker = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue: 'bench-floor',
    workflowsPath: require.resolve('./floor-workflows'),
    activities: { noop: () => Promise.resolve() },
  });
  const floorRunning = floorWorker.run();
  let handover: Awaited<ReturnType<typeof startBenchHandover>> | undefined;
  try {
    handover = await startBenchHandover(temporal, services, 'bench-throughput');
    const url = handover.url;
    const source = handover.source.bind(handover);
    const floorOne = (i: number) =>
      client.workflow.execute(floorParent, { taskQueue: 'bench-floor', workflowId: `floor-${i}`, args: [`floor-${i}`] });
    let token = '';
    const handoverOne = async (i: number) => {
      const res = await fetch(`${url}/handovers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          src_uri: source(`bos_taurus_core_110_${i}`),
          contact: 'bench@example.org',
          type: 'new_genebuild',
          comment: 'bench',
        }),
      });
      const answer = (await res.json()) as { token: string; error?: string };
      if (res.status !== 201) throw new Error(`POST /handovers: ${res.status} ${answer.error}`);
      token = answer.token;
      await client.workflow.getHandle(answer.token).result();
    };

    // The server slows as its store fills (bench:temporal-costs: the floor itself took twice the CPU after 2,000
    // runs), so the floor runs half before the handovers and half after them: both see the same store on average.
    const half = Math.floor(N / 2);
    const floorCpu = [cpuSeconds()];
    const firstHalf = await timed(floorOne, 0, half);
    floorCpu.push(cpuSeconds());
    const handoverCpu = cpuSeconds();
    const handoverSeconds = await profiled(() => timed(handoverOne, 0, N));
    const handoverCpuAfter = cpuSeconds();
    floorCpu.push(cpuSeconds());
    const secondHalf = await timed(floorOne, half, N - half);
    floorCpu.push(cpuSeconds());
    const floorSeconds = firstHalf + secondHalf;
    const floorSpent = {
      bench: floorCpu[1].bench - floorCpu[0].bench + floorCpu[3].bench - floorCpu[2].bench,
      temporal: floorCpu[1].temporal - floorCpu[0].temporal + floorCpu[3].temporal - floorCpu[2].temporal,
    };

    const floorRate = N / floorSeconds;
    const handoverRate = N / handoverSeconds;
    console.log(
      `floor: ${N} minimal workflows (parent + child + 9 no-op activities; half before the handovers, ` +
        `half after) in ${floorSeconds.toFixed(1)} s: ${floorRate.toFixed(2)}/s (${(half / firstHalf).toFixed(2)}/s ` +
        `before, ${((N - half) / secondHalf).toFixed(2)}/s after)`,
    );
    console.log(`  ${cpuLine('worker', { bench: 0, temporal: 0 }, floorSpent, floorSeconds)}`);
    console.log(`handover: ${N} handovers with instant jobs in ${handoverSeconds.toFixed(1)} s: ${handoverRate.toFixed(2)}/s`);
    console.log(`  ${cpuLine('worker, API and job services', handoverCpu, handoverCpuAfter, handoverSeconds)}`);
    console.log(`\nratio: ${(handoverRate / floorRate).toFixed(2)} of the floor (target, issue #13: at least 0.85 at N = 500)`);

    // The profile: what one handover's history holds.
    const history = await client.workflow.getHandle(token).fetchHistory();
    const byType = new Map<string, number>();
    for (const e of history.events ?? []) {
      const type = Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? 'other';
      byType.set(type, (byType.get(type) ?? 0) + 1);
    }
    console.log(`\none handover's history: ${history.events?.length} events`);
    for (const [type, n] of [...byType].sort((a, b) => b[1] - a[1]))
      console.log(`  ${String(n).padStart(3)}  ${type.replace(/EventAttributes$/, '')}`);
  } finally {
    await handover?.stop();
    floorWorker.shutdown();
    await floorRunning;
    await services.stop();
    await temporal.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
