/**
 * The one database-access module of the local stack: SQLite files (node:sqlite) and MySQL/MariaDB
 * (mysql2), behind the few operations the services need.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mysql from 'mysql2/promise';
import { quoteIdent } from './names';
import { type DbLocation, type MysqlLocation, locate } from './uri';

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
  close(): Promise<void>;
}

const q = (location: DbLocation, name: string) => quoteIdent(location.engine, name);

/** A URI, or a location already checked (the copy service's targets: real paths, resolved addresses). */
export type DbRef = string | DbLocation;
const where = (ref: DbRef): DbLocation => (typeof ref === 'string' ? locate(ref) : ref);

export async function databaseExists(ref: DbRef): Promise<boolean> {
  const location = where(ref);
  if (location.engine === 'sqlite') return existsSync(location.file);
  const conn = await serverConnection(location);
  try {
    const [rows] = await conn.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [location.name]);
    return (rows as unknown[]).length > 0;
  } finally {
    await conn.end();
  }
}

export async function dropDatabase(ref: DbRef): Promise<void> {
  const location = where(ref);
  if (location.engine === 'sqlite') {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(location.file + suffix, { force: true });
    return;
  }
  const conn = await serverConnection(location);
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${q(location, location.name)}`);
  } finally {
    await conn.end();
  }
}

export async function openDatabase(ref: DbRef): Promise<Database> {
  const location = where(ref);
  return location.engine === 'sqlite' ? openSqlite(location) : openMysql(location);
}

/** One connection to the server of `location`. One statement per query: multipleStatements stays off. */
export function serverConnection(location: MysqlLocation, database?: string) {
  return mysql.createConnection({ host: location.host, port: location.port, user: location.user, password: location.password, database, multipleStatements: false, connectTimeout: 10_000 });
}

function openSqlite(location: Extract<DbLocation, { engine: 'sqlite' }>): Database {
  if (!existsSync(location.file)) throw new Error(`database ${location.name} does not exist (no file ${location.file})`);
  const db = new DatabaseSync(location.file, { readOnly: true });
  db.exec('PRAGMA trusted_schema = OFF'); // views and triggers of an upstream file call no functions with side effects
  const all = <T>(sql: string, params: Array<string | number | null> = []) => db.prepare(sql).all(...params) as T[];
  return {
    location,
    // eslint-disable-next-line @typescript-eslint/require-await -- implements the async Database interface synchronously
    async tables() {
      return all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").map((r) => r.name);
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- implements the async Database interface synchronously
    async columns(table) {
      return all<{ name: string }>(`PRAGMA table_info(${q(location, table)})`).map((r) => r.name);
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- implements the async Database interface synchronously
    async count(table) {
      return Number(all<{ n: number }>(`SELECT count(*) AS n FROM ${q(location, table)}`)[0].n);
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- implements the async Database interface synchronously
    async checkTable(table) {
      const rows = all<{ integrity_check: string }>(`PRAGMA integrity_check(${q(location, table)})`);
      return rows.map((r) => r.integrity_check).filter((m) => m !== 'ok');
    },
    async declaredForeignKeys() {
      const fks: ForeignKey[] = [];
      for (const table of await this.tables()) {
        for (const fk of all<{ table: string; from: string; to: string | null }>(`PRAGMA foreign_key_list(${q(location, table)})`)) {
          fks.push({ table, column: fk.from, refTable: fk.table, refColumn: fk.to ?? 'rowid' });
        }
      }
      return fks;
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- implements the async Database interface synchronously
    async orphans(fk) {
      return Number(all<{ n: number }>(orphanSql(location, fk))[0].n);
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- implements the async Database interface synchronously
    async select(sql, params) {
      return all(sql, params);
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- implements the async Database interface synchronously
    async close() {
      db.close();
    },
  };
}

async function openMysql(location: Extract<DbLocation, { engine: 'mysql' }>): Promise<Database> {
  const conn = await serverConnection(location);
  const [exists] = await conn.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [location.name]);
  if ((exists as unknown[]).length === 0) {
    await conn.end();
    throw new Error(`database ${location.name} does not exist on ${location.host}:${location.port}`);
  }
  await conn.changeUser({ database: location.name });
  const all = async <T>(sql: string, params: Array<string | number | null> = []) => (await conn.query(sql, params))[0] as T[];
  return {
    location,
    async tables() {
      return (
        await all<{ name: string }>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", [location.name])
      ).map((r) => r.name);
    },
    async columns(table) {
      return (
        await all<{ name: string }>('SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [location.name, table])
      ).map((r) => r.name);
    },
    async count(table) {
      return Number((await all<{ n: number }>(`SELECT count(*) AS n FROM ${q(location, table)}`))[0].n);
    },
    async checkTable(table) {
      const rows = await all<{ Msg_type: string; Msg_text: string }>(`CHECK TABLE ${q(location, table)}`);
      return rows.filter((r) => r.Msg_type === 'error' || (r.Msg_type === 'status' && r.Msg_text !== 'OK')).map((r) => r.Msg_text);
    },
    async declaredForeignKeys() {
      return all<ForeignKey>(
        `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS \`column\`, REFERENCED_TABLE_NAME AS refTable, REFERENCED_COLUMN_NAME AS refColumn
         FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL`,
        [location.name],
      );
    },
    async orphans(fk) {
      return Number((await all<{ n: number }>(orphanSql(location, fk)))[0].n);
    },
    async select(sql, params) {
      return all(sql, params);
    },
    async close() {
      await conn.end();
    },
  };
}

function orphanSql(location: DbLocation, fk: ForeignKey): string {
  const [c, p] = [q(location, fk.table), q(location, fk.refTable)];
  const [cc, pc] = [q(location, fk.column), q(location, fk.refColumn)];
  return `SELECT count(*) AS n FROM ${c} WHERE ${c}.${cc} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${p} WHERE ${p}.${pc} = ${c}.${cc})`;
}

/**
 * A service's own SQLite store file (jobs, metadata): made with its folder (0700) on first use, the
 * file and its -wal/-shm/-journal 0600 (SQLite gives those the main file's mode), WAL for safe
 * restarts, secure_delete so overwritten rows leave no old bytes behind.
 */
export function openStoreFile(file: string, schema: string): DatabaseSync {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const suffix of ['', '-wal', '-shm', '-journal']) if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA secure_delete = ON');
  db.exec(schema);
  return db;
}
