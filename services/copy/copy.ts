/**
 * Copies a database: schema and data, honouring only_tables / skip_tables, verified by row counts,
 * and swapped into place atomically, so the previous staging copy stays exactly as it was until the
 * new one is complete and verified (and stays so when a copy fails, is killed or times out).
 *   SQLite: into a temporary file in a private folder (mkdtemp, 0700) inside the target's folder
 *     (.<name>.sqlite.copying-XXXXXX/), then fsync, rename over the target, remove the private folder.
 *     Every table (no only_tables / skip_tables): the file itself, under a read lock (sqlite-file.ts).
 *     Chosen tables: ATTACH the source read-only, INSERT ... SELECT table by table, verify, all by a connection
 *     in a child process (sqlite-process.ts): the event loop stays free, and a kill kills the child, whatever
 *     the table's size.
 *   MySQL/MariaDB: mariadb.ts (a temporary schema on staging, the rows from one consistent snapshot of the
 *     source loaded in bulk and verified by counts and checksums, then one RENAME TABLE into place).
 * Targets are checked against the target roots (targets.ts) before anything is written; table names
 * read from the source must be identifiers; names reach SQL quoted and command lines after `--`.
 */
import { chmodSync, closeSync, constants, fstatSync, lstatSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { databaseExists, openDatabase } from '../db/database';
import { identifier, quoteIdent, resolveUnder } from '../db/names';
import { SqliteConnection } from '../db/sqlite-process';
import { type DbLocation, type MysqlLocation, type SqliteLocation, locate, safe } from '../db/uri';
import { copyMysql } from './mariadb';
import { copyWholeFile } from './sqlite-file';
import { type SourcePolicy, type TargetPolicy, checkSource, checkTarget } from './targets';

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
  /** Where sources may be (the copy service's source roots): checked again when the job runs. */
  sources?: SourcePolicy;
  signal?: AbortSignal;
  progress?: (p: { tables_done: number; tables: number } | { waiting: string }) => void;
  /** MySQL: readers of the source's snapshot (and loaders on staging) working at once. */
  streams?: number;
  /** MySQL: tables larger than this are read in primary-key ranges (transfer-plan.ts RANGE_BYTES by default). */
  rangeBytes?: number;
  /** MySQL: awaited once the source's snapshot is taken, before any row is read (tests write to the source here). */
  afterSnapshot?: () => Promise<void>;
  /** One copy per target: resolves, once the target is free, to the function that frees it again. */
  lock?: (key: string, signal?: AbortSignal) => Promise<() => void>;
}

