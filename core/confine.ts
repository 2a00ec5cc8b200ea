/**
 * Confinement by real path: whether a file is inside a folder, the real path of a file that may not
 * exist yet, and what kind of file a path is (a FIFO would block SQLite's open forever). The handover
 * (common/staging.ts, common/sources.ts) and the stack (services/copy/targets.ts, the dumps) keep their
 * own policies and words; these are the rules under them.
 */
import { type Stats, closeSync, constants, fstatSync, openSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** Whether `inner` is `outer` or inside it (both already resolved or real paths). */
export function isWithin(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The real path (symlinks resolved), or undefined when there is nothing there. */
export function realPathOrNone(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** The real path; for a path that does not exist (a new copy), its nearest existing folder's real path and the rest. */
export function realPath(p: string): string {
  const real = realPathOrNone(p);
  if (real !== undefined) return real;
  const parent = path.dirname(p);
  return parent === p ? p : path.join(realPath(parent), path.basename(p));
}

export type FileKind = 'file' | 'fifo' | 'folder' | 'symlink' | 'device' | 'socket' | 'other';

/** What a stat says a path is. */
export function kindOf(stat: Stats): FileKind {
  if (stat.isFile()) return 'file';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isDirectory()) return 'folder';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'device';
  if (stat.isSocket()) return 'socket';
  return 'other';
}

/**
 * What `file` is, looked at through a descriptor opened without blocking (a FIFO's open would wait for a
 * writer), so that a FIFO put in place of a checked file is still seen; `{ cannotOpen: code }` when it
 * does not open.
 */
export function openedKind(file: string): FileKind | { cannotOpen: string } {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    return kindOf(fstatSync(fd));
  } catch (err) {
    return { cannotOpen: (err as NodeJS.ErrnoException).code ?? 'error' };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
