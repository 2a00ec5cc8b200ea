/**
 * The rows of a MariaDB/MySQL copy: from ONE consistent view of the source into the copy's temporary schema,
 * several tables (and large tables in primary-key ranges) at once, loaded in bulk, then verified.
 *
 *   snapshot  One connection takes FLUSH TABLES WITH READ LOCK (without the RELOAD privilege: LOCK TABLES ...
 *             READ of the tables copied); under it every reader runs START TRANSACTION WITH CONSISTENT
 *             SNAPSHOT; then the lock goes (held on until the non-transactional tables, read first, have been
 *             read). Without either privilege there is one reader: one transaction, consistent, slower.
 *   rows      The source writes each row as one line in LOAD DATA's own text format (the server escapes
 *             backslash, tab and newline; NULL is \N; binary values go as hex), and the lines stream into
 *             LOAD DATA LOCAL INFILE on staging. Whatever the source holds arrives as values, never as SQL.
 *   indexes   An InnoDB table's secondary indexes are dropped before its load and built after it in one
 *             ALTER TABLE (a sorted build, several times faster than row by row); the table's definition
 *             afterwards must be the one made from the source's, or the copy fails.
 *   verify    Per table: the rows read in the snapshot are the rows loaded, loading gave no warning, and
 *             CHECKSUM TABLE of the source (inside the snapshot) equals that of the copy.
 *
 * Column names and types are read from the temporary schema on staging (the table as the copy made it from its own
 * definition, definition.ts), quoted as identifiers; nothing of the source reaches a statement but table names that
 * are identifiers. `SHOW CREATE TABLE` is read only on staging, of those tables, to compare them before and after
 * the index build; nothing it answers is run. A server's error is reported by its code and the table (server-error.ts).
 *
 * Here the copy's course (transferRows) and its failures; the tables and the work in transfer-plan.ts, the snapshot in
 * transfer-snapshot.ts, the line format in transfer-lines.ts, one table's load and checks in transfer-table.ts.
 */
import { quoteIdent } from '../db/names';
import { serverConnection } from '../db/server';
import type { MysqlLocation } from '../db/uri';
import { isServerError, reported } from './server-error';
import { type Conn, RANGE_BYTES, type TablePlan, type Work, planWork } from './transfer-plan';
import { openSnapshot } from './transfer-snapshot';
import { type TableState, checksum, definition, finishTable, move, trace } from './transfer-table';

export interface TransferOptions {
  readers: number;
  /** Tables larger than this are read in primary-key ranges (default RANGE_BYTES). */
  rangeBytes?: number;
  signal?: AbortSignal;
  /** Awaited once the snapshot is taken, before any row is read (tests write to the source here). */
  afterSnapshot?: () => Promise<void>;
  /** Called as each table has been loaded and verified. */
  onTable?: (table: string, rows: number) => void;
}

const q = (name: string) => quoteIdent('mysql', name);

/** Sessions on staging that load: values exactly as given (no zero-to-next-id, no time-zone shift), checks after. */
const LOADER_SESSION = "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00', unique_checks = 0, foreign_key_checks = 0";

const LOST = [
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
];
const lostConnection = (err: unknown) => LOST.includes(String((err as { code?: unknown } | undefined)?.code));

/** A connection error as a sentence naming the server, never a statement or a value. */
function connectionTrouble(err: unknown, source: MysqlLocation, staging: MysqlLocation): Error | undefined {
  const e = err as { code?: string; errno?: number; message?: string };
  if (!lostConnection(err)) return undefined;
  return new Error(
    `lost connection to the source (${source.host}:${source.port}) or staging (${staging.host}:${staging.port}) server while copying ` +
      `rows (${e.code})`,
  );
}

/**
 * Closes a connection at once, both ways: mysql2's destroy() only half-closes the socket, which a server blocked
 * writing rows to a reader that no longer reads would not notice (its SELECT and snapshot would stay).
 */
function hardClose(conn: Conn): void {
  (conn as unknown as { connection: { stream?: { destroy(): void } } }).connection.stream?.destroy();
  conn.destroy();
}

