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
 */
import { Readable } from 'node:stream';
import type { Connection as StreamingConnection } from 'mysql2';
import mysql from 'mysql2/promise';
import { serverConnection } from '../db/database';
import { quoteIdent } from '../db/names';
import type { MysqlLocation } from '../db/uri';
import { isServerError, reported } from './server-error';

type Conn = mysql.Connection;

interface Column {
  name: string;
  type: string;
  nullable?: boolean;
}

interface Index {
  name: string;
  unique: boolean;
  parts: Array<{ column: string; subPart: number | null; desc: boolean }>;
  comment: string;
}

export interface TablePlan {
  name: string;
  bytes: number;
  transactional: boolean;
  columns: Column[];
  /** A single-column integer primary key: the table may be read in ranges of it. */
  rangeKey?: string;
  /** Secondary indexes built after the load (none when the table cannot be loaded so). */
  deferred: Index[];
}

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

/** A table larger than this is read in primary-key ranges of about this size, by whichever readers are free. */
export const RANGE_BYTES = 128 * 1024 ** 2;
const MAX_RANGES = 16;
/** Lines go to the loader in buffers of about this size. */
const BATCH_BYTES = 256 * 1024;

const q = (name: string) => quoteIdent('mysql', name);
const BS = 'CHAR(92)';
const NULL_TEXT = `CONCAT(${BS}, 'N')`;
const BINARY = /blob|binary|geometry|point|linestring|polygon|collection/i;
const INTEGER = /^(tinyint|smallint|mediumint|int|integer|bigint)$/i;
/** Types whose text has no tab, newline or backslash: written as they are. */
const PLAIN = /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|date|time|datetime|timestamp|year)$/i;

/**
 * The SELECT expression that writes one row as one LOAD DATA line (fields by tab, escaped by backslash):
 * text as its stored bytes with \, tab and newline escaped; binary and spatial values in hex; BIT as a number;
 * numbers, dates and times as they are (their text holds none of those characters).
 */
export function lineExpression(columns: Column[]): string {
  const fields = columns.map(({ name, type, nullable = true }) => {
    const c = q(name);
    let value: string;
    if (BINARY.test(type)) value = `HEX(${c})`;
    else if (/^bit$/i.test(type)) value = `CAST(${c} AS UNSIGNED)`;
    else if (/^float$/i.test(type))
      value = `CAST(${c} AS DOUBLE)`; // FLOAT's own text keeps 6 digits; as a double it is exact
    else if (PLAIN.test(type)) value = c;
    else
      value =
        `REPLACE(REPLACE(REPLACE(CAST(${c} AS BINARY), ${BS}, CONCAT(${BS}, ${BS})), CHAR(9), CONCAT(${BS}, 't')), CHAR(10), ` +
        `CONCAT(${BS}, 'n'))`;
    // IF, not IFNULL: a value too long for the server's max_allowed_packet turns NULL, and must not pass as \N
    // (CONCAT_WS then leaves the field out, and the load's warning fails the copy).
    return nullable ? `IF(${c} IS NULL, ${NULL_TEXT}, ${value})` : value;
  });
  return `CONCAT_WS(CHAR(9), ${fields.join(', ')})`;
}

/** The LOAD DATA statement for a table's lines: hex and BIT values through variables, made back by UNHEX / CAST. */
export function loadStatement(table: string, columns: Column[]): string {
  const targets: string[] = [];
  const sets: string[] = [];
  columns.forEach(({ name, type }, i) => {
    if (BINARY.test(type)) {
      targets.push(`@v${i}`);
      sets.push(`${q(name)} = UNHEX(@v${i})`);
    } else if (/^bit$/i.test(type)) {
      targets.push(`@v${i}`);
      sets.push(`${q(name)} = CAST(@v${i} AS UNSIGNED)`);
    } else targets.push(q(name));
  });
  return (
    `LOAD DATA LOCAL INFILE 'rows' INTO TABLE ${q(table)} CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' ` +
    `LINES TERMINATED BY '\\n' ` +
    `(${targets.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`
  );
}

