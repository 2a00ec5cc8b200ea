/**
 * A MySQL/MariaDB database opened for the services (database.ts): one connection, rows streamed as they come,
 * and a job's AbortSignal stops the statement running on the server (KILL QUERY from a second connection).
 */
import type { Connection as CoreConnection } from 'mysql2';
import { type Database, type ForeignKey, orphanSql, q } from './database-interface';
import { killThread, serverConnection } from './server';
import type { DbLocation } from './uri';

export async function openMysql(location: Extract<DbLocation, { engine: 'mysql' }>, signal?: AbortSignal): Promise<Database> {
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
