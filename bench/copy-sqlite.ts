/**
 * Benchmark: the copy service's SQLite copy against a plain file copy of the same database, in the same run.
 * Both are made durable (the plain copy is `cp` then `sync` of the file; the copy service fsyncs its copy and
 * the folder before it answers), both start from the page cache (the source is read once before timing), and
 * each writes a new file with nothing else waiting to be written back.
 * The copy service's time includes its work around the bytes: the read lock on the source, the private folder,
 * the row counts of the copy, the atomic rename.
 *
 *   npm run bench:copy-sqlite -- [--mb 1024] [--rounds 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { copyDatabase } from '../services/copy/copy';
import { parseTargetRoots } from '../services/copy/targets';
import { MB, bigSqliteTable } from '../tests/helpers/stack-process';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '1024' }, rounds: { type: 'string', default: '3' } } });

const seconds = async (fn: () => unknown) => {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-bench-sqlite-'));
  try {
    const source = path.join(dir, 'upstream', 'bench_core_110_1.sqlite');
    const staging = path.join(dir, 'staging');
    mkdirSync(path.dirname(source), { recursive: true });
    mkdirSync(staging, { recursive: true });
    console.log(`generating a ${values.mb} MB SQLite database...`);
    const { rows, fileBytes } = bigSqliteTable(source, Number(values.mb) * MB);
    console.log(`source: ${(fileBytes / MB).toFixed(0)} MB, ${rows} rows in one table (and meta)`);
    readFileSync(source); // into the page cache, for both
    const policy = { roots: parseTargetRoots(`sqlite:///${staging}/`), protectedDirs: [] };
    const plainTarget = path.join(dir, 'plain.sqlite');
    const target = path.join(staging, 'bench_core_110_1.sqlite');
    const results: Array<{ plain: number; ours: number }> = [];
    for (let round = 1; round <= Number(values.rounds); round++) {
      // Each starts with no file at its target and nothing waiting to be written back (the previous copies' pages
      // flushed first, untimed), so neither pays for the other's writes.
      const settle = () => {
        rmSync(plainTarget, { force: true });
        rmSync(target, { force: true });
        execFileSync('sync');
      };
      const plain = async () => {
        settle();
        return seconds(() => execFileSync('bash', ['-c', `cp -- "$0" "$1" && sync -f "$1"`, source, plainTarget]));
      };
      const ours = async () => {
        settle();
        return seconds(() => copyDatabase({ source_db_uri: `sqlite:///${source}`, target_db_uri: `sqlite:///${target}` }, { policy }));
      };
      // Alternate which goes first, so neither always meets a dirty page cache.
      let p: number, o: number;
      if (round % 2) {
        p = await plain();
        o = await ours();
      } else {
        o = await ours();
        p = await plain();
      }
      results.push({ plain: p, ours: o });
      console.log(`round ${round}: plain file copy ${p.toFixed(2)} s, copy service ${o.toFixed(2)} s, ratio ${(p / o).toFixed(2)}`);
    }
    const sum = (k: 'plain' | 'ours') => results.reduce((s, r) => s + r[k], 0);
    console.log(
      `\nRESULT: ${(fileBytes / MB).toFixed(0)} MB, ${results.length} rounds, speed ratio (plain file copy time / copy service time) ` +
        `= ${(sum('plain') / sum('ours')).toFixed(2)} (target >= 0.8)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
