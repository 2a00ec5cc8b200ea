/**
 * A MySQL/MariaDB server of the local stack: one connection to it, and the statements or sessions it is asked
 * to stop from a second, short connection.
 */
import mysql from 'mysql2/promise';
import type { MysqlLocation } from './uri';

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
