/**
 * The one consistent view of the source the copy reads (transfer.ts, "snapshot"): a lock, then every reader's
 * transaction WITH CONSISTENT SNAPSHOT under it.
 */
import { quoteIdent } from '../db/names';
import { serverConnection } from '../db/server';
import type { MysqlLocation } from '../db/uri';
import type { Conn, TablePlan } from './transfer-plan';

const q = (name: string) => quoteIdent('mysql', name);

/** Sessions on the source that read: no padding of CHAR values, times as stored, a slow loader tolerated. */
const READER_SESSION = "SET SESSION sql_mode = '', time_zone = '+00:00', net_write_timeout = 3600";

/**
 * Opens `count` readers on one consistent view of the source. Returns them with `release`, which ends the lock
 * (if one is still held), and how the view was taken.
 */
export async function openSnapshot(
  source: MysqlLocation,
  count: number,
  tables: TablePlan[],
  opened: (conn: Conn, role: 'lock' | 'reader') => void,
): Promise<{ readers: Conn[]; release: () => Promise<void>; how: string }> {
  // Each connection is handed to `opened` as soon as it exists, so a kill or a failure can close it even mid-way here.
  const lock = await serverConnection(source, source.name);
  opened(lock, 'lock');
  let how = 'one reader, one transaction';
  await lock.query('SET SESSION lock_wait_timeout = 60');
  try {
    await lock.query('FLUSH TABLES WITH READ LOCK');
    how = 'FLUSH TABLES WITH READ LOCK';
  } catch {
    try {
      if (tables.length) await lock.query(`LOCK TABLES ${tables.map((t) => `${q(t.name)} READ`).join(', ')}`);
      how = 'LOCK TABLES ... READ';
    } catch {
      count = 1;
    }
  }
  const readers: Conn[] = [];
  for (let i = 0; i < count; i++) {
    const reader = await serverConnection(source, source.name);
    opened(reader, 'reader');
    readers.push(reader);
    await reader.query(READER_SESSION);
    await reader.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await reader.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
  }
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await lock.query('UNLOCK TABLES');
    await lock.end();
  };
  return { readers, release, how };
}
