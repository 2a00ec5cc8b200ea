/**
 * A SQLite database opened for the services (database.ts): read-only, in a child process of its own
 * (sqlite-process.ts), so that a job's AbortSignal kills the child and abandons the statement at once.
 */
import { existsSync } from 'node:fs';
import { openedKind } from '../../core/confine';
import { type Database, type ForeignKey, orphanSql, q } from './database-interface';
import { SqliteConnection } from './sqlite-process';
import type { DbLocation } from './uri';

/**
 * A SQLite database, opened read-only in a child process of its own (sqlite-process.ts): neither its open
 * (a FIFO swapped in after the check below) nor a long statement holds this service's event loop, and a
 * job's kill abandons the statement at once (the child is killed).
 */
export async function openSqlite(location: Extract<DbLocation, { engine: 'sqlite' }>, signal?: AbortSignal): Promise<Database> {
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
