/**
 * The `dump` process: every table of the database to a TSV file under the dumps folder, plus CHECKSUMS.
 * The folder is resolveUnder(dumpsDir, identifier(database name)) and each file
 * resolveUnder(folder, identifier(table) + '.tsv'): nothing outside dumpsDir is ever written or removed.
 *
 * Memory stays flat whatever the size of a table (issue #12): rows are read as they come (Database.rows),
 * written in batches through a file stream that is waited for when it is behind ('drain'), and each file's
 * sha256 is computed from the bytes as they are written (no file is read back). A kill stops the dump
 * between batches (and a MariaDB statement on the server, see database.ts).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { openDatabase } from '../db/database';
import { identifier, isWithin, quoteIdent, resolveUnder } from '../db/names';
import { locate } from '../db/uri';

/**
 * A column value as the drivers give it: node:sqlite's numbers, bigints, strings and BLOBs (Uint8Array); mysql2's Dates and Buffers too.
 */
type Value = string | number | bigint | Date | Uint8Array | null;

const cell = (v: Value | undefined) =>
  v === null || v === undefined
    ? '\\N'
    : String(v).replace(/[\t\n\r\\]/g, (c) => ({ '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' })[c]!);

/** Rows are encoded straight into buffers of this size (no string of a whole batch is built), each written out when full. */
const BATCH_BYTES = 256 * 1024;
const TAB = 0x09;
const NEWLINE = 0x0a;

export interface DumpProgress {
  tables_done: number;
  tables: number;
  /** The table being written, and its rows written so far. */
  table?: string;
  rows?: number;
}

export interface DumpOptions {
  signal?: AbortSignal;
  /** Called at most about once a second while tables are written, and when the last one is done. */
  progress?: (p: DumpProgress) => void;
}

/**
 * One table to `file`: a header line of the column names (those of the first row: a table without rows
 * gives an empty line), then one line per row, cells tab-separated, `\N` for NULL, tab, newline, carriage
 * return and backslash escaped. Returns the file's sha256 (hex) and the rows written.
 */
async function dumpTable(
  rows: AsyncIterable<Record<string, Value>>,
  file: string,
  signal: AbortSignal | undefined,
  onRows: (rows: number) => void,
): Promise<{ sha256: string; rows: number }> {
  const hash = createHash('sha256');
  // A new file in the folder this dump has just made (wx: never through a name someone else put there).
  const out = createWriteStream(file, { flags: 'wx' });
  let failed: Error | undefined;
  out.on('error', (err) => (failed ??= err));
  let behind = false;
  /** Hashes and writes bytes; the stream keeps them until written (a buffer is never reused). */
  const emit = (bytes: Buffer) => {
    hash.update(bytes);
    if (!out.write(bytes)) behind = true;
  };
  let buffer = Buffer.allocUnsafeSlow(BATCH_BYTES);
  let used = 0;
  const flush = () => {
    if (used === 0) return;
    emit(buffer.subarray(0, used));
    buffer = Buffer.allocUnsafeSlow(BATCH_BYTES);
    used = 0;
  };
  const put = (text: string) => {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    if (text.length * 3 > BATCH_BYTES - used) {
      flush();
      if (text.length * 3 > BATCH_BYTES) return emit(Buffer.from(text, 'utf8'));
    }
    used += buffer.write(text, used, 'utf8');
  };
  const byte = (b: number) => {
    if (used === BATCH_BYTES) flush();
    buffer[used++] = b;
  };
  /** Waits while the file is behind (or until it has failed: 'close' follows an 'error'). */
  const drained = async () => {
    if (behind && !failed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done);
          out.off('close', done);
          resolve();
        };
        out.on('drain', done);
        out.on('close', done);
      });
    }
    behind = false;
    if (failed) throw failed;
  };
  let columns: string[] | undefined;
  let count = 0;
  try {
    for await (const row of rows) {
      if (!columns) {
        columns = Object.keys(row);
        for (let i = 0; i < columns.length; i++) {
          if (i) byte(TAB);
          put(cell(columns[i]));
        }
        byte(NEWLINE);
      }
      for (let i = 0; i < columns.length; i++) {
        if (i) byte(TAB);
        put(cell(row[columns[i]]));
      }
      byte(NEWLINE);
      count++;
      if (used >= BATCH_BYTES / 2) {
        flush();
        signal?.throwIfAborted();
        await drained();
        onRows(count);
      }
    }
    if (!columns) byte(NEWLINE); // no rows: the header line is empty
    signal?.throwIfAborted();
    flush();
    await drained();
    out.end();
    await once(out, 'close');
    if (failed) throw failed;
    return { sha256: hash.digest('hex'), rows: count };
  } finally {
    if (!out.closed) out.destroy();
  }
}

const isSignal = (x: unknown): x is AbortSignal => typeof (x as AbortSignal | undefined)?.throwIfAborted === 'function';

/** Dumps the database of `uri` under `dumpsDir`; the third argument is the job's signal, or options with it. */
export async function dumpDatabase(uri: string, dumpsDir: string, optsOrSignal?: AbortSignal | DumpOptions) {
  const opts: DumpOptions = isSignal(optsOrSignal) ? { signal: optsOrSignal } : (optsOrSignal ?? {});
  const { signal } = opts;
  const location = locate(uri);
  const folder = resolveUnder(dumpsDir, identifier(location.name, 'database name'));
  const db = await openDatabase(location, { signal });
  const sums: string[] = [];
  const files: string[] = [];
  try {
    // Every name is checked before anything is removed: a refused dump leaves the previous one in place.
    const tables = (await db.tables()).map((t) => identifier(t, 'table name'));
    mkdirSync(dumpsDir, { recursive: true, mode: 0o700 });
    rmSync(folder, { recursive: true, force: true }); // a symbolic link is removed, never followed
    mkdirSync(folder, { mode: 0o700 });
    if (!isWithin(realpathSync(dumpsDir), realpathSync(folder)))
      throw new Error(`the dump folder of ${location.name} is not inside ${dumpsDir}`);
    // Progress at most about once a second (each report is a write to the job store), and at the end.
    let reported = 0;
    const report = (p: DumpProgress, now = false) => {
      if (!opts.progress || (!now && Date.now() - reported < 1000)) return;
      reported = Date.now();
      opts.progress(p);
    };
    for (const [i, table] of tables.entries()) {
      signal?.throwIfAborted();
      const file = resolveUnder(folder, `${table}.tsv`);
      const select = db.rows<Record<string, Value>>(`SELECT * FROM ${quoteIdent(location.engine, table)}`);
      const { sha256, rows } = await dumpTable(select, file, signal, (n) =>
        report({ tables_done: i, tables: tables.length, table, rows: n }),
      );
      files.push(`${table}.tsv`);
      sums.push(`${sha256}  ${table}.tsv`);
      report({ tables_done: i + 1, tables: tables.length, table, rows }, i === tables.length - 1);
    }
  } finally {
    await db.close();
  }
  writeFileSync(resolveUnder(folder, 'CHECKSUMS'), sums.join('\n') + '\n');
  return { folder, files: [...files, 'CHECKSUMS'] };
}
