/**
 * Where the project's own files are: the repository, its local state, and what of it no copy may target.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository: the nearest folder up from here with a package.json (from the sources, or compiled under dist/). */
export const PROJECT_ROOT = projectRoot(__dirname);

function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}
/** Where the local, git-ignored state lives (staging databases, mail, the dev secret key). */
export const LOCAL_STATE_DIR = path.join(PROJECT_ROOT, '.handover');
/** Handover's own state (Temporal's history, the job stores, the dev secret key): never a copy target. */
export const PROJECT_STATE_PATHS = [
  path.join(PROJECT_ROOT, '.temporal'),
  path.join(LOCAL_STATE_DIR, 'services'),
  path.join(LOCAL_STATE_DIR, 'secret.key'),
];
