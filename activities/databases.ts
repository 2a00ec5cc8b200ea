/** Step 2: a real connection to the source database proves it exists. */
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import mysql from 'mysql2/promise';
import { ApplicationFailure } from '@temporalio/common';
import { parseDbUri } from '../common/db-uri';
import { failureTypes } from '../vocabulary';

const SOURCE_MISSING = failureTypes.sourceMissing;
const META_SQL = "SELECT meta_value FROM meta WHERE meta_key = 'schema_version' LIMIT 1";

/**
 * Resolves when the database exists, with its meta.schema_version when it has one; a missing
 * database or refused login is final, an unreachable server is retried.
 */
export async function checkDatabaseExists(uri: string, shown: string): Promise<{ schemaVersion?: string }> {
  const db = parseDbUri(uri);
  if (db.engine === 'sqlite') {
    if (!db.file || !existsSync(db.file)) {
      throw ApplicationFailure.nonRetryable(`source database ${shown} does not exist (no file ${db.file})`, SOURCE_MISSING);
    }
    try {
      const conn = new DatabaseSync(db.file, { readOnly: true });
      try {
        const hasMeta = conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
        const row = hasMeta ? (conn.prepare(META_SQL).get() as { meta_value?: string } | undefined) : undefined;
        return { schemaVersion: row?.meta_value === undefined ? undefined : String(row.meta_value) };
      } finally {
        conn.close();
      }
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`source database ${shown} cannot be read: ${(err as Error).message}`, SOURCE_MISSING);
    }
  }

  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, connectTimeout: 10_000 });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') {
      throw ApplicationFailure.nonRetryable(`source server refused the login for ${shown} (${code})`, SOURCE_MISSING);
    }
    throw new Error(`source server for ${shown} unreachable (${code ?? (err as Error).message})`);
  }
  try {
    const [rows] = await conn.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [db.database]);
    if ((rows as unknown[]).length === 0) {
      throw ApplicationFailure.nonRetryable(`source database ${shown} does not exist on ${db.host}:${db.port}`, SOURCE_MISSING);
    }
    await conn.changeUser({ database: db.database });
    const [meta] = await conn.query("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'meta'", [db.database]);
    if ((meta as unknown[]).length === 0) return {};
    const [versions] = await conn.query(META_SQL);
    const value = (versions as Array<{ meta_value: string }>)[0]?.meta_value;
    return { schemaVersion: value === undefined ? undefined : String(value) };
  } finally {
    await conn.end();
  }
}
