/**
 * What the copy knows of the tables it moves (transfer.ts): each table's columns, keys and engine, read from the
 * temporary schema on staging where the copy made them, and the work that splits the rows among the readers
 * (whole tables, a large one in ranges of its integer primary key).
 */
import type mysql from 'mysql2/promise';
import { quoteIdent } from '../db/names';

export type Conn = mysql.Connection;

export interface Column {
  name: string;
  type: string;
  nullable?: boolean;
}

export interface Index {
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

/** A table larger than this is read in primary-key ranges of about this size, by whichever readers are free. */
export const RANGE_BYTES = 128 * 1024 ** 2;
const MAX_RANGES = 16;

const q = (name: string) => quoteIdent('mysql', name);
const INTEGER = /^(tinyint|smallint|mediumint|int|integer|bigint)$/i;

export const rowsOf = <T>(result: unknown) => (result as [T[]])[0];

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

export interface Work {
  table: TablePlan;
  where: string;
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
