/**
 * The one database-access module of the local stack: SQLite files (node:sqlite) and MySQL/MariaDB
 * (mysql2), behind the few operations the services need.
 *
 * Bounded and prompt (issue #12):
 * - `rows(sql)` reads a result row by row, never the whole result in memory: mysql2's streaming query
 *   (the socket is paused while the reader is behind), node:sqlite's `iterate()` (a batch at a time, in the child).
 * - A job's AbortSignal (`openDatabase(ref, { signal })`) stops the work where it stands. MariaDB: a
 *   statement running when the signal fires is stopped on the server (`KILL QUERY` from a second, short
 *   connection), and no statement starts after it. SQLite: the connection lives in a child process
 *   (sqlite-process.ts), which the signal kills: the statement is abandoned at once.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Connection as CoreConnection } from 'mysql2';
import mysql from 'mysql2/promise';
import { openedKind } from '../../core/confine';
import { quoteIdent } from './names';
import { SqliteConnection } from './sqlite-process';
import { type DbLocation, type MysqlLocation, locate } from './uri';

export interface ForeignKey {
  table: string;
  column: string;
  refTable: string;
  refColumn: string;
}

export interface Database {
  readonly location: DbLocation;
  tables(): Promise<string[]>;
  /** The columns of `table`, in order (none when there is no such table). */
  columns(table: string): Promise<string[]>;
  count(table: string): Promise<number>;
  /** The engine's own check of one table: problems found (empty when it passes). */
  checkTable(table: string): Promise<string[]>;
  declaredForeignKeys(): Promise<ForeignKey[]>;
  /** Rows of `child` whose `column` names no row of `refTable`. */
  orphans(fk: ForeignKey): Promise<number>;
  select<T = Record<string, unknown>>(sql: string, params?: Array<string | number | null>): Promise<T[]>;
  /**
   * The rows of one query, read as they come: memory stays flat whatever the result's size. Stopping early
   * (break, throw) stops the statement on the server too. With a signal, an abort ends the iteration.
   */
  rows<T = Record<string, unknown>>(sql: string): AsyncIterable<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** The job's signal: when it fires, the running statement is stopped and no other starts (the call rejects with its reason). */
  signal?: AbortSignal;
}

const q = (location: DbLocation, name: string) => quoteIdent(location.engine, name);

/** A URI, or a location already checked (the copy service's targets: real paths, resolved addresses). */
export type DbRef = string | DbLocation;
const where = (ref: DbRef): DbLocation => (typeof ref === 'string' ? locate(ref) : ref);

export async function databaseExists(ref: DbRef): Promise<boolean> {
  const location = where(ref);
  if (location.engine === 'sqlite') return existsSync(location.file);
  const conn = await serverConnection(location);
  try {
    const [rows] = await conn.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [location.name]);
    return (rows as unknown[]).length > 0;
  } finally {
    await conn.end();
  }
}

