/**
 * A SQLite copy of every table is a copy of the file: as fast as the disk, and exact to the byte. It is taken
 * consistent: under a read transaction on the source (a rollback-journal database: no writer can commit while
 * it is held, so the file does not change under the copy), by `cp` (the kernel's copy_file_range, or a reflink
 * where the file system has them), a process a kill stops at once; the rows are counted in the source inside
 * the same transaction, while `cp` runs, by a connection in a child process that a kill kills too. A WAL
 * database (whose latest commits may still be in its -wal file) goes through SQLite's online backup instead,
 * page by page, which reads through the WAL.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { quoteIdent } from '../db/names';
import { SqliteConnection } from '../db/sqlite-process';

/** Pages per step of an online backup. */
const BACKUP_PAGES = 2048;

/**
 * Copies the database in `sourceFile` into `targetFile` (an empty file the caller made, in its private folder).
 * Returns how, and (for a file copy) the rows of `tables` in the source as copied. `cp` reads the very file
 * SQLite holds locked (through this process's descriptor of it), whatever the path names meanwhile; the copy's
 * size and its own page count are checked against the source's.
 */
export async function copyWholeFile(
  sourceFile: string,
  targetFile: string,
  tables: string[],
  signal?: AbortSignal,
): Promise<{ how: 'file copy' | 'online backup'; counts?: Record<string, number> }> {
  // Non-blocking: a FIFO named as the source must not hold the event loop waiting for a writer; only a file is copied.
  const fd = openSync(sourceFile, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`the source ${sourceFile} is not a file`);
    // SQLite's connection to the source lives in a child process (sqlite-process.ts): its open cannot hold this
    // service's event loop, and a kill kills it.
    const source = await SqliteConnection.open(sourceFile, { readOnly: true });
    const abandon = () => source.terminate(signal!.reason as Error);
    signal?.addEventListener('abort', abandon, { once: true });
    try {
      await source.exec('BEGIN');
      try {
        await source.get('SELECT count(*) FROM sqlite_master'); // the shared lock: writers wait until COMMIT below
        const held = fstatSync(fd);
        const named = statSync(sourceFile);
        if (held.ino !== named.ino || held.dev !== named.dev)
          throw new Error(`the source file ${sourceFile} was replaced while the copy opened it`);
        const { journal_mode: mode } = (await source.get<{ journal_mode: string }>('PRAGMA journal_mode'))!;
        if (String(mode).toLowerCase() !== 'wal') {
          const copied = copyFile(`/proc/${process.pid}/fd/${fd}`, targetFile, signal);
          const counts: Record<string, number> = {};
          try {
            for (const table of tables)
              counts[table] = Number((await source.get<{ n: number }>(`SELECT count(*) AS n FROM ${quoteIdent('sqlite', table)}`))!.n);
          } finally {
            await copied;
          }
          checkCopy(targetFile, held.size);
          return { how: 'file copy', counts };
        }
      } finally {
        if (!signal?.aborted) await source.exec('COMMIT');
      }
      await source.backup(targetFile, BACKUP_PAGES);
      return { how: 'online backup' };
    } finally {
      signal?.removeEventListener('abort', abandon);
      await source.close().catch(() => undefined);
      source.terminate();
      await source.gone;
    }
  } finally {
    closeSync(fd);
  }
}

/** The copy is the source's size, and SQLite reads it as a database of exactly that many pages. */
function checkCopy(file: string, size: number): void {
  const copy = new DatabaseSync(file, { readOnly: true });
  try {
    const pages = Number((copy.prepare('PRAGMA page_count').get() as { page_count: number }).page_count);
    const pageSize = Number((copy.prepare('PRAGMA page_size').get() as { page_size: number }).page_size);
    const bytes = statSync(file).size;
    if (bytes !== size || pages * pageSize !== size)
      throw new Error(`copy verification failed: the copy has ${bytes} bytes (${pages} pages of ${pageSize}), the source ${size}`);
  } finally {
    copy.close();
  }
}

/** `cp` of one file onto another (names after `--`); SIGKILLed on a kill. */
function copyFile(from: string, to: string, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const cp = spawn('cp', ['--reflink=auto', '--', from, to], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  cp.stderr.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-2000)));
  const kill = () => cp.kill('SIGKILL');
  signal?.addEventListener('abort', kill, { once: true });
  return new Promise<void>((resolve, reject) => {
    cp.once('error', reject);
    cp.once('close', (code) => {
      signal?.removeEventListener('abort', kill);
      if (signal?.aborted) reject(signal.reason as Error);
      else if (code === 0) resolve();
      else reject(new Error(`copying the file failed: ${errors.trim() || `cp exited with ${code}`}`));
    });
  });
}
