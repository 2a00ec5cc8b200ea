/**
 * The one way into the local stack's databases: SQLite files (node:sqlite) and MySQL/MariaDB
 * (mysql2), behind the few operations the services need (Database, database-interface.ts). Opened here; each
 * engine in sqlite-database.ts and mysql-database.ts, a server's connections in server.ts, the services' own
 * store files in store-file.ts.
 *
 * Bounded and prompt (issue #12):
 * - `rows(sql)` reads a result row by row, never the whole result in memory: mysql2's streaming query
 *   (the socket is paused while the reader is behind), node:sqlite's `iterate()` (a batch at a time, in the child).
 * - A job's AbortSignal (`openDatabase(ref, { signal })`) stops the work where it stands. MariaDB: a
 *   statement running when the signal fires is stopped on the server (`KILL QUERY` from a second, short
 *   connection), and no statement starts after it. SQLite: the connection lives in a child process
 *   (sqlite-process.ts), which the signal kills: the statement is abandoned at once.
 */
import { existsSync, rmSync } from 'node:fs';
import { type Database, q } from './database-interface';
import { openMysql } from './mysql-database';
import { serverConnection } from './server';
import { openSqlite } from './sqlite-database';
import { type DbLocation, locate } from './uri';

export interface OpenOptions {
  /** The job's signal: when it fires, the running statement is stopped and no other starts (the call rejects with its reason). */
  signal?: AbortSignal;
}

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