export async function dropDatabase(ref: DbRef): Promise<void> {
  const location = where(ref);
  if (location.engine === 'sqlite') {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(location.file + suffix, { force: true });
    return;
  }
  const conn = await serverConnection(location);
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${q(location, location.name)}`);
  } finally {
    await conn.end();
  }
}

export async function openDatabase(ref: DbRef, opts: OpenOptions = {}): Promise<Database> {
  const location = where(ref);
  opts.signal?.throwIfAborted();
  return location.engine === 'sqlite' ? await openSqlite(location, opts.signal) : await openMysql(location, opts.signal);
}

/** One connection to the server of `location`. One statement per query: multipleStatements stays off. */
export function serverConnection(location: MysqlLocation, database?: string) {
  return mysql.createConnection({
    host: location.host,
    port: location.port,
    user: location.user,
    password: location.password,
    database,
    multipleStatements: false,
    connectTimeout: 10_000,
  });
}

/** MariaDB's "Unknown thread id": the connection to kill has already gone. */
const NO_SUCH_THREAD = 1094;

/**
 * Stops a statement (QUERY) or a whole connection (CONNECTION) on the server of `location`, from a second,
 * short connection. A thread that has already gone is no error.
 */
export async function killThread(location: MysqlLocation, threadId: number, what: 'QUERY' | 'CONNECTION'): Promise<void> {
  if (!Number.isSafeInteger(threadId) || threadId <= 0) throw new Error(`not a thread id: ${threadId}`);
  const conn = await serverConnection(location);
  try {
    await conn.query(`KILL ${what} ${threadId}`);
  } catch (err) {
    if ((err as { errno?: number }).errno !== NO_SUCH_THREAD) throw err;
  } finally {
    await conn.end();
  }
}

/**
 * Ends every connection (but this one's own) whose default database is `schema` on the server of
 * `location`, and waits until the server has let them go (a killed statement first rolls back), at most
 * `timeoutMs`. Sees the connections of other users only with the PROCESS privilege: the copy's loader
 * connects as the copy's own user. Returns the ids it killed.
 */
export async function killSessionsIn(location: MysqlLocation, schema: string, timeoutMs = 30_000): Promise<number[]> {
  const conn = await serverConnection(location);
  try {
    const sessions = async () =>
      (
        (
          await conn.query('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [schema])
        )[0] as Array<{ id: number }>
      ).map((r) => Number(r.id));
    const ids = await sessions();
    for (const id of ids) {
      try {
        await conn.query(`KILL CONNECTION ${id}`);
      } catch (err) {
        if ((err as { errno?: number }).errno !== NO_SUCH_THREAD) throw err;
      }
    }
    const deadline = Date.now() + timeoutMs;
    while ((await sessions()).some((id) => ids.includes(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return ids;
  } finally {
    await conn.end();
  }
}

/**
 * A SQLite database, opened read-only in a child process of its own (sqlite-process.ts): neither its open
 * (a FIFO swapped in after the check below) nor a long statement holds this service's event loop, and a
 * job's kill abandons the statement at once (the child is killed).
 */
async function openSqlite(location: Extract<DbLocation, { engine: 'sqlite' }>, signal?: AbortSignal): Promise<Database> {
  if (!existsSync(location.file)) throw new Error(`database ${location.name} does not exist (no file ${location.file})`);
  // A clear refusal for what is plainly no database (the child would only time out on a FIFO).
  const notFile = notRegularFile(location.file);
  if (notFile) throw new Error(`database ${location.name} (${location.file}) is ${notFile}, not a regular file`);
  let db: SqliteConnection;
  try {
    // trusted_schema off: views and triggers of an upstream file call no functions with side effects.
    db = await SqliteConnection.open(location.file, { readOnly: true, setup: ['PRAGMA trusted_schema = OFF'] });
  } catch (err) {
    throw new Error(`database ${location.name} (${location.file}) cannot be opened: ${(err as Error).message}`);
  }
  const abandon = () => db.terminate(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason)));
  signal?.addEventListener('abort', abandon, { once: true });
  const all = <T>(sql: string, params: Array<string | number | null> = []) => {
    signal?.throwIfAborted();
    return db.all<T>(sql, params);
  };
  const database: Database = {
    location,
    async tables() {
      return (
        await all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      ).map((r) => r.name);
    },
    async columns(table) {
      return (await all<{ name: string }>(`PRAGMA table_info(${q(location, table)})`)).map((r) => r.name);
    },
    async count(table) {
      return Number((await all<{ n: number }>(`SELECT count(*) AS n FROM ${q(location, table)}`))[0].n);
    },
    async checkTable(table) {
      const rows = await all<{ integrity_check: string }>(`PRAGMA integrity_check(${q(location, table)})`);
      return rows.map((r) => r.integrity_check).filter((m) => m !== 'ok');
    },
    async declaredForeignKeys() {
      const fks: ForeignKey[] = [];
      for (const table of await database.tables()) {
        for (const fk of await all<{ table: string; from: string; to: string | null }>(`PRAGMA foreign_key_list(${q(location, table)})`)) {
          fks.push({ table, column: fk.from, refTable: fk.table, refColumn: fk.to ?? 'rowid' });
        }
      }
      return fks;
    },
    async orphans(fk) {
      return Number((await all<{ n: number }>(orphanSql(location, fk)))[0].n);
    },
    async select(sql, params) {
      return all(sql, params);
    },
    async *rows<T>(sql: string): AsyncGenerator<T> {
      signal?.throwIfAborted();
      // The child steps the statement a batch ahead of the reader, no further: memory stays flat.
      yield* db.rows<T>(sql);
    },
    async close() {
      signal?.removeEventListener('abort', abandon);
      await db.close();
    },
  };
  return database;
}

async function openMysql(location: Extract<DbLocation, { engine: 'mysql' }>, signal?: AbortSignal): Promise<Database> {
  const conn = await serverConnection(location);
  // From here, a kill stops the statement running on this connection (there is at most one: mysql2 queues them).
  let running = 0;
  let killing: Promise<void> | undefined;
  let destroyed = false;
  const stopStatement = () => {
    killing ??= killThread(location, conn.threadId, 'QUERY').catch(() => {
      // The server cannot be asked (no second connection): drop ours, so that at least nothing waits for it.
      destroyed = true;
      conn.destroy();
    });
    return killing;
  };
  const onAbort = () => {
    if (running > 0) void stopStatement();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  /**
   * Runs one statement: never after the signal has fired, and counted while it runs (the abort listener kills
   * it). A statement the kill reached rejects, even when the server answered it (a killed CHECK TABLE answers
   * "Corrupt"): its answer is not the database's.
   */
  const statement = async <T>(work: () => Promise<T>): Promise<T> => {
    signal?.throwIfAborted();
    running++;
    try {
      const answer = await work();
      signal?.throwIfAborted();
      return answer;
    } finally {
      running--;
    }
  };
  const close = async () => {
    signal?.removeEventListener('abort', onAbort);
    await killing;
    if (!destroyed) await conn.end();
  };
  try {
    const [exists] = await statement(() => conn.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [location.name]));
    if ((exists as unknown[]).length === 0)
      throw new Error(`database ${location.name} does not exist on ${location.host}:${location.port}`);
    await statement(() => conn.changeUser({ database: location.name }));
  } catch (err) {
    await close();
    throw err;
  }
  const all = <T>(sql: string, params: Array<string | number | null> = []) =>
    statement(async () => (await conn.query(sql, params))[0] as T[]);
  return {
    location,
    async tables() {
      return (
        await all<{ name: string }>(
          "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY " +
            'TABLE_NAME',
          [location.name],
        )
      ).map((r) => r.name);
    },
    async columns(table) {
      return (
        await all<{ name: string }>(
          'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
          [location.name, table],
        )
      ).map((r) => r.name);
    },
    async count(table) {
      return Number((await all<{ n: number }>(`SELECT count(*) AS n FROM ${q(location, table)}`))[0].n);
    },
    async checkTable(table) {
      const rows = await all<{ Msg_type: string; Msg_text: string }>(`CHECK TABLE ${q(location, table)}`);
      return rows.filter((r) => r.Msg_type === 'error' || (r.Msg_type === 'status' && r.Msg_text !== 'OK')).map((r) => r.Msg_text);
    },
    async declaredForeignKeys() {
      return all<ForeignKey>(
        `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS \`column\`, REFERENCED_TABLE_NAME AS refTable, REFERENCED_COLUMN_NAME AS refColumn
         FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL`,
        [location.name],
      );
    },
    async orphans(fk) {
      return Number((await all<{ n: number }>(orphanSql(location, fk)))[0].n);
    },
    async select(sql, params) {
      return all(sql, params);
    },
    async *rows<T>(sql: string): AsyncGenerator<T> {
      signal?.throwIfAborted();
      // The core connection's streaming query: rows are parsed as they arrive, and the socket is paused
      // while the reader is behind (the stream's buffer is full), so the server waits too.
      const query = (conn as unknown as { connection: CoreConnection }).connection.query(sql);
      let settled = false;
      const ended = new Promise<void>((resolve) => {
        const done = () => {
          settled = true;
          resolve();
        };
        query.once('end', done);
        query.once('error', done); // (the stream reports it; this listener keeps the emitter from throwing)
      });
      const stream = query.stream({ highWaterMark: 256 });
      running++;
      let complete = false;
      try {
        for await (const row of stream) yield row as T;
        complete = true;
        signal?.throwIfAborted(); // the end of a result the kill reached is not the end of the table
      } finally {
        running--;
        if (!complete && !settled) {
          // Stopped early (a kill, a write that failed): mysql2 would read the rest of the result to its end,
          // so the server stops the statement, and the connection is usable (or closable) again once it has.
          await stopStatement();
          killing = undefined;
          await Promise.race([ended, new Promise((r) => setTimeout(r, 30_000).unref())]);
        }
      }
    },
    close,
  };
}

