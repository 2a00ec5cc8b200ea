/**
 * One table's part of the copy (transfer.ts): a piece of its rows streamed from a reader into LOAD DATA on a loader,
 * then, once all its pieces are in, its indexes built and its definition, rows and checksum checked ("indexes",
 * "verify").
 */
import { Readable } from 'node:stream';
import type { Connection as StreamingConnection } from 'mysql2';
import mysql from 'mysql2/promise';
import { quoteIdent } from '../db/names';
import { lineExpression, loadStatement } from './transfer-lines';
import { type Conn, type Index, type TablePlan, type Work, rowsOf } from './transfer-plan';

/** Lines go to the loader in buffers of about this size. */
const BATCH_BYTES = 256 * 1024;

const q = (name: string) => quoteIdent('mysql', name);
const T0 = Date.now();
export const trace = (what: string) =>
  process.env.HANDOVER_COPY_TRACE && console.log(`[copy ${((Date.now() - T0) / 1000).toFixed(2)}] ${what}`);

const indexClause = (ix: Index) =>
  `ADD ${ix.unique ? 'UNIQUE ' : ''}INDEX ${q(ix.name)} ` +
  `(${ix.parts.map((p) => `${q(p.column)}${p.subPart ? `(${p.subPart})` : ''}${p.desc ? ' DESC' : ''}`).join(', ')})${
    ix.comment ? ` COMMENT ${mysql.escape(ix.comment)}` : ''
  }`;

/** A table's definition as staging shows it, without the AUTO_INCREMENT counter (which the load moves). */
export async function definition(conn: Conn, table: string): Promise<string> {
  const [row] = rowsOf<Record<string, string>>(await conn.query(`SHOW CREATE TABLE ${q(table)}`));
  return String(row['Create Table']).replace(/ AUTO_INCREMENT=\d+/, '');
}

export interface TableState {
  pending: number;
  rowsRead: number;
  rowsLoaded: number;
}

/** Streams one piece of work: the reader's rows as lines into LOAD DATA on the loader. Returns rows read and loaded. */
export async function move(reader: Conn, loader: Conn, work: Work, signal?: AbortSignal): Promise<{ read: number; loaded: number }> {
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
export async function checksum(conn: Conn, table: string): Promise<string> {
  const [row] = rowsOf<{ Checksum: number | string | null }>(await conn.query(`CHECKSUM TABLE ${q(table)} EXTENDED`));
  return String(row?.Checksum);
}

/** A table's indexes back, its definition as made, its rows and checksum equal to the source's. */
export async function finishTable(
  conn: Conn,
  table: TablePlan,
  s: TableState,
  sourceSum: Promise<string>,
  defined?: string,
): Promise<void> {
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
