/**
 * Copies a database: schema and data, honouring only_tables / skip_tables, verified by row counts.
 * SQLite: ATTACH and INSERT ... SELECT, table by table. MySQL/MariaDB: the server's own dump tool
 * piped into its client, several tables at once. A killed or failed copy leaves no partial target.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { databaseExists, dropDatabase, openDatabase, serverConnection } from '../db/database';
import { type DbLocation, locate, safe } from '../db/uri';

export interface CopyInput {
  source_db_uri: string;
  target_db_uri: string;
  only_tables?: string[];
  skip_tables?: string[];
  drop?: boolean;
}

export interface CopyOptions {
  signal?: AbortSignal;
  progress?: (p: { tables_done: number; tables: number }) => void;
  /** Parallel dump streams for MySQL. */
  streams?: number;
}

const pause = () => new Promise((r) => setImmediate(r));

export async function copyDatabase(input: CopyInput, opts: CopyOptions = {}) {
  const started = Date.now();
  const source = locate(input.source_db_uri);
  const target = locate(input.target_db_uri);
  if (source.engine !== target.engine) throw new Error(`cannot copy ${source.engine} to ${target.engine}: both must be the same engine`);
  if (!(await databaseExists(input.source_db_uri))) throw new Error(`source database ${source.name} does not exist`);
  if (await databaseExists(input.target_db_uri)) {
    if (!input.drop) throw new Error(`target database ${target.name} exists; submit with drop to replace it`);
    await dropDatabase(input.target_db_uri);
  }

  const src = await openDatabase(input.source_db_uri);
  let tables: string[];
  try {
    tables = (await src.tables()).filter((t) => (!input.only_tables?.length || input.only_tables.includes(t)) && !input.skip_tables?.includes(t));
  } finally {
    await src.close();
  }

  try {
    if (source.engine === 'sqlite' && target.engine === 'sqlite') await copySqlite(source.file, target.file, tables, opts);
    else if (source.engine === 'mysql' && target.engine === 'mysql') await copyMysql(source, target, tables, opts);
    opts.signal?.throwIfAborted();
    const rows = await verify(input, tables);
    return { source_db_uri: safe(input.source_db_uri), target_db_uri: safe(input.target_db_uri), runtime: `${((Date.now() - started) / 1000).toFixed(1)} seconds`, tables: rows };
  } catch (err) {
    await dropDatabase(input.target_db_uri).catch(() => undefined);
    throw err;
  }
}

/** Row counts per table, equal on both sides, or the copy fails. */
async function verify(input: CopyInput, tables: string[]): Promise<Record<string, number>> {
  const [src, tgt] = [await openDatabase(input.source_db_uri), await openDatabase(input.target_db_uri)];
  try {
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const [a, b] = [await src.count(table), await tgt.count(table)];
      if (a !== b) throw new Error(`copy verification failed: ${table} has ${a} rows in the source and ${b} in the target`);
      counts[table] = a;
    }
    return counts;
  } finally {
    await Promise.all([src.close(), tgt.close()]);
  }
}