function orphanSql(location: DbLocation, fk: ForeignKey): string {
  const [c, p] = [q(location, fk.table), q(location, fk.refTable)];
  const [cc, pc] = [q(location, fk.column), q(location, fk.refColumn)];
  return `SELECT count(*) AS n FROM ${c} WHERE ${c}.${cc} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${p} WHERE ${p}.${pc} = ${c}.${cc})`;
}

/**
 * A service's own SQLite store file (jobs, metadata): made with its folder (0700) on first use, the
 * file and its -wal/-shm/-journal 0600 (SQLite gives those the main file's mode), WAL for safe
 * restarts, secure_delete so overwritten rows leave no old bytes behind.
 */
export function openStoreFile(file: string, schema: string): DatabaseSync {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const suffix of ['', '-wal', '-shm', '-journal']) if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA secure_delete = ON');
  db.exec(schema);
  return db;
}

/**
 * Why `file` is not a regular file (a FIFO, a device, a folder), or nothing. Looked at through a descriptor
 * opened without blocking: a FIFO's open would otherwise wait for a writer, and SQLite's open of one never returns.
 */
export function notRegularFile(file: string): string | undefined {
  const kind = openedKind(file);
  if (typeof kind !== 'string') return `a file that cannot be opened (${kind.cannotOpen})`;
  return kind === 'file'
    ? undefined
    : kind === 'fifo'
      ? 'a FIFO'
      : kind === 'folder'
        ? 'a folder'
        : kind === 'device'
          ? 'a device'
          : 'not a file';
}