const rowsOf = <T>(result: unknown) => (result as [T[]])[0];
const T0 = Date.now();
const trace = (what: string) => process.env.HANDOVER_COPY_TRACE && console.log(`[copy ${((Date.now() - T0) / 1000).toFixed(2)}] ${what}`);

/**
 * What the copy needs to know of each table, read from the temporary schema on staging where the tables have been
 * made (columns, keys, engines, foreign keys), with the source's sizes for planning.
 */
export async function planTables(staging: Conn, schema: string, tables: string[], sizes: Map<string, number>): Promise<TablePlan[]> {
  const columns = rowsOf<{ t: string; c: string; type: string; extra: string; nullable: string }>(
    await staging.query(
      'SELECT TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS type, EXTRA AS extra, ' +
        'IS_NULLABLE AS nullable FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION',
      [schema],
    ),
  );
  const stats = rowsOf<Record<string, unknown>>(
    await staging.query('SELECT * FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?', [schema]),
  );
  const engines = rowsOf<{ t: string; engine: string | null }>(
    await staging.query('SELECT TABLE_NAME AS t, ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [schema]),
  );
  const related = new Set(
    rowsOf<{ t: string; r: string }>(
      await staging.query(
        'SELECT TABLE_NAME AS t, REFERENCED_TABLE_NAME AS r FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?',
        [schema],
      ),
    ).flatMap((f) => [f.t, f.r]),
  );
  return tables.map((name) => {
    const own = columns.filter((c) => c.t === name);
    const generated = new Set(own.filter((c) => /GENERATED/i.test(c.extra)).map((c) => c.c));
    const special = new Set(own.filter((c) => /GENERATED|auto_increment/i.test(c.extra)).map((c) => c.c));
    const engine = String(engines.find((e) => e.t === name)?.engine ?? '');
    const keys = new Map<string, Array<Record<string, unknown>>>(); // in the definition's order
    for (const s of stats.filter((s) => s.TABLE_NAME === name))
      keys.set(String(s.INDEX_NAME), [...(keys.get(String(s.INDEX_NAME)) ?? []), s]);
    const primary = keys.get('PRIMARY') ?? [];
    const pkColumn = primary.length === 1 ? own.find((c) => c.c === primary[0].COLUMN_NAME) : undefined;
    const deferred: Index[] = [];
    if (/^innodb$/i.test(engine) && !related.has(name)) {
      for (const [key, parts] of keys) {
        if (key === 'PRIMARY') continue;
        const sorted = [...parts].sort((a, b) => Number(a.SEQ_IN_INDEX) - Number(b.SEQ_IN_INDEX));
        const plain = sorted.every(
          (p) =>
            p.INDEX_TYPE === 'BTREE' &&
            typeof p.COLUMN_NAME === 'string' &&
            !special.has(p.COLUMN_NAME) &&
            p.IGNORED !== 'YES' &&
            p.IS_VISIBLE !== 'NO' &&
            p.EXPRESSION == null,
        );
        // All of a table's secondary indexes, or none: rebuilt in their order, so the definition comes back the same.
        if (!plain) {
          deferred.length = 0;
          break;
        }
        deferred.push({
          name: key,
          unique: Number(sorted[0].NON_UNIQUE) === 0,
          parts: sorted.map((p) => ({
            column: String(p.COLUMN_NAME),
            subPart: p.SUB_PART == null ? null : Number(p.SUB_PART),
            desc: p.COLLATION === 'D',
          })),
          comment: typeof sorted[0].INDEX_COMMENT === 'string' ? sorted[0].INDEX_COMMENT : '',
        });
      }
    }
    return {
      name,
      bytes: sizes.get(name) ?? 0,
      transactional: /^innodb$/i.test(engine),
      columns: own.filter((c) => !generated.has(c.c)).map((c) => ({ name: c.c, type: c.type, nullable: c.nullable !== 'NO' })),
      rangeKey: pkColumn && INTEGER.test(pkColumn.type) ? pkColumn.c : undefined,
      deferred,
    };
  });
}

const indexClause = (ix: Index) =>
  `ADD ${ix.unique ? 'UNIQUE ' : ''}INDEX ${q(ix.name)} ` +
  `(${ix.parts.map((p) => `${q(p.column)}${p.subPart ? `(${p.subPart})` : ''}${p.desc ? ' DESC' : ''}`).join(', ')})${
    ix.comment ? ` COMMENT ${mysql.escape(ix.comment)}` : ''
  }`;

/** A table's definition as staging shows it, without the AUTO_INCREMENT counter (which the load moves). */
async function definition(conn: Conn, table: string): Promise<string> {
  const [row] = rowsOf<Record<string, string>>(await conn.query(`SHOW CREATE TABLE ${q(table)}`));
  return String(row['Create Table']).replace(/ AUTO_INCREMENT=\d+/, '');
}

/** Sessions on staging that load: values exactly as given (no zero-to-next-id, no time-zone shift), checks after. */
const LOADER_SESSION = "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00', unique_checks = 0, foreign_key_checks = 0";
/** Sessions on the source that read: no padding of CHAR values, times as stored, a slow loader tolerated. */
const READER_SESSION = "SET SESSION sql_mode = '', time_zone = '+00:00', net_write_timeout = 3600";

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

export interface Work {
  table: TablePlan;
  where: string;
}

interface TableState {
  pending: number;
  rowsRead: number;
  rowsLoaded: number;
}

/**
 * Opens `count` readers on one consistent view of the source. Returns them with `release`, which ends the lock
 * (if one is still held), and how the view was taken.
 */
async function openSnapshot(
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

/**
 * The work: every table, a large one with a single integer primary key in ranges of it; non-transactional tables first, then the largest
 * tables first.
 */
export async function planWork(reader: Conn, tables: TablePlan[], rangeBytes: number): Promise<Work[]> {
  const work: Work[] = [];
  for (const table of tables) {
    const ranges = Math.min(MAX_RANGES, Math.ceil(table.bytes / rangeBytes));
    if (!table.rangeKey || ranges < 2) {
      work.push({ table, where: '' });
      continue;
    }
    const k = q(table.rangeKey);
    const [b] = rowsOf<{ lo: string | null; hi: string | null }>(
      await reader.query(`SELECT CAST(MIN(${k}) AS CHAR) AS lo, CAST(MAX(${k}) AS CHAR) AS hi FROM ${q(table.name)}`),
    );
    const [loText, hiText] = [String(b.lo), String(b.hi)];
    if (!/^-?\d{1,20}$/.test(loText) || !/^-?\d{1,20}$/.test(hiText)) {
      work.push({ table, where: '' }); // empty (or an answer that is no integer): read whole
      continue;
    }
    const [lo, hi] = [BigInt(loText), BigInt(hiText)];
    const step = (hi - lo) / BigInt(ranges) + 1n;
    // The first range is open below and the last open above: every row is in exactly one.
    for (let i = 0; i < ranges; i++) {
      const from = lo + step * BigInt(i);
      const conditions = [i > 0 ? `${k} >= ${from}` : '', i < ranges - 1 ? `${k} < ${from + step}` : ''].filter(Boolean);
      work.push({ table, where: ` WHERE ${conditions.join(' AND ')}` });
    }
  }
  // Whole tables, largest first: the largest table's index build and checksum then run while the others load.
  return work.sort((a, b) => Number(a.table.transactional) - Number(b.table.transactional) || b.table.bytes - a.table.bytes);
}

/** Streams one piece of work: the reader's rows as lines into LOAD DATA on the loader. Returns rows read and loaded. */
async function move(reader: Conn, loader: Conn, work: Work, signal?: AbortSignal): Promise<{ read: number; loaded: number }> {
  const { table } = work;
  let read = 0;
  let tooLong = false;
  // The callback connection under the promise one: its query() streams rows with backpressure.
  const streaming = (reader as unknown as { connection: StreamingConnection }).connection;
  async function* lines(): AsyncGenerator<Buffer> {
    // Started when staging asks for the rows, and iterated at once: an error the source answers with (a hostile
    // one may answer anything) surfaces here, in the load, never as an unheard 'error' event.
    const rows = streaming
      .query({ sql: `SELECT ${lineExpression(table.columns)} FROM ${q(table.name)}${work.where}`, rowsAsArray: true })
      .stream({ highWaterMark: 2000 });
    let batch: Buffer[] = [];
    let size = 0;
    for await (const row of rows as AsyncIterable<[Buffer | string | null]>) {
      const line = row[0];
      if (line === null) {
        tooLong = true; // CONCAT_WS over max_allowed_packet; the copy fails below
        break;
      }
      const bytes = typeof line === 'string' ? Buffer.from(line, 'binary') : line;
      batch.push(bytes, NEWLINE);
      size += bytes.length + 1;
      read++;
      if (size >= BATCH_BYTES) {
        yield Buffer.concat(batch);
        batch = [];
        size = 0;
        signal?.throwIfAborted();
      }
    }
    if (batch.length) yield Buffer.concat(batch);
  }
  const result = rowsOf<never>(
    await loader.query({ sql: loadStatement(table.name, table.columns), infileStreamFactory: () => Readable.from(lines()) }),
  ) as unknown as {
    affectedRows: number;
    warningStatus: number;
  };
  if (tooLong) throw new Error(`a row of ${table.name} is longer than the source server's max_allowed_packet allows to read`);
  if (result.warningStatus > 0) {
    const [first] = rowsOf<{ Code: number; Message: string }>(await loader.query('SHOW WARNINGS LIMIT 1'));
    // The code and the row only: the server's message may quote the value.
    const where = first ? ` (code ${first.Code}${/ at row (\d+)/.exec(first.Message)?.[0] ?? ''})` : '';
    throw new Error(`copy verification failed: loading ${table.name} gave ${result.warningStatus} warning(s)${where}`);
  }
  return { read, loaded: Number(result.affectedRows) };
}
const NEWLINE = Buffer.from('\n');

/** CHECKSUM TABLE ... EXTENDED of one table (on a reader: inside its snapshot). */
async function checksum(conn: Conn, table: string): Promise<string> {
  const [row] = rowsOf<{ Checksum: number | string | null }>(await conn.query(`CHECKSUM TABLE ${q(table)} EXTENDED`));
  return String(row?.Checksum);
}

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

/** A table's indexes back, its definition as made, its rows and checksum equal to the source's. */
async function finishTable(conn: Conn, table: TablePlan, s: TableState, sourceSum: Promise<string>, defined?: string): Promise<void> {
  trace(`finishing ${table.name}`);
  if (s.rowsRead !== s.rowsLoaded)
    throw new Error(`copy verification failed: ${table.name} has ${s.rowsRead} rows in the source and ${s.rowsLoaded} in the target`);
  if (table.deferred.length) {
    await conn.query(`ALTER TABLE ${q(table.name)} ${table.deferred.map(indexClause).join(', ')}`);
    if ((await definition(conn, table.name)) !== defined)
      throw new Error(`copy verification failed: the indexes of ${table.name} did not come back as the source defines them`);
  }
  trace(`indexes of ${table.name} built`);
  const [sourceSumValue, targetSum] = await Promise.all([sourceSum, checksum(conn, table.name)]);
  trace(`checksum of ${table.name} done`);
  if (targetSum !== sourceSumValue)
    throw new Error(`copy verification failed: ${table.name} has checksum ${sourceSumValue} in the source and ${targetSum} in the target`);
}
