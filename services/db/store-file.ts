/** A service's own SQLite store (the job stores, the metadata store), in this process (node:sqlite). */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

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
