/**
 * Benchmark: the copy service's MariaDB copy against `mysqldump | mysql` of the same database, in the
 * same run, on two private MariaDB servers (source and staging). Prints the speed ratio
 * (baseline seconds / our seconds; above 1 means faster than the baseline).
 *
 *   npm run bench:copy -- [--gb 1] [--rounds 2] [--streams 2]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { copyDatabase } from '../services/copy/copy';
import { parseTargetRoots } from '../services/copy/targets';
import { dropDatabase } from '../services/db/database';
import { type MariaDb, startMariaDb } from '../tests/helpers/mariadb';

const { values } = parseArgs({ options: { gb: { type: 'string', default: '1' }, rounds: { type: 'string', default: '2' }, streams: { type: 'string', default: '2' } } });
const targetBytes = Number(values.gb) * 1024 ** 3;
const NAME = 'bench_core_110_1';

async function generate(server: MariaDb): Promise<number> {
  const conn = await mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password, multipleStatements: true });
  await conn.query(`CREATE DATABASE ${NAME}`);
  await conn.changeUser({ database: NAME });
  // Four tables of different sizes, like a real core database: a few large, rows of mixed types.
  const shares = { dna_align_feature: 0.45, protein_feature: 0.3, exon: 0.15, gene: 0.1 };
  for (const table of Object.keys(shares)) {
    await conn.query(`CREATE TABLE ${table} (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, seq_region_id INT NOT NULL, start INT NOT NULL, end INT NOT NULL,
      hit_name VARCHAR(64) NOT NULL, score DOUBLE, cigar TEXT, KEY (seq_region_id, start)) ENGINE=InnoDB`);
    await conn.query(`INSERT INTO ${table} (seq_region_id, start, end, hit_name, score, cigar) VALUES (1, 1, 2, 'seed', 1, 'M')`);
  }
  const size = async () =>
    Number(((await conn.query(`SELECT SUM(DATA_LENGTH + INDEX_LENGTH) AS b FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${NAME}'`))[0] as Array<{ b: number }>)[0].b);
  for (const [table, share] of Object.entries(shares)) {
    for (;;) {
      await conn.query('ANALYZE TABLE ' + table);
      const [rows] = await conn.query(`SELECT DATA_LENGTH + INDEX_LENGTH AS b FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${NAME}' AND TABLE_NAME = '${table}'`);
      if (Number((rows as Array<{ b: number }>)[0].b) >= targetBytes * share) break;
      await conn.query(`INSERT INTO ${table} (seq_region_id, start, end, hit_name, score, cigar)
        SELECT FLOOR(RAND() * 5000), FLOOR(RAND() * 1e8), FLOOR(RAND() * 1e8), MD5(RAND()), RAND() * 1000, REPEAT(CONCAT(FLOOR(RAND()*90)+10, 'M'), 20) FROM ${table} LIMIT 2000000`);
    }
  }
  const bytes = await size();
  await conn.end();
  return bytes;
}

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

async function main(): Promise<void> {
  const [source, staging] = await Promise.all([startMariaDb(), startMariaDb()]);
  try {
    console.log(`generating ~${values.gb} GB in ${NAME}...`);
    const bytes = await generate(source);
    console.log(`source: ${(bytes / 1024 ** 3).toFixed(2)} GB (data + indexes)`);
    const srcUri = source.uri(NAME);
    const results: Array<{ round: number; baseline: number; ours: number }> = [];
    for (let round = 1; round <= Number(values.rounds); round++) {
      // Alternate which goes first, so caches favour neither.
      const baseline = async () => {
        await dropDatabase(staging.uri('baseline'));
        await run(`mysql -h ${staging.host} -P ${staging.port} -u ${staging.user} -e 'CREATE DATABASE baseline'`, { MYSQL_PWD: staging.password });
        return timed(() =>
          run(
            `set -o pipefail; MYSQL_PWD='${source.password}' mysqldump -h ${source.host} -P ${source.port} -u ${source.user} --single-transaction --quick ${NAME} | MYSQL_PWD='${staging.password}' mysql -h ${staging.host} -P ${staging.port} -u ${staging.user} baseline`,
            {},
          ),
        );
      };
      // The copy writes only to its target roots: here the staging server.
      const policy = { roots: parseTargetRoots(`mysql://${staging.host}:${staging.port}/`), protectedDirs: [] };
      const ours = () => timed(() => copyDatabase({ source_db_uri: srcUri, target_db_uri: staging.uri(NAME), drop: true }, { streams: Number(values.streams), policy }));
      let b: number, o: number;
      if (round % 2) {
        b = await baseline();
        o = await ours();
      } else {
        o = await ours();
        b = await baseline();
      }
      results.push({ round, baseline: b, ours: o });
      console.log(`round ${round}: mysqldump | mysql ${b.toFixed(1)} s, copy service ${o.toFixed(1)} s (incl. row-count verification), ratio ${(b / o).toFixed(2)}`);
    }
    const sum = (k: 'baseline' | 'ours') => results.reduce((s, r) => s + r[k], 0);
    console.log(
      `\nRESULT: ${(bytes / 1024 ** 3).toFixed(2)} GB, ${results.length} rounds, speed ratio (mysqldump|mysql time / copy service time) = ${(sum('baseline') / sum('ours')).toFixed(2)} (target >= 0.90)`,
    );
  } finally {
    await Promise.all([source.stop(), staging.stop()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