/**
 * A server's error while `doing` one table's step, by its code and that table (server-error.ts), never the server's
 * text; a lost connection stays as it is (connectionTrouble names the server).
 */
const named = (err: unknown, server: string, doing: string) => (lostConnection(err) ? err : reported(err, server, doing));

/** Any other message, without the values it might quote: all from the first quote to the last. */
const withoutValues = (message: string) => message.replace(/'.*'/s, "'…'").slice(0, 300);

/**
 * Copies the rows of `tables` (already made in `temp`, see planTables) from `source`: returns the rows per table,
 * and how the snapshot was taken (the lock, and how many readers shared it). `readers` connections read and load;
 * one more connection in the same snapshot takes the source's checksums, and each table is finished (indexes,
 * checks) on a connection of its own, while the readers go on with the next piece.
 * Fails on a kill, a lost connection, a warning or any difference found; the caller drops the temporary schema.
 */
export async function transferRows(
  source: MysqlLocation,
  temp: MysqlLocation,
  tables: TablePlan[],
  opts: TransferOptions,
): Promise<{ rows: Record<string, number>; snapshot: string }> {
  const connections: Array<{ conn: Conn; side: 'source' | 'staging' }> = [];
  let succeeded = false;
  let failure: unknown;
  let work: Work[] = [];
  // Every wait below is raced against `halted`: after a failure or a kill every connection is destroyed, and a
  // statement whose server went away mid-way (a LOAD DATA when staging shuts down) must not be waited for.
  const halt = new AbortController();
  const halted = new Promise<never>((_, reject) =>
    halt.signal.addEventListener('abort', () => reject(failure instanceof Error ? failure : new Error('the copy was stopped')), {
      once: true,
    }),
  );
  halted.catch(() => undefined);
  const guard = <T>(promise: Promise<T>) => Promise.race([promise, halted]);
  let lock: Conn | undefined; // the snapshot's lock connection while it holds the lock
  const stop = () => {
    halt.abort();
    for (const { conn } of connections) hardClose(conn);
    if (lock) hardClose(lock); // a lock held goes with its connection
  };
  const fail = (err: unknown) => {
    if (failure !== undefined || succeeded) return;
    failure = err;
    work.length = 0;
    stop(); // the other pieces in flight end now, with errors that are not the cause
  };
  /** A connection of the copy: a close of its socket that the copy did not ask for fails the copy, naming the server. */
  const watch = (conn: Conn, side: 'source' | 'staging') => {
    if (halt.signal.aborted) hardClose(conn); // opened by a step given up on: closed as it comes
    connections.push({ conn, side });
    const at = side === 'source' ? source : temp;
    (conn as unknown as { connection: { stream?: NodeJS.EventEmitter } }).connection.stream?.once('close', () =>
      fail(new Error(`lost connection to the ${side} server ${at.host}:${at.port} while copying rows`)),
    );
    return conn;
  };
  opts.signal?.addEventListener('abort', stop, { once: true });
  const staging = async (session?: string) => {
    const conn = watch(await guard(serverConnection(temp, temp.name)), 'staging');
    if (session) await guard(conn.query(session));
    return conn;
  };
  let snapshot: Awaited<ReturnType<typeof openSnapshot>> | undefined;
  try {
    // Secondary indexes go before the load (the definition noted first, to compare once they are back).
    const setup = await staging(LOADER_SESSION); // the session that compares the definitions after, too
    const defined = new Map<string, string>();
    for (const t of tables.filter((t) => t.deferred.length)) {
      defined.set(t.name, await guard(definition(setup, t.name)));
      await guard(setup.query(`ALTER TABLE ${q(t.name)} ${t.deferred.map((ix) => `DROP INDEX ${q(ix.name)}`).join(', ')}`)).catch(
        (err: unknown) => {
          throw named(err, 'staging', `dropping the secondary indexes of table ${t.name} for the load`);
        },
      );
    }
    opts.signal?.throwIfAborted();

    snapshot = await guard(
      openSnapshot(source, Math.max(1, opts.readers) + 1, tables, (conn, role) => {
        if (role === 'reader') watch(conn, 'source');
        else if (halt.signal.aborted) hardClose(conn);
        else lock = conn;
      }),
    );
    const snapshotRelease = snapshot.release;
    const release = async () => {
      await snapshotRelease();
      lock = undefined;
    };
    const [checksummer, ...readers] = snapshot.readers.length > 1 ? snapshot.readers : [snapshot.readers[0], snapshot.readers[0]];
    work = await guard(planWork(checksummer, tables, opts.rangeBytes ?? RANGE_BYTES));
    const state = new Map<string, TableState>(tables.map((t) => [t.name, { pending: 0, rowsRead: 0, rowsLoaded: 0 }]));
    for (const w of work) state.get(w.table.name)!.pending++;
    let nonTransactional = new Set(work.filter((w) => !w.table.transactional).map((w) => w.table.name)).size; // tables read under the lock
    if (nonTransactional === 0) await guard(release());
    await opts.afterSnapshot?.();
    const loaders = await Promise.all(readers.map(() => staging(LOADER_SESSION)));
    // The source's checksums, one at a time on their own connection (inside the snapshot).
    let checksums: Promise<unknown> = Promise.resolve();
    const sourceChecksum = (table: string) => {
      const sum = guard(checksums.then(() => checksum(checksummer, table)));
      checksums = sum.catch(() => undefined);
      return sum;
    };
    const counts: Record<string, number> = {};
    const finishing: Array<Promise<void>> = [];
    const idle: Conn[] = []; // staging connections of finished tables, for the next to finish
    await Promise.all(
      readers.map(async (reader, i) => {
        try {
          for (let w = work.shift(); w && failure === undefined; w = work.shift()) {
            opts.signal?.throwIfAborted();
            const s = state.get(w.table.name)!;
            trace(`reader ${i} starts ${w.table.name}${w.where}`);
            const moved = await guard(move(reader, loaders[i], w, opts.signal)).catch((err: unknown) => {
              throw named(err, 'source or staging', `copying the rows of table ${w.table.name}`);
            });
            trace(`reader ${i} loaded ${w.table.name}${w.where}: ${moved.loaded} rows`);
            s.rowsRead += moved.read;
            s.rowsLoaded += moved.loaded;
            if (--s.pending > 0) continue;
            // The table's last piece is in: its source checksum (under the lock for a non-transactional table), then its finish.
            const table = w.table;
            const sourceSum = sourceChecksum(table.name);
            if (!table.transactional) {
              await sourceSum;
              if (--nonTransactional === 0) await guard(release());
            }
            finishing.push(
              guard(
                (async () => {
                  const conn = idle.pop() ?? (await staging(LOADER_SESSION));
                  await finishTable(conn, table, s, sourceSum, defined.get(table.name)).catch((err: unknown) => {
                    throw named(err, 'source or staging', `verifying table ${table.name}`);
                  });
                  idle.push(conn);
                  counts[table.name] = s.rowsLoaded;
                  opts.onTable?.(table.name, s.rowsLoaded);
                })(),
              ).catch(fail),
            );
          }
        } catch (err) {
          fail(err);
        }
      }),
    );
    await Promise.all(finishing);
    opts.signal?.throwIfAborted();
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error('the copy failed');
    await guard(release());
    succeeded = true;
    return { rows: counts, snapshot: `one consistent snapshot: ${snapshot.how}, ${readers.length} reader(s)` };
  } catch (err) {
    opts.signal?.throwIfAborted();
    const cause = failure ?? err;
    const trouble = connectionTrouble(cause, source, temp);
    if (trouble) throw trouble;
    if (isServerError(cause)) throw reported(cause, 'source or staging', 'copying rows');
    throw new Error(withoutValues(cause instanceof Error ? cause.message : 'the copy failed'));
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    // After a failure a reader may be stopped mid-SELECT (its rows no longer taken): ending it politely would wait
    // for that SELECT for ever, so every connection is closed at once (the source stops when its socket closes;
    // the lock, if still held, goes with its connection).
    if (succeeded) await Promise.all(connections.map(({ conn }) => conn.end().catch(() => conn.destroy())));
    else stop();
  }
}
