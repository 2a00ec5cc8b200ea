/**
 * The source's catalogue as definition.ts reads it: its shape, and each of its values (all hostile) checked as it is
 * taken: as text, as an identifier, grouped by table, as a comment of a length a server keeps, as a collation the
 * staging server has.
 */
import { identifier, printable } from '../db/names';
import { Refusal } from './column-type';
import { stringLiteral } from './sql-text';

export type Row = Record<string, unknown>;

/** The source's catalogue of one schema (rows of information_schema, as the server answered). */
export interface Catalogue {
  /** The server says it is MariaDB (COLUMN_DEFAULT then holds literals as SQL text, not bare values). */
  mariadb: boolean;
  tables: Row[];
  columns: Row[];
  statistics: Row[];
  constraints: Row[];
  keyColumns: Row[];
  checks: Row[];
}

/** What the staging server has: collation -> its character set. */
export type Collations = Map<string, string>;

/** The longest comments a server keeps (MariaDB's own limits). */
const MAX_COMMENT = { column: 1024, index: 1024, table: 2048 };

/** A catalogue value as text (mysql2 gives strings, numbers, buffers; anything else is shown, never trusted). */
export function text(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return JSON.stringify(v);
}
export const nameOf = (v: unknown, what: string) => {
  try {
    return identifier(text(v), what);
  } catch (err) {
    throw new Refusal((err as Error).message);
  }
};
const byTable = new WeakMap<Row[], Map<string, Row[]>>();
/** The rows of one table: each catalogue list is grouped by table once (not scanned per table); a copy, as callers sort. */
export function of(rows: Row[], table: string): Row[] {
  let groups = byTable.get(rows);
  if (!groups) {
    groups = new Map();
    for (const r of rows) {
      const name = text(r.TABLE_NAME);
      if (name === undefined) continue;
      const group = groups.get(name);
      if (group) group.push(r);
      else groups.set(name, [r]);
    }
    byTable.set(rows, groups);
  }
  return [...(groups.get(table) ?? [])];
}

export function comment(v: unknown, what: keyof typeof MAX_COMMENT): string {
  const value = text(v) ?? '';
  if (value.length > MAX_COMMENT[what])
    throw new Refusal(`has a ${what} comment of ${value.length} characters (a server keeps at most ${MAX_COMMENT[what]})`);
  return value ? ` COMMENT ${stringLiteral(value)}` : '';
}

/** A collation the staging server has, with its character set. */
export function collation(v: unknown, collations: Collations, what: string): { charset: string; collation: string } {
  const name = text(v);
  if (!name || !/^[a-z0-9_]{1,64}$/.test(name))
    throw new Refusal(`has ${what} collation \`${printable(name ?? '')}\`, which is not a collation name`);
  const charset = collations.get(name);
  if (!charset) throw new Refusal(`has ${what} collation ${name}, which the staging server does not have`);
  return { charset, collation: name };
}