async function copySqlite(sourceFile: string, targetFile: string, tables: string[], opts: CopyOptions): Promise<void> {
  mkdirSync(path.dirname(targetFile), { recursive: true });
  const db = new DatabaseSync(targetFile);
  try {
    db.exec(`ATTACH DATABASE '${sourceFile.replace(/'/g, "''")}' AS src`);
    const objects = db
      .prepare("SELECT type, name, tbl_name AS tbl, sql FROM src.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{ type: string; name: string; tbl: string; sql: string }>;
    db.exec('BEGIN');
    for (const [i, table] of tables.entries()) {
      opts.signal?.throwIfAborted();
      db.exec(objects.find((o) => o.type === 'table' && o.name === table)!.sql);
      db.exec(`INSERT INTO main."${table}" SELECT * FROM src."${table}"`);
      opts.progress?.({ tables_done: i + 1, tables: tables.length });
      await pause(); // lets a kill arrive between tables
    }
    for (const o of objects.filter((o) => o.type !== 'table' && tables.includes(o.tbl))) db.exec(o.sql);
    db.exec('COMMIT');
    db.exec('DETACH DATABASE src');
  } finally {
    if (db.isTransaction) db.exec('ROLLBACK');
    db.close();
  }
}

type MysqlLocation = Extract<DbLocation, { engine: 'mysql' }>;

function binary(names: string[]): string {
  for (const name of names) for (const dir of ['/usr/bin', '/usr/local/bin', '/usr/sbin']) if (existsSync(path.join(dir, name))) return path.join(dir, name);
  throw new Error(`none of ${names.join(', ')} is installed (apt-get install mariadb-client)`);
}

const clientArgs = (l: MysqlLocation) => ['-h', l.host, '-P', String(l.port), ...(l.user ? ['-u', l.user] : [])];
// Passwords go through the environment, never the command line (where ps would show them).
const clientEnv = (l: MysqlLocation) => ({ ...process.env, MYSQL_PWD: l.password ?? '' });

async function copyMysql(source: MysqlLocation, target: MysqlLocation, tables: string[], opts: CopyOptions): Promise<void> {
  const conn = await serverConnection(target);
  try {
    await conn.query(`CREATE DATABASE \`${target.name}\``);
  } finally {
    await conn.end();
  }
  // Largest tables first, dealt round-robin across the streams so they finish together.
  const srcConn = await serverConnection(source);
  let sizes: Array<{ name: string; size: number }>;
  try {
    const [rows] = await srcConn.query('SELECT TABLE_NAME AS name, DATA_LENGTH + INDEX_LENGTH AS size FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [source.name]);
    sizes = (rows as Array<{ name: string; size: number }>).filter((r) => tables.includes(r.name)).sort((a, b) => Number(b.size) - Number(a.size));
  } finally {
    await srcConn.end();
  }
  const streams = Math.max(1, Math.min(opts.streams ?? 2, sizes.length));
  const groups: string[][] = Array.from({ length: streams }, () => []);
  sizes.forEach((t, i) => groups[i % streams].push(t.name));
  let done = 0;
  await Promise.all(
    groups.map(async (group) => {
      await pipeDump(source, target, group, opts.signal);
      done += group.length;
      opts.progress?.({ tables_done: done, tables: tables.length });
    }),
  );
}

function pipeDump(source: MysqlLocation, target: MysqlLocation, tables: string[], signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const dumpArgs = [...clientArgs(source), '--single-transaction', '--quick', '--skip-lock-tables', '--no-tablespaces', '--skip-triggers', source.name, ...tables];
  const dump = spawn(binary(['mariadb-dump', 'mysqldump']), dumpArgs, { env: clientEnv(source), stdio: ['ignore', 'pipe', 'pipe'] });
  const load = spawn(binary(['mariadb', 'mysql']), [...clientArgs(target), target.name], { env: clientEnv(target), stdio: ['pipe', 'ignore', 'pipe'] });
  dump.stdout.pipe(load.stdin);
  const errors: string[] = [];
  // A killed or failing client closes the pipe under the dump: its exit code tells, not an EPIPE.
  load.stdin.on('error', (err) => errors.push(err.message));
  dump.stdout.on('error', (err) => errors.push(err.message));
  dump.stderr.on('data', (d) => errors.push(String(d)));
  load.stderr.on('data', (d) => errors.push(String(d)));
  const kill = () => [dump, load].forEach((p) => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'));
  if (signal?.aborted) kill();
  else signal?.addEventListener('abort', kill, { once: true });
  // One side failing stops the other: a dump whose reader is gone would block on a full pipe for ever.
  for (const p of [dump, load]) p.once('exit', (code) => code !== 0 && kill());
  load.stdin.once('error', kill);
  const exit = (p: ChildProcess) => new Promise<number | null>((r) => p.once('close', (code) => r(code)));
  return Promise.all([exit(dump), exit(load)]).then(([a, b]) => {
    signal?.removeEventListener('abort', kill);
    signal?.throwIfAborted();
    if (a !== 0 || b !== 0) throw new Error(`dump of ${tables.join(', ')} failed: ${errors.join(' ').trim().slice(0, 500)}`);
  });
}
