/**
 * What a database is to the local stack's services, whichever its engine (database.ts opens one): the operations
 * they need, its foreign keys, and the one query both engines count orphans with.
 */
import { quoteIdent } from './names';
import type { DbLocation } from './uri';

export interface ForeignKey {
  table: string;
  column: string;
  refTable: string;
  refColumn: string;
}

export interface Database {
  readonly location: DbLocation;
  tables(): Promise<string[]>;
  /** The columns of `table`, in order (none when there is no such table). */
  columns(table: string): Promise<string[]>;
  count(table: string): Promise<number>;
  /** The engine's own check of one table: problems found (empty when it passes). */
  checkTable(table: string): Promise<string[]>;
  declaredForeignKeys(): Promise<ForeignKey[]>;
  /** Rows of `child` whose `column` names no row of `refTable`. */
  orphans(fk: ForeignKey): Promise<number>;
  select<T = Record<string, unknown>>(sql: string, params?: Array<string | number | null>): Promise<T[]>;
  /**
   * The rows of one query, read as they come: memory stays flat whatever the result's size. Stopping early
   * (break, throw) stops the statement on the server too. With a signal, an abort ends the iteration.
   */
  rows<T = Record<string, unknown>>(sql: string): AsyncIterable<T>;
  close(): Promise<void>;
}

/** A name quoted as an identifier of the location's engine. */
export const q = (location: DbLocation, name: string) => quoteIdent(location.engine, name);

/** The rows of `fk.table` whose `fk.column` names no row of `fk.refTable`, counted as `n`. */
export function orphanSql(location: DbLocation, fk: ForeignKey): string {
  const [c, p] = [q(location, fk.table), q(location, fk.refTable)];
  const [cc, pc] = [q(location, fk.column), q(location, fk.refColumn)];
  return `SELECT count(*) AS n FROM ${c} WHERE ${c}.${cc} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${p} WHERE ${p}.${pc} = ${c}.${cc})`;
}
