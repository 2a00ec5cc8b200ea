/**
 * Benchmark: the copy service's MariaDB copy against `mysqldump --single-transaction | mysql` of the same
 * database, in the same run, on two private MariaDB servers (source and staging). Prints the speed ratio
 * (baseline seconds / our seconds; above 1 means faster than the baseline), and beside it the ratio against
 * the machine's floor: a raw copy of the source's data files (`cp -r` of the schema's folder, then sync).
 *
 *   npm run bench:copy -- [--gb 1] [--rounds 2] [--streams 2]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { copyDatabase } from '../services/copy/copy';
import { parseTargetRoots } from '../services/copy/targets';
import { dropDatabase } from '../services/db/database';
import { type MariaDb, startMariaDb } from '../tests/helpers/mariadb';
import { generateCoreLike } from './support/mariadb-source';

const { values } = parseArgs({
  options: { gb: { type: 'string', default: '1' }, rounds: { type: 'string', default: '2' }, streams: { type: 'string', default: '2' } },
});
const targetBytes = Number(values.gb) * 1024 ** 3;
const NAME = 'bench_core_110_1';

function run(command: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The floor: the source schema's data files copied as files (the server keeps running; a measure, not a backup). */
async function rawCopy(source: MariaDb): Promise<number> {
  const rows = (await source.query('SELECT @@datadir AS d')) as Array<{ d: string }>;
  const from = path.join(rows[0].d, NAME);
  const to = mkdtempSync(path.join(os.tmpdir(), 'handover-raw-copy-'));
  try {
    return await timed(() => run(`cp -r ${from} ${to}/ && sync -f ${to}/${NAME}`, {}));
  } finally {
    rmSync(to, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [source, staging] = await Promise.all([startMariaDb(), startMariaDb()]);
  try {
    console.log(`generating ~${values.gb} GB in ${NAME}...`);
    const bytes = await generateCoreLike(source, NAME, targetBytes);
    console.log(`source: ${(bytes / 1024 ** 3).toFixed(2)} GB (data + indexes)`);
    const srcUri = source.uri(NAME);
    const results: Array<{ round: number; baseline: number; ours: number; raw: number }> = [];
    for (let round = 1; round <= Number(values.rounds); round++) {
      // Alternate which goes first, so caches favour neither.
      const baseline = async () => {
        await dropDatabase(staging.uri('baseline'));
        await run(`mysql -h ${staging.host} -P ${staging.port} -u ${staging.user} -e 'CREATE DATABASE baseline'`, {
          MYSQL_PWD: staging.password,
        });
        return timed(() =>
          run(
            `set -o pipefail; MYSQL_PWD='${source.password}' mysqldump -h ${source.host} -P ${source.port} -u ${source.user} ` +
              `--single-transaction --quick ${NAME} | MYSQL_PWD='${staging.password}' mysql -h ${staging.host} -P ${staging.port} ` +
              `-u ${staging.user} baseline`,
            {},
          ),
        );
      };
      // The copy writes only to its target roots: here the staging server.
      const policy = { roots: parseTargetRoots(`mysql://${staging.host}:${staging.port}/`), protectedDirs: [] };
      const ours = () =>
        timed(() =>
          copyDatabase(
            { source_db_uri: srcUri, target_db_uri: staging.uri(NAME), drop: true },
            { streams: Number(values.streams), policy },
          ),
        );
      let b: number, o: number;
      if (round % 2) {
        b = await baseline();
        o = await ours();
      } else {
        o = await ours();
        b = await baseline();
      }
      const raw = await rawCopy(source);
      results.push({ round, baseline: b, ours: o, raw });
      console.log(
        `round ${round}: mysqldump | mysql ${b.toFixed(1)} s, copy service ${o.toFixed(1)} s (incl. verification), ` +
          `ratio ${(b / o).toFixed(2)}; raw file copy ${raw.toFixed(1)} s (copy service / raw: ${(o / raw).toFixed(1)}x)`,
      );
    }
    const sum = (k: 'baseline' | 'ours' | 'raw') => results.reduce((s, r) => s + r[k], 0);
    console.log(
      `\nRESULT: ${(bytes / 1024 ** 3).toFixed(2)} GB, ${results.length} rounds, speed ratio (mysqldump|mysql time / copy service time) ` +
        `= ${(sum('baseline') / sum('ours')).toFixed(2)} (target >= 2.0); ` +
        `raw file copy / copy service = ${(sum('raw') / sum('ours')).toFixed(2)} (the machine's floor is 1)`,
    );
  } finally {
    await Promise.all([source.stop(), staging.stop()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
