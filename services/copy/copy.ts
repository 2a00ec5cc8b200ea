/**
 * Copies a database: schema and data, honouring only_tables / skip_tables, verified by row counts,
 * and swapped into place atomically, so the previous staging copy stays exactly as it was until the
 * new one is complete and verified (and stays so when a copy fails, is killed or times out).
 *   SQLite: ATTACH the source read-only, INSERT ... SELECT table by table into a temporary file in a
 *     private folder (mkdtemp, 0700) inside the target's folder (.<name>.sqlite.copying-XXXXXX/), verify,
 *     fsync, rename over the target, remove the private folder. node:sqlite runs a statement on the event
 *     loop and cannot interrupt it, so a table is copied in rowid ranges sized to take about CHUNK_MS each,
 *     with a turn of the event loop between them: a kill is answered within a chunk, whatever the table's
 *     size (WITHOUT ROWID tables, and tables whose every rowid alias is a column, are copied whole).
 *   MySQL/MariaDB: into a temporary schema (handover_tmp_<hash>): each table made from the source's
 *     `SHOW CREATE TABLE`, read and run through mysql2 one statement at a time, only when it is one plain
 *     CREATE TABLE for that table (guard.ts); then the rows, the server's own dump tool with
 *     --no-create-info piped into its client, several tables at once, every byte of the dump checked on
 *     the way (guard.ts: only the dump's own SET/LOCK/ALTER ... KEYS lines and INSERTs of literals into
 *     the stream's tables reach the loader); verify; then ONE `RENAME TABLE` moves the target's tables
 *     into a backup schema (handover_old_<hash>) and the new ones into the target (created if missing);
 *     the backup and temporary schemas are dropped. The source server may be the submitter's own: no
 *     text from it reaches the staging server as code (DDL or otherwise) unchecked. When a copy fails or is
 *     killed, every dump stream is stopped, and the loader's server connections (their statements outlive
 *     the killed client) are killed on the staging server before the temporary schema is dropped.
 * Targets are checked against the target roots (targets.ts) before anything is written; table names
 * read from the source must be identifiers; names reach SQL quoted and command lines after `--`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, constants, existsSync, fstatSync, lstatSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { databaseExists, dropDatabase, killSessionsIn, openDatabase, serverConnection } from '../db/database';
import { identifier, quoteIdent, resolveUnder } from '../db/names';
import { type DbLocation, type MysqlLocation, type SqliteLocation, locate, safe } from '../db/uri';
import { DumpGuard, checkCreateTable } from './guard';
import { type TargetPolicy, checkTarget } from './targets';

export interface CopyInput {
  source_db_uri: string;
  target_db_uri: string;
  only_tables?: string[];
  skip_tables?: string[];
  drop?: boolean;
}

export interface CopyOptions {
  /** Where targets may be (the copy service's target roots): checked before anything is written. */
  policy: TargetPolicy;
  signal?: AbortSignal;
  progress?: (p: { tables_done: number; tables: number } | { waiting: string }) => void;
  /** Parallel dump streams for MySQL. */
  streams?: number;
  /** One copy per target: resolves, once the target is free, to the function that frees it again. */
  lock?: (key: string, signal?: AbortSignal) => Promise<() => void>;
}

const pause = () => new Promise((r) => setImmediate(r));

export async function copyDatabase(input: CopyInput, opts: CopyOptions) {
  const started = Date.now();
  const source = locate(input.source_db_uri);
  const { location: target, key } = await checkTarget(input.source_db_uri, input.target_db_uri, opts.policy);
  const release = opts.lock ? await opts.lock(key, opts.signal) : () => undefined;
  try {
    opts.signal?.throwIfAborted();
    if (!(await databaseExists(source))) throw new Error(`source database ${source.name} does not exist`);
    if (!input.drop && (await databaseExists(target))) throw new Error(`target database ${target.name} exists; submit with drop to replace it`);
    const tables = await sourceTables(source, input, opts.signal);
    const rows = source.engine === 'sqlite' ? await copySqlite(source, target as SqliteLocation, tables, opts) : await copyMysql(source, target as MysqlLocation, tables, opts);
    return { source_db_uri: safe(input.source_db_uri), target_db_uri: safe(input.target_db_uri), runtime: `${((Date.now() - started) / 1000).toFixed(1)} seconds`, tables: rows };
  } finally {
    release();
  }
}

