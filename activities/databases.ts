/** Step 2: a real connection to the source database proves it exists. */
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import mysql from 'mysql2/promise';
import { ApplicationFailure } from '@temporalio/common';
import { parseDbUri } from '../common/db-uri';
import { failureTypes } from '../workflows/definitions';

const SOURCE_MISSING = failureTypes.sourceMissing;

/** Resolves when the database exists; a missing database or refused login is final, an unreachable server is retried. */
export async function checkDatabaseExists(uri: string, shown: string): Promise<void> {
  const db = parseDbUri(uri);
  if (db.engine === 'sqlite') {
    if (!db.file || !existsSync(db.file)) {
      throw ApplicationFailure.nonRetryable(`source database ${shown} does not exist (no file ${db.file})`, SOURCE_MISSING);
    }
    try {
      const conn = new DatabaseSync(db.file, { readOnly: true });
      try {
        conn.prepare('SELECT count(*) FROM sqlite_master').get();
      } finally {
        conn.close();
      }
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`source database ${shown} cannot be read: ${(err as Error).message}`, SOURCE_MISSING);
    }
    return;
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
  } finally {
    await conn.end();
  }
}
