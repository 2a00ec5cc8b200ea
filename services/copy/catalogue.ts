/**
 * Reads what definition.ts needs: the source's catalogue of one schema (information_schema, the schema's name
 * as a parameter, never in the text), and the collations the staging server has. The answers are data, checked
 * where they are used; nothing read here is ever run.
 */
import type mysql from 'mysql2/promise';
import type { Catalogue, Collations, Row } from './definition-values';

const rows = async (conn: mysql.Connection, sql: string, params: unknown[] = []): Promise<Row[]> => {
  const [result] = await conn.query(sql, params);
  return Array.isArray(result) ? (result as Row[]) : [];
};

export async function readCatalogue(conn: mysql.Connection, schema: string): Promise<Catalogue> {
  const [version] = await rows(conn, 'SELECT VERSION() AS v');
  const where = [schema];
  return {
    mariadb: typeof version?.v === 'string' && /mariadb/i.test(version.v),
    tables: await rows(conn, 'SELECT * FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', where),
    columns: await rows(
      conn,
      'SELECT * FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION',
      where,
    ),
    statistics: await rows(conn, 'SELECT * FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?', where),
    constraints: await rows(conn, 'SELECT * FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?', where),
    keyColumns: await rows(
      conn,
      'SELECT * FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL',
      where,
    ),
    // Servers before MariaDB 10.2 / MySQL 8.0.16 have no CHECK_CONSTRAINTS (and no checks to copy).
    checks: await rows(conn, 'SELECT * FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?', where).catch(
      (err: { errno?: number }) => {
        if (err.errno === UNKNOWN_TABLE) return [];
        throw err; // a lost connection or a refusal is not "no checks"
      },
    ),
  };
}

/** ER_UNKNOWN_TABLE: the server has no such information_schema view. */
const UNKNOWN_TABLE = 1109;

export async function stagingCollations(conn: mysql.Connection): Promise<Collations> {
  const list = await rows(conn, 'SELECT COLLATION_NAME AS c, CHARACTER_SET_NAME AS s FROM information_schema.COLLATIONS');
  return new Map(list.map((r) => [String(r.c), String(r.s)]));
}
