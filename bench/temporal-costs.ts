/**
 * Benchmark: what the Temporal server spends on each kind of thing a handover has beyond Temporal's floor
 * (issue #13: "a profile of where the remaining time goes").
 *
 *   npm run bench:temporal-costs -- [--workflows 300] [--concurrency 25]
 *
 * On one fresh dev server and one worker, the floor of bench/throughput (a parent holding a child that runs
 * nine no-op activities, bench/floor-workflows.ts) runs --workflows times per variant, each variant adding one
 * kind of thing in the number a handover has: search-attribute upserts, local activities (its report
 * batches), patch markers, `describe` calls (POST /handovers asking whether the handover exists yet) and
 * `ResetActivity` calls (completion callbacks). A run's cost to the server is its CPU from the run's start
 * until its timers have fired (an activity's timeout timer fires even after the activity is done; the
 * activities here time out after 5 s so that comes soon), less the server's idle CPU. The server also slows
 * as its store fills, so the floor runs before and after each variant. Prints, per variant, the rate and the server's CPU
 * milliseconds per workflow against
 * the mean of the two floors around it, and what each added item costs.
 */
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { type FloorExtras, floorParent } from './floor-workflows';
import { startBenchTemporal, temporalCpuSeconds, timedInParallel } from './support/system';

const { values } = parseArgs({
  options: { workflows: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '25' } },
});
const N = Number(values.workflows);
const CONCURRENCY = Number(values.concurrency);
const TASK_QUEUE = 'bench-temporal-costs';

interface Variant {
  name: string;
  /** How many things it adds to each workflow (to give the cost of one). */
  items: number;
  extras?: FloorExtras;
  /** Calls a client makes about the running child, right after the start; returns how many found something. */
  calls?: (client: Client, childId: string) => Promise<number>;
}

/** A call that found what it asked about (1), or not (0: the child not started yet, no noop pending). */
const yes = () => 1;
const no = () => 0;
const FLOOR: Variant = { name: 'floor', items: 0 };
const VARIANTS: Variant[] = [
  { name: '+ 6 search-attribute upserts', items: 6, extras: { upserts: 6 } },
  { name: '+ 6 local activities', items: 6, extras: { localActivities: 6 } },
  { name: '+ 2 patches (marker + TemporalChangeVersion upsert)', items: 2, extras: { patches: 2 } },
  {
    name: '+ 3 describe calls',
    items: 3,
    async calls(client, childId) {
      let found = 0;
      for (let i = 0; i < 3; i++) found += await client.workflow.getHandle(childId).describe().then(yes, no);
      return found;
    },
  },
  {
    name: '+ 3 ResetActivity calls',
    items: 3,
    async calls(client, childId) {
      let found = 0;
      for (let i = 0; i < 3; i++) {
        found += await client.workflowService
          .resetActivity({ namespace: 'default', execution: { workflowId: childId }, type: 'noop', identity: 'bench' })
          .then(yes, no);
      }
      return found;
    },
  },
];

/** Past the floor's timers (activity timeouts of ACTIVITY_TIMEOUT, workflow tasks' of 10 s), which fire after a run. */
const ACTIVITY_TIMEOUT = '5s';
const DRAIN_MS = 15_000;

/**
 * Runs the variant N times, then waits DRAIN_MS for the server's timers of those runs to fire: the server's CPU
 * from the start to the end of that wait, less what it spends idle in as long, is what the runs cost it.
 */
async function run(
  client: Client,
  variant: Variant,
  index: number,
  idlePerSecond: number,
): Promise<{ perSecond: number; cpuMs: number; found: number }> {
  let found = 0;
  const cpuBefore = temporalCpuSeconds();
  const seconds = await timedInParallel(N, CONCURRENCY, async (i) => {
    const id = `costs-${index}-${i}`;
    const handle = await client.workflow.start(floorParent, {
      taskQueue: TASK_QUEUE,
      workflowId: id,
      args: [id, { activityTimeout: ACTIVITY_TIMEOUT, ...variant.extras }],
    });
    found += (await variant.calls?.(client, `${id}-child`)) ?? 0;
    await handle.result();
  });
  await new Promise((r) => setTimeout(r, DRAIN_MS));
  const spent = temporalCpuSeconds() - cpuBefore - idlePerSecond * (DRAIN_MS / 1000 + seconds);
  return { perSecond: N / seconds, cpuMs: (spent / N) * 1000, found };
}

/** The server's CPU seconds per second when nothing runs. */
async function idleRate(): Promise<number> {
  const before = temporalCpuSeconds();
  await new Promise((r) => setTimeout(r, 10_000));
  return (temporalCpuSeconds() - before) / 10;
}

async function main(): Promise<void> {
  const temporal = await startBenchTemporal();
  const client = new Client({ connection: temporal.connection });
  try {
    const worker = await Worker.create({
      connection: temporal.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: require.resolve('./floor-workflows'),
      activities: { noop: () => Promise.resolve(), noopLocal: () => Promise.resolve() },
    });
    await worker.runUntil(async () => {
      await run(client, FLOOR, -1, 0); // warm-up: the server's caches, the worker's bundle
      const idle = await idleRate();
      console.log(`the server idle: ${(idle * 1000).toFixed(1)} CPU-ms a second`);
      // The server slows as its store fills, so each variant runs between two floors and is set against their mean.
      let floorBefore = await run(client, FLOOR, 0, idle);
      const rows: string[] = [];
      for (const [i, variant] of VARIANTS.entries()) {
        const result = await run(client, variant, 2 * i + 1, idle);
        const floorAfter = await run(client, FLOOR, 2 * i + 2, idle);
        const floorMs = (floorBefore.cpuMs + floorAfter.cpuMs) / 2;
        const extra = result.cpuMs - floorMs;
        console.log(
          `${variant.name}: ${result.perSecond.toFixed(2)}/s, ${result.cpuMs.toFixed(1)} server CPU-ms a workflow; ` +
            `floors around it ${floorBefore.cpuMs.toFixed(1)} and ${floorAfter.cpuMs.toFixed(1)} ms`,
        );
        rows.push(
          `  ${variant.name.padEnd(52)} ${result.perSecond.toFixed(2).padStart(6)}/s ` +
            `(floor ${((floorBefore.perSecond + floorAfter.perSecond) / 2).toFixed(2)}/s)  ${result.cpuMs.toFixed(1).padStart(6)} ms ` +
            `against ${floorMs.toFixed(1)}: ${extra >= 0 ? '+' : ''}${extra.toFixed(1)} ms, ${(extra / variant.items).toFixed(2)} ms ` +
            `each${variant.calls ? ` (${result.found} of ${N * variant.items} calls found the child's activity or the child)` : ''}`,
        );
        floorBefore = floorAfter;
      }
      console.log(
        `\nTemporal server CPU per workflow (${N} each, ${CONCURRENCY} at a time), against the mean of the floors run just before and ` +
          `after:`,
      );
      for (const row of rows) console.log(row);
    });
  } finally {
    await temporal.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
