/** Step 2: a real connection to the source database proves it exists. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { ApplicationFailure } from '@temporalio/common';
import { parseDbUri } from '../common/db-uri';
import { regularFileProblem } from '../common/sources';
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
    // A FIFO, a device or a folder is refused before SQLite sees it: its open would never return.
    regularFileProblem(db.file, (why) => ApplicationFailure.nonRetryable(`source database ${shown} ${why}`, SOURCE_MISSING));
    const read = await readSqliteMeta(db.file);
    if ('error' in read) throw ApplicationFailure.nonRetryable(`source database ${shown} cannot be read: ${read.error}`, SOURCE_MISSING);
    return { schemaVersion: read.schemaVersion };
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
    const [meta] = await conn.query("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'meta'", [
      db.database,
    ]);
    if ((meta as unknown[]).length === 0) return {};
    const [versions] = await conn.query(META_SQL);
    const value = (versions as Array<{ meta_value: string }>)[0]?.meta_value;
    return { schemaVersion: value === undefined ? undefined : String(value) };
  } catch (err) {
    // The server answered, with an error (a meta table without meta_value, SELECT denied...): asking again will not
    // change it, so the step ends now instead of retrying until its deadline. Reported by its code, never its text.
    const { errno, code, sqlState } = err as { errno?: number; code?: string; sqlState?: string };
    if (!(err instanceof ApplicationFailure) && sqlState && errno) {
      throw ApplicationFailure.nonRetryable(
        `source database ${shown} cannot be read: the server answered error ${errno} (${code ?? sqlState})`,
        SOURCE_MISSING,
      );
    }
    throw err;
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/** How long the open and first read of a SQLite source may take (a local file: milliseconds). */
const SQLITE_OPEN_TIMEOUT_MS = 30_000;

/**
 * The open and first read of a SQLite source, in a short-lived child process: SQLite's open is synchronous,
 * and a file swapped for a FIFO after the check above would hold whatever opens it forever. Held in a child,
 * it blocks no event loop, and the child is SIGKILLed after the timeout. (Not a worker thread: a thread stuck
 * in the kernel cannot be stopped, and would keep the worker's process from ever exiting.)
 */
function readSqliteMeta(file: string): Promise<{ schemaVersion?: string } | { error: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--no-warnings', '-e', SQLITE_READER, '--', file, META_SQL],
      { timeout: SQLITE_OPEN_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024, encoding: 'utf8' },
      (err, stdout) => {
        if (err && (err as { killed?: boolean }).killed) {
          resolve({ error: `it did not open within ${SQLITE_OPEN_TIMEOUT_MS / 1000} s (is it a regular file?)` });
          return;
        }
        try {
          resolve(JSON.parse(stdout) as { schemaVersion?: string } | { error: string });
        } catch {
          resolve({ error: err ? err.message.slice(0, 500) : 'the reader gave no answer' });
        }
      },
    );
  });
}

/** Prints the answer as JSON: `{ schemaVersion }` or `{ error }`. Its arguments: the file, the query. */
const SQLITE_READER =
  `
const { DatabaseSync } = require('node:sqlite');
const [file, sql] = process.argv.slice(-2);
let answer;
try {
  const conn = new DatabaseSync(file, { readOnly: true });
  try {
    const hasMeta = conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    const row = hasMeta ? conn.prepare(sql).get() : undefined;
    answer = { schemaVersion: row === undefined || row.meta_value === undefined || row.meta_value === null ? undefined : ` +
  `String(row.meta_value).slice(0, 256) };
  } finally {
    conn.close();
  }
} catch (err) {
  answer = { error: err && err.message ? err.message : String(err) };
}
process.stdout.write(JSON.stringify(answer));
`;
