/**
 * Where a handover may write: only on a configured staging place, and only a database named as its
 * source. Handover drops and replaces its target, so a target anywhere else is refused at submission
 * (the copy service checks again on its own).
 *   MySQL:  a configured staging server, compared by address and port (not as text: `localhost`,
 *           `127.0.0.1` and `::1` are one host; a name is resolved), never the source server's database.
 *   SQLite: a file directly inside a configured staging folder (real paths: no `..`, no symlink out),
 *           never one of the project's own files (Temporal's history, job stores, the secret key).
 */
import { lookup } from 'node:dns/promises';
import { lstatSync, realpathSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { type DbUri, parseDbUri } from './db-uri';

export class TargetRefused extends Error {}

export interface StagingPlaces {
  /** Staging URIs (HANDOVER_STAGING_URI and every staging rule's): servers and folders. */
  stagingUris: string[];
  /** Files and folders of the project's own state: no target may be one of them or inside them. */
  protectedPaths: string[];
}

/** Refuses (TargetRefused, saying why) a target that is not on staging or not named as its source. */
export async function confineTarget(targetUri: string, sourceUri: string, places: StagingPlaces): Promise<void> {
  const target = parseDbUri(targetUri);
  const source = parseDbUri(sourceUri);
  if (target.database !== source.database) {
    throw new TargetRefused(`must name the source's database ${source.database}, not ${target.database}`);
  }
  if (target.engine !== source.engine) throw new TargetRefused(`is a ${target.engine} database, but the source is ${source.engine}: a copy stays on one engine`);
  if (await sameDatabase(target, source)) throw new TargetRefused('is the source database itself');
  const staging = places.stagingUris.map((uri) => parseDbUri(uri, { staging: true })).filter((s) => s.engine === target.engine);
  if (target.engine === 'sqlite') return confineFile(target.file!, staging, places.protectedPaths);
  for (const server of staging) if (await sameServer(target, server)) return;
  const known = staging.map((s) => `${s.host}:${s.port}`).join(', ') || 'none';
  throw new TargetRefused(`is not on a staging server (configured: ${known})`);
}

function confineFile(file: string, staging: DbUri[], protectedPaths: string[]): void {
  // Only database files are replaced: never a key, a log or another program's .db.
  if (path.extname(file) !== '.sqlite') throw new TargetRefused('must be a .sqlite file');
  const folder = realFolder(path.dirname(file));
  const inside = staging.some((s) => realFolder(s.file!) === folder);
  if (!inside) {
    throw new TargetRefused(`is not directly inside a staging folder (configured: ${staging.map((s) => s.file).join(', ') || 'none'})`);
  }
  const real = path.join(folder, path.basename(file));
  if (protectedPaths.some((p) => isWithin(real, realFolder(p)))) throw new TargetRefused("is one of Handover's own files");
  let isLink = false;
  try {
    isLink = lstatSync(file).isSymbolicLink();
  } catch {
    // Not there yet: a new copy.
  }
  if (isLink) throw new TargetRefused('is a symbolic link; a target must be a plain file in the staging folder');
}

/** The folder's real path (symlinks resolved), or its absolute path when it does not exist yet. */
function realFolder(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    return path.resolve(folder);
  }
}

const isWithin = (file: string, folder: string) => file === folder || file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);

/** The same database however it is written (a host's other name, a path through a symlink). */
async function sameDatabase(a: DbUri, b: DbUri): Promise<boolean> {
  if (a.engine !== b.engine || a.database !== b.database) return false;
  if (a.engine === 'sqlite') return path.join(realFolder(path.dirname(a.file!)), path.basename(a.file!)) === path.join(realFolder(path.dirname(b.file!)), path.basename(b.file!));
  return sameServer(a, b);
}

/** One server whatever it is called: the same port, and a shared address (loopback counts as one). */
async function sameServer(a: DbUri, b: DbUri): Promise<boolean> {
  if (a.port !== b.port) return false;
  const [x, y] = await Promise.all([addressesOf(a.host!), addressesOf(b.host!)]);
  return x.some((address) => y.includes(address));
}

async function addressesOf(host: string): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(bare) ? [bare] : (await lookup(bare, { all: true })).map((r) => r.address);
  } catch {
    addresses = [];
  }
  return addresses.map((address) => (/^(127\.|::1$|::ffff:127\.)/.test(address) ? 'loopback' : address.replace(/^::ffff:/, '')));
}