export async function copyDatabase(input: CopyInput, opts: CopyOptions) {
  const started = Date.now();
  // Checked again as the job runs; what was checked is what is read.
  const source = opts.sources ? await checkSource(input.source_db_uri, opts.sources, 'source_db_uri') : locate(input.source_db_uri);
  const { location: target, key } = await checkTarget(input.source_db_uri, input.target_db_uri, opts.policy);
  const release = opts.lock ? await opts.lock(key, opts.signal) : () => undefined;
  try {
    opts.signal?.throwIfAborted();
    if (!(await databaseExists(source))) throw new Error(`source database ${source.name} does not exist`);
    if (!input.drop && (await databaseExists(target)))
      throw new Error(`target database ${target.name} exists; submit with drop to replace it`);
    const tables = await sourceTables(source, input, opts.signal);
    // Without only_tables or skip_tables a SQLite copy is a copy of the file.
    const whole = !input.only_tables?.length && !input.skip_tables?.length;
    const copied =
      source.engine === 'sqlite'
        ? { rows: await copySqlite(source, target as SqliteLocation, tables, whole, opts) }
        : await copyMysql(source, target as MysqlLocation, tables, opts);
    return {
      source_db_uri: safe(input.source_db_uri),
      target_db_uri: safe(input.target_db_uri),
      runtime: `${((Date.now() - started) / 1000).toFixed(1)} seconds`,
      tables: copied.rows,
      ...('snapshot' in copied ? { snapshot: copied.snapshot } : {}),
    };
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

/** Row counts per table of a database. */
async function countRows(db: DbLocation, tables: string[], signal?: AbortSignal): Promise<Record<string, number>> {
  const conn = await openDatabase(db, { signal });
  try {
    const counts: Record<string, number> = {};
    for (const table of tables) counts[table] = await conn.count(table);
    return counts;
  } finally {
    await conn.close();
  }
}

/** Row counts per table, equal on both sides, or the copy fails. */
async function verify(source: DbLocation, copy: DbLocation, tables: string[], signal?: AbortSignal): Promise<Record<string, number>> {
  const [a, b] = [await countRows(source, tables, signal), await countRows(copy, tables, signal)];
  for (const table of tables) {
    if (a[table] !== b[table])
      throw new Error(`copy verification failed: ${table} has ${a[table]} rows in the source and ${b[table]} in the target`);
  }
  return a;
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

/**
 * The chosen tables, one by one, with their indexes, triggers and views, into the empty file `temp`, by a
 * connection in a child process (the source is attached there, read-only: its open cannot hold this
 * service's event loop). A kill abandons the statement at once: the child is killed, and the private folder
 * is removed only once it has gone.
 */
async function copyTables(source: SqliteLocation, temp: string, tables: string[], opts: CopyOptions, unchanged: () => void): Promise<void> {
  // No fsync by SQLite at COMMIT: the file is fsynced below, off the event loop, before it is renamed into
  // place; until then it is only ever this copy's temporary file.
  const db = await SqliteConnection.open(temp, { setup: ['PRAGMA trusted_schema = OFF', 'PRAGMA synchronous = OFF'] });
  const abandon = () => db.terminate(opts.signal!.reason as Error);
  opts.signal?.addEventListener('abort', abandon, { once: true });
  try {
    unchanged();
    await db.run('ATTACH DATABASE ? AS src', [readOnlyUri(source.file)]);
    const objects = await db.all<{ type: string; name: string; tbl: string; sql: string }>(
      "SELECT type, name, tbl_name AS tbl, sql FROM src.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
    );
    await db.exec('BEGIN');
    for (const [i, table] of tables.entries()) {
      opts.signal?.throwIfAborted();
      await schemaStatement(
        db,
        objects.find((o) => o.type === 'table' && o.name === table)!,
      );
      const t = quoteIdent('sqlite', table);
      await db.run(`INSERT INTO main.${t} SELECT * FROM src.${t}`);
      opts.progress?.({ tables_done: i + 1, tables: tables.length });
    }
    for (const o of objects.filter((o) => o.type !== 'table' && tables.includes(o.tbl))) await schemaStatement(db, o);
    await db.exec('COMMIT');
    await db.exec('DETACH DATABASE src');
    await db.close();
  } finally {
    opts.signal?.removeEventListener('abort', abandon);
    db.terminate(); // (a no-op once closed) a failed copy's connection, its transaction with it
    await db.gone;
  }
}

/** A read-only SQLite URI for ATTACH: the source can never be written through the copy's connection. */
const readOnlyUri = (file: string) => `file:${file.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?mode=ro`;

/**
 * The schema's SQL is the source's data: it runs only as the one CREATE statement its type says (prepare() compiles no second statement).
 */
async function schemaStatement(db: SqliteConnection, o: { type: string; name: string; sql: string }): Promise<void> {
  const shape: Record<string, RegExp> = {
    table: /^\s*CREATE\s+TABLE\s/i,
    index: /^\s*CREATE\s+(UNIQUE\s+)?INDEX\s/i,
    trigger: /^\s*CREATE\s+TRIGGER\s/i,
    view: /^\s*CREATE\s+VIEW\s/i,
  };
  if (!shape[o.type]?.test(o.sql))
    throw new Error(`the source's ${o.type} ${o.name} has a definition that is not a CREATE ${o.type.toUpperCase()} statement`);
  await db.run(o.sql);
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

async function copySqlite(
  source: SqliteLocation,
  target: SqliteLocation,
  tables: string[],
  whole: boolean,
  opts: CopyOptions,
): Promise<Record<string, number>> {
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
      if (
        !dir.isDirectory() ||
        dir.ino !== made.dir.ino ||
        dir.dev !== made.dir.dev ||
        !file.isFile() ||
        file.ino !== made.file.ino ||
        file.dev !== made.file.dev
      ) {
        throw new Error(`the copy's private folder ${work} was changed by someone else while the copy ran`);
      }
    };
    let counts: Record<string, number>;
    if (whole) {
      // Every table: the file itself (sqlite-file.ts), its rows counted in the source as copied (or, after an
      // online backup, in the copy).
      const copied = await copyWholeFile(source.file, temp, tables, opts.signal);
      unchanged();
      opts.progress?.({ tables_done: tables.length, tables: tables.length });
      counts = copied.counts ?? (await countRows({ ...target, file: temp }, tables, opts.signal));
    } else {
      await copyTables(source, temp, tables, opts, unchanged);
      opts.signal?.throwIfAborted();
      counts = await verify(source, { ...target, file: temp }, tables, opts.signal);
    }
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

export { workSchemas } from './mariadb';