/** The source's tables to copy. Every table name must be an identifier: a source with any other name is refused. */
async function sourceTables(source: DbLocation, input: CopyInput, signal?: AbortSignal): Promise<string[]> {
  const src = await openDatabase(source, { signal });
  try {
    const all = (await src.tables()).map((t) => identifier(t, 'table name'));
    return all.filter((t) => (!input.only_tables?.length || input.only_tables.includes(t)) && !input.skip_tables?.includes(t));
  } finally {
    await src.close();
  }
}

/** Row counts per table, equal on both sides, or the copy fails. */
async function verify(source: DbLocation, copy: DbLocation, tables: string[], signal?: AbortSignal): Promise<Record<string, number>> {
  // With the job's signal: a kill stops a count on a big MariaDB table on the server (database.ts).
  const src = await openDatabase(source, { signal });
  const tgt = await openDatabase(copy, { signal }).catch(async (err: unknown) => {
    await src.close();
    throw err;
  });
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

// ---------------------------------------------------------------- SQLite

/** fsync off the event loop (libuv's threads): flushing a copy of gigabytes may take a while, and a kill must still be answered. */
const fsyncPath = async (p: string) => {
  const handle = await open(p, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

/** A chunk of a SQLite table copy is sized to take about this long (doubled or halved after each chunk). */
export const CHUNK_MS = 100;
const MAX_ROWID = 2n ** 63n - 1n;

/**
 * The name by which the rows of `table` in the attached source are reached by rowid: `rowid`, `_rowid_` or
 * `oid`, whichever is not a column's name. None for a WITHOUT ROWID table (or anything but a plain table).
 */
function rowidName(db: DatabaseSync, table: string): string | undefined {
  const t = quoteIdent('sqlite', table);
  let info: { type: string; wr: number } | undefined;
  try {
    info = db.prepare(`PRAGMA src.table_list(${t})`).get() as typeof info;
  } catch {
    return undefined; // an SQLite without table_list: the whole table in one statement, as before
  }
  if (!info || info.type !== 'table' || Number(info.wr) !== 0) return undefined;
  const columns = new Set((db.prepare(`PRAGMA src.table_info(${t})`).all() as Array<{ name: string }>).map((c) => c.name.toLowerCase()));
  return ['rowid', '_rowid_', 'oid'].find((alias) => !columns.has(alias));
}

/**
 * The rows of one table, source to copy, in rowid ranges: each range's statement takes about CHUNK_MS (the
 * range doubles while chunks are quick, halves when one is slow), and the event loop gets a turn after each,
 * so that a kill arrives. A gap in the rowids is jumped (the next range starts at the next rowid there is).
 * Rows keep their order, so the copy is the same as one INSERT ... SELECT of the whole table.
 */
async function copyRows(db: DatabaseSync, table: string, signal?: AbortSignal): Promise<void> {
  const t = quoteIdent('sqlite', table);
  const key = rowidName(db, table);
  if (!key) {
    db.exec(`INSERT INTO main.${t} SELECT * FROM src.${t}`);
    return;
  }
  const first = db.prepare(`SELECT min(${key}) AS k FROM src.${t}`);
  const next = db.prepare(`SELECT min(${key}) AS k FROM src.${t} WHERE ${key} > ?`);
  const chunk = db.prepare(`INSERT INTO main.${t} SELECT * FROM src.${t} WHERE ${key} >= ? AND ${key} <= ?`);
  first.setReadBigInts(true);
  next.setReadBigInts(true);
  let lo = (first.get() as { k: bigint | null }).k;
  let span = 1024n;
  while (lo !== null) {
    const hi = lo > MAX_ROWID - span + 1n ? MAX_ROWID : lo + span - 1n;
    const began = performance.now();
    chunk.run(lo, hi);
    const took = performance.now() - began;
    if (took < CHUNK_MS / 2 && span < 2n ** 40n) span *= 2n;
    else if (took > CHUNK_MS * 2 && span > 1n) span /= 2n;
    lo = hi === MAX_ROWID ? null : (next.get(hi) as { k: bigint | null }).k;
    await pause(); // lets a kill arrive between chunks
    signal?.throwIfAborted();
  }
}

/** A read-only SQLite URI for ATTACH: the source can never be written through the copy's connection. */
const readOnlyUri = (file: string) => `file:${file.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?mode=ro`;

/** The schema's SQL is the source's data: it runs only as the one CREATE statement its type says (prepare() compiles no second statement). */
function schemaStatement(db: DatabaseSync, o: { type: string; name: string; sql: string }): void {
  const shape: Record<string, RegExp> = { table: /^\s*CREATE\s+TABLE\s/i, index: /^\s*CREATE\s+(UNIQUE\s+)?INDEX\s/i, trigger: /^\s*CREATE\s+TRIGGER\s/i, view: /^\s*CREATE\s+VIEW\s/i };
  if (!shape[o.type]?.test(o.sql)) throw new Error(`the source's ${o.type} ${o.name} has a definition that is not a CREATE ${o.type.toUpperCase()} statement`);
  db.prepare(o.sql).run();
}

/**
 * The copy's private folder in the target's folder: `.<name>.sqlite.copying-XXXXXX`, made by mkdtemp (a new
 * name, mode 0700), so nobody else who can write in the staging folder can plant a symbolic link where
 * SQLite opens the copy or its journal. Leftovers of a crashed copy of this target (such folders, and
 * the plain `.<name>.sqlite.copying` files older versions wrote) are removed first; rm removes a link,
 * never what it points to.
 */
function privateFolder(folder: string, base: string): string {
  const prefix = `.${base}.copying`;
  for (const entry of readdirSync(folder)) {
    if (entry === prefix || entry.startsWith(`${prefix}-`)) rmSync(resolveUnder(folder, entry), { recursive: true, force: true });
  }
  const dir = mkdtempSync(path.join(folder, `${prefix}-`));
  chmodSync(dir, 0o700);
  return dir;
}

async function copySqlite(source: SqliteLocation, target: SqliteLocation, tables: string[], opts: CopyOptions): Promise<Record<string, number>> {
  const folder = path.dirname(target.file);
  const work = privateFolder(folder, path.basename(target.file));
  const temp = resolveUnder(work, path.basename(target.file));
  try {
    // The file made here first (a new file, never through a link), and the folder and file still the
    // ones made when SQLite has opened it and before it is renamed into place.
    const fd = openSync(temp, constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_RDWR, 0o600);
    const made = { dir: lstatSync(work), file: fstatSync(fd) };
    closeSync(fd);
    const unchanged = () => {
      const [dir, file] = [lstatSync(work), lstatSync(temp)];
      if (!dir.isDirectory() || dir.ino !== made.dir.ino || dir.dev !== made.dir.dev || !file.isFile() || file.ino !== made.file.ino || file.dev !== made.file.dev) {
        throw new Error(`the copy's private folder ${work} was changed by someone else while the copy ran`);
      }
    };
    const db = new DatabaseSync(temp);
    try {
      unchanged();
      db.exec('PRAGMA trusted_schema = OFF');
      // No fsync by SQLite at COMMIT (it would block the event loop): the file is fsynced below, off the
      // event loop, before it is renamed into place; until then it is only ever this copy's temporary file.
      db.exec('PRAGMA synchronous = OFF');
      db.prepare('ATTACH DATABASE ? AS src').run(readOnlyUri(source.file));
      const objects = db.prepare("SELECT type, name, tbl_name AS tbl, sql FROM src.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'").all() as Array<{
        type: string;
        name: string;
        tbl: string;
        sql: string;
      }>;
      db.exec('BEGIN');
      for (const [i, table] of tables.entries()) {
        opts.signal?.throwIfAborted();
        schemaStatement(
          db,
          objects.find((o) => o.type === 'table' && o.name === table)!,
        );
        await copyRows(db, table, opts.signal);
        opts.progress?.({ tables_done: i + 1, tables: tables.length });
        await pause(); // lets a kill arrive between tables
      }
      for (const o of objects.filter((o) => o.type !== 'table' && tables.includes(o.tbl))) schemaStatement(db, o);
      db.exec('COMMIT');
      db.exec('DETACH DATABASE src');
    } finally {
      if (db.isTransaction) db.exec('ROLLBACK');
      db.close();
    }
    opts.signal?.throwIfAborted();
    const counts = await verify(source, { ...target, file: temp }, tables, opts.signal);
    await fsyncPath(temp);
    // The point of no return: a kill before it leaves the target as it was; after it the copy is complete.
    opts.signal?.throwIfAborted();
    unchanged();
    rmSync(`${target.file}-journal`, { force: true }); // a hot journal of the old file would be played onto the new one
    renameSync(temp, target.file); // same folder's file system: atomic
    for (const suffix of ['-wal', '-shm']) rmSync(target.file + suffix, { force: true });
    await fsyncPath(folder);
    return counts;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- MySQL / MariaDB

function binary(names: string[]): string {
  for (const name of names) for (const dir of ['/usr/bin', '/usr/local/bin', '/usr/sbin']) if (existsSync(path.join(dir, name))) return path.join(dir, name);
  throw new Error(`none of ${names.join(', ')} is installed (apt-get install mariadb-client)`);
}

// Options as --name=value (one argument each, whatever the value), TCP always (a `localhost` must not
// mean a socket, which could be another server than the one checked).
const clientArgs = (l: MysqlLocation) => ['--protocol=TCP', `--host=${l.host}`, `--port=${l.port}`, ...(l.user ? [`--user=${l.user}`] : [])];
// Passwords go through the environment, never the command line (where ps would show them).
const clientEnv = (l: MysqlLocation) => ({ ...process.env, MYSQL_PWD: l.password ?? '' });

/** The copy's own schemas for a target: deterministic, so a crashed copy's leftovers are found and dropped by the next one. */
export function workSchemas(target: MysqlLocation): { temp: MysqlLocation; backup: MysqlLocation } {
  const hash = createHash('sha256').update(target.name).digest('hex').slice(0, 16);
  return { temp: { ...target, name: `handover_tmp_${hash}` }, backup: { ...target, name: `handover_old_${hash}` } };
}

async function copyMysql(source: MysqlLocation, target: MysqlLocation, tables: string[], opts: CopyOptions): Promise<Record<string, number>> {
  const q = (name: string) => quoteIdent('mysql', name);
  const { temp, backup } = workSchemas(target);
  await takeOverDrops(temp, backup);
  const conn = await serverConnection(target);
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${q(temp.name)}`);
    await conn.query(`DROP DATABASE IF EXISTS ${q(backup.name)}`);
    await conn.query(`CREATE DATABASE ${q(temp.name)}`);
  } finally {
    await conn.end();
  }
  let counts: Record<string, number>;
  try {
    await createTables(source, temp, tables, opts.signal);
    await loadInto(source, temp, tables, opts);
    opts.signal?.throwIfAborted();
    counts = await verify(source, temp, tables, opts.signal);
    // The point of no return: a kill before it leaves the target as it was; after it the copy is complete.
    opts.signal?.throwIfAborted();
    await swap(target, temp, backup);
  } catch (err) {
    // A killed loader client leaves its server connection running the statement it had sent (and holding
    // the table's locks, so DROP DATABASE would wait for it): those connections are killed first.
    await killSessionsIn(target, temp.name).catch(() => undefined);
    await Promise.all([dropSoon(temp), dropSoon(backup)]);
    throw err;
  }
  await dropDatabase(backup).catch(() => undefined);
  await dropDatabase(temp).catch(() => undefined);
  return counts;
}

/** How often, and how long, a work schema that could not be dropped (its server down) is tried again. */
const DROP_RETRY = { everyMs: 5000, forMs: 10 * 60_000 };
/** Work schemas being dropped in the background, by server and name: the next copy to them takes over first. */
const pendingDrops = new Map<string, { timer?: NodeJS.Timeout; inflight?: Promise<unknown> }>();
const schemaKey = (schema: MysqlLocation) => `${schema.host}:${schema.port}/${schema.name}`;

/**
 * Drops a work schema now; when its server cannot be reached (restarting, say) keeps trying in the background
 * for a while, so a failed copy leaves no partial rows on staging once the server is back. A later copy to the
 * same target stops these tries before it makes its own work schema of that name (takeOverDrops).
 */
async function dropSoon(schema: MysqlLocation): Promise<void> {
  if (
    await dropDatabase(schema).then(
      () => true,
      () => false,
    )
  )
    return;
  const key = schemaKey(schema);
  const giveUpAt = Date.now() + DROP_RETRY.forMs;
  const pending: { timer?: NodeJS.Timeout; inflight?: Promise<unknown> } = {};
  const retry = () => {
    pending.timer = undefined;
    pending.inflight = dropDatabase(schema).then(
      () => pendingDrops.delete(key),
      () => {
        pending.inflight = undefined;
        if (pendingDrops.get(key) !== pending) return; // taken over by a later copy
        if (Date.now() < giveUpAt) pending.timer = setTimeout(retry, DROP_RETRY.everyMs).unref();
        else {
          pendingDrops.delete(key);
          console.warn(`copy service: could not drop the work schema ${schema.name} on ${schema.host}:${schema.port}; the next copy to it will`);
        }
      },
    );
  };
  pending.timer = setTimeout(retry, DROP_RETRY.everyMs).unref();
  pendingDrops.set(key, pending);
}

/** Stops the background drops of these schemas (waiting out one already sent): the caller drops them itself. */
async function takeOverDrops(...schemas: MysqlLocation[]): Promise<void> {
  for (const schema of schemas) {
    const pending = pendingDrops.get(schemaKey(schema));
    if (!pending) continue;
    pendingDrops.delete(schemaKey(schema));
    clearTimeout(pending.timer);
    await pending.inflight?.catch(() => undefined);
  }
}

/** One RENAME TABLE statement (atomic): the target's tables to the backup schema, the new ones to the target. */
async function swap(target: MysqlLocation, temp: MysqlLocation, backup: MysqlLocation): Promise<void> {
  const q = (name: string) => quoteIdent('mysql', name);
  const conn = await serverConnection(target);
  const tablesOf = async (schema: string, type: string) =>
    ((await conn.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = ?', [schema, type]))[0] as Array<{ name: string }>).map(
      (r) => r.name,
    );
  try {
    const [existing] = await conn.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [target.name]);
    const created = (existing as unknown[]).length === 0;
    if (created) await conn.query(`CREATE DATABASE ${q(target.name)}`);
    await conn.query(`CREATE DATABASE ${q(backup.name)}`);
    const old = await tablesOf(target.name, 'BASE TABLE');
    const fresh = await tablesOf(temp.name, 'BASE TABLE');
    const moves = [...old.map((t) => `${q(target.name)}.${q(t)} TO ${q(backup.name)}.${q(t)}`), ...fresh.map((t) => `${q(temp.name)}.${q(t)} TO ${q(target.name)}.${q(t)}`)];
    try {
      if (moves.length) await conn.query(`RENAME TABLE ${moves.join(', ')}`);
    } catch (err) {
      if (created) await conn.query(`DROP DATABASE IF EXISTS ${q(target.name)}`).catch(() => undefined);
      throw new Error(`could not swap the new copy into ${target.name} (the previous copy is unchanged): ${(err as Error).message}`);
    }
    // Views cannot move between schemas: the old copy's views go (the copy itself only makes tables).
    for (const view of await tablesOf(target.name, 'VIEW')) await conn.query(`DROP VIEW IF EXISTS ${q(target.name)}.${q(view)}`);
  } finally {
    await conn.end();
  }
}

/** Sessions that run a source's table definitions: the dump's own settings (no ANSI_QUOTES, no NO_BACKSLASH_ESCAPES: guard.ts reads quotes so). */
const DEFINITION_SESSION = ["SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'", 'SET SESSION foreign_key_checks = 0', 'SET NAMES utf8mb4'];

/**
 * Makes each table in the temporary schema from the source's definition: `SHOW CREATE TABLE` read with
 * mysql2, checked to be one plain CREATE TABLE of that table (checkCreateTable), and executed as it is,
 * unqualified, on a connection whose default database is the temporary schema (one statement per query).
 */
async function createTables(source: MysqlLocation, temp: MysqlLocation, tables: string[], signal?: AbortSignal): Promise<void> {
  const q = (name: string) => quoteIdent('mysql', name);
  const src = await serverConnection(source, source.name);
  try {
    // As mariadb-dump asks: names in backquotes, strings in single quotes.
    await src.query("SET SESSION sql_mode = ''");
    await src.query('SET SESSION sql_quote_show_create = 1');
    const tgt = await serverConnection(temp, temp.name);
    try {
      for (const statement of DEFINITION_SESSION) await tgt.query(statement);
      for (const table of tables) {
        signal?.throwIfAborted();
        const [rows] = await src.query(`SHOW CREATE TABLE ${q(identifier(table, 'table name'))}`);
        const definition = Array.isArray(rows) ? (rows[0] as Record<string, unknown> | undefined)?.['Create Table'] : undefined;
        await tgt.query(checkCreateTable(definition, table));
      }
    } finally {
      await tgt.end();
    }
  } finally {
    await src.end();
  }
}

async function loadInto(source: MysqlLocation, target: MysqlLocation, tables: string[], opts: CopyOptions): Promise<void> {
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
  // One stream failing (or a kill) stops the others, and the copy fails only once every stream has stopped:
  // no client process is left running while the temporary schema is dropped.
  const stop = new AbortController();
  const onAbort = () => stop.abort(opts.signal!.reason);
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  let failure: { err: unknown } | undefined;
  try {
    await Promise.allSettled(
      groups.map(async (group) => {
        if (!group.length) return;
        try {
          await pipeDump(source, target, group, stop.signal);
        } catch (err) {
          failure ??= { err };
          stop.abort(err);
          return;
        }
        done += group.length;
        opts.progress?.({ tables_done: done, tables: tables.length });
      }),
    );
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure.err;
}

/**
 * Command lines for one dump stream: options first, then `--` (mariadb-dump and mariadb end their options there), then names.
 * The dump writes rows only (--no-create-info: the tables are made by createTables), no triggers, no
 * CREATE DATABASE/USE, no comments (they would carry the server's version text); utf8mb4 on both sides,
 * a character set in which no byte of a character is a quote or a backslash.
 */
export function dumpCommands(source: MysqlLocation, target: MysqlLocation, tables: string[]): { dump: string[]; load: string[] } {
  for (const name of [source.name, target.name, ...tables]) identifier(name, 'name');
  return {
    dump: [
      ...clientArgs(source),
      '--default-character-set=utf8mb4',
      '--single-transaction',
      '--quick',
      '--skip-lock-tables',
      '--no-tablespaces',
      '--no-create-info',
      '--no-create-db',
      '--skip-triggers',
      '--skip-comments',
      '--',
      source.name,
      ...tables,
    ],
    // --sandbox: the client refuses \! (shell), source and other file commands, whatever the stream holds.
    load: [...clientArgs(target), '--default-character-set=utf8mb4', '--sandbox', '--', target.name],
  };
}

/**
 * What the dump and load clients wrote to stderr, bounded (the last 8 KB): a failure names their error lines
 * (`ERROR 2013 ... Lost connection`, `mariadb-dump: Couldn't execute ...`), never the data around them.
 */
class ClientErrors {
  private text = '';
  add(chunk: string): void {
    this.text = (this.text + chunk).slice(-8192);
  }
  summary(): string {
    const lines = this.text.split('\n').filter((l) => /^(ERROR \d+|mariadb-dump:|mysqldump:|mariadb:|mysql:)|\b(EPIPE|ECONNRESET)\b/.test(l.trim()));
    return (lines.length ? lines.join(' ') : 'the client gave no error message').trim().slice(0, 500);
  }
}

function pipeDump(source: MysqlLocation, target: MysqlLocation, tables: string[], signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const args = dumpCommands(source, target, tables);
  const dump = spawn(binary(['mariadb-dump', 'mysqldump']), args.dump, { env: clientEnv(source), stdio: ['ignore', 'pipe', 'pipe'] });
  const loader = binary(['mariadb', 'mysql']);
  // MariaDB's client prints a failing statement (rows of the source) before its error: not in a job's failure.
  const loadArgs = path.basename(loader) === 'mariadb' ? ['--skip-print-query-on-error', ...args.load] : args.load;
  const load = spawn(loader, loadArgs, { env: clientEnv(target), stdio: ['pipe', 'ignore', 'pipe'] });
  const errors = new ClientErrors();
  let killed = false;
  const kill = () => {
    killed = true;
    [dump, load].forEach((p) => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'));
  };
  // Every byte is checked before it is passed on (a line only once it is whole); at the first byte the guard
  // refuses, both clients are killed with the loader's input still open (an unfinished statement is never
  // run), and nothing more is passed on.
  const guard = new DumpGuard(tables);
  let refused: Error | undefined; // a statement the guard refused: the job says so, whatever else happened
  let unfinished: Error | undefined; // the dump ended inside a statement
  dump.stdout.on('data', (chunk: Buffer) => {
    if (refused || killed || load.stdin.destroyed) return;
    let checked: Buffer[];
    try {
      checked = guard.write(chunk);
    } catch (err) {
      refused = err as Error;
      return kill();
    }
    let full = false;
    for (const part of checked) full = !load.stdin.write(part) || full;
    if (full) dump.stdout.pause();
  });
  load.stdin.on('drain', () => dump.stdout.resume());
  dump.stdout.once('end', () => {
    if (refused || killed) return;
    try {
      guard.end();
    } catch (err) {
      unfinished = err as Error;
      return kill();
    }
    load.stdin.end();
  });
  // A killed or failing client closes the pipe under the dump: its exit code tells, not an EPIPE.
  load.stdin.on('error', (err) => errors.add(err.message));
  dump.stdout.on('error', (err) => errors.add(err.message));
  dump.stderr.on('data', (d) => errors.add(String(d)));
  load.stderr.on('data', (d) => errors.add(String(d)));
  if (signal?.aborted) kill();
  else signal?.addEventListener('abort', kill, { once: true });
  // One side failing stops the other: a dump whose reader is gone would block on a full pipe for ever.
  for (const p of [dump, load]) p.once('exit', (code) => code !== 0 && kill());
  load.stdin.once('error', kill);
  const exit = (p: ChildProcess) => new Promise<number | null>((r) => p.once('close', (code) => r(code)));
  return Promise.all([exit(dump), exit(load)]).then(([a, b]) => {
    signal?.removeEventListener('abort', kill);
    signal?.throwIfAborted();
    if (refused) throw refused;
    if (a !== 0) throw new Error(`dump of ${tables.join(', ')} failed: ${errors.summary()}`);
    if (unfinished) throw unfinished;
    if (b !== 0) throw new Error(`dump of ${tables.join(', ')} failed: ${errors.summary()}`);
  });
}
