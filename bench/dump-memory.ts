/**
 * Benchmark: the memory of a dump (issue #12). The local stack runs as its own process (`node --import tsx
 * services/main.ts`, as tests/faults/dump-memory.test.ts runs it); a generated SQLite database with one big
 * table is dumped through the event service. Prints the table's size, the dump's time and the services
 * process's peak resident memory (VmHWM), which must not grow with the table.
 *
 *   npm run bench:dump -- [--mb 2048] [--keep]        (or DUMP_BENCH_MB=2048)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MB, bigSqliteTable, processMemory, startStackProcess } from '../tests/helpers/stack-process';
import { waitFor } from '../tests/helpers/wait';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: process.env.DUMP_BENCH_MB ?? '2048' }, keep: { type: 'boolean', default: false } },
});
const size = Number(values.mb);
if (!Number.isFinite(size) || size <= 0) throw new Error(`--mb must be a number of megabytes (got ${values.mb})`);
const NAME = 'dumpbench_core_110_1';

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-bench-dump-'));
  try {
    mkdirSync(path.join(dir, 'upstream'));
    const file = path.join(dir, 'upstream', `${NAME}.sqlite`);
    let started = Date.now();
    console.log(`generating a SQLite table of ~${size} MB in ${file}...`);
    const { rows, fileBytes } = bigSqliteTable(file, size * MB);
    console.log(
      `source: ${(fileBytes / MB).toFixed(0)} MB, table feature: ${rows} rows (made in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );

    const stack = await startStackProcess(path.join(dir, 'stack'));
    try {
      const idle = processMemory(stack.pid);
      const res = await fetch(`${stack.urls.event}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'other', genome: 'dumpbench', details: { database_uri: `sqlite:///${file}` } }),
      });
      if (res.status !== 200) throw new Error(`POST /jobs: ${res.status} ${await res.text()}`);
      const id = ((await res.json()) as { processes: Array<{ job: number }> }).processes[0].job;
      started = Date.now();
      let highest = 0;
      const done = await waitFor(
        async () => {
          highest = Math.max(highest, processMemory(stack.pid).current);
          const job = (await (await fetch(`${stack.urls.event}/jobs/dump/${id}`)).json()) as { status: string };
          return ['complete', 'failed'].includes(job.status) ? job : undefined;
        },
        6 * 3600_000,
        'the dump to end',
      );
      const seconds = (Date.now() - started) / 1000;
      const memory = processMemory(stack.pid);
      if (done.status !== 'complete') {
        const failure = (await (await fetch(`${stack.urls.event}/jobs/dump/${id}?format=failures`)).json()) as unknown;
        throw new Error(`the dump ${done.status}: ${JSON.stringify(failure)}`);
      }
      const folder = path.join(dir, 'stack', 'dumps', NAME);
      const tsv = statSync(path.join(folder, 'feature.tsv')).size;
      console.log(`CHECKSUMS:\n${readFileSync(path.join(folder, 'CHECKSUMS'), 'utf8').trimEnd()}`);
      console.log(
        `\nRESULT: table ${(fileBytes / MB).toFixed(0)} MB (${rows} rows) dumped in ${seconds.toFixed(1)} s ` +
          `(${(tsv / MB / seconds).toFixed(0)} MB/s of TSV, ${(tsv / MB).toFixed(0)} MB); ` +
          `services process peak RSS (VmHWM) ${(memory.peak / MB).toFixed(1)} MB (idle before ${(idle.current / MB).toFixed(1)} MB, ` +
          `highest VmRSS sampled ${(highest / MB).toFixed(1)} MB)`,
      );
    } finally {
      await stack.stop();
    }
  } finally {
    if (values.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
