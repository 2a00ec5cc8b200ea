/**
 * Where a handover may write: only on a configured staging place, and only a database named as its
 * source. Handover drops and replaces its target, so a target anywhere else is refused at submission
 * (the copy service checks again on its own).
 *   MySQL:  a configured staging server: every address the target's host resolves to must be one of
 *           the staging server's (`localhost`, `127.0.0.1` and `::1` are one host), on its port.
 *   SQLite: a `.sqlite` file directly inside a configured staging folder (real paths: no `..`, no
 *           symlink out, not a symlink itself), never one of the project's own files.
 * What was checked is what is recorded: the target comes back in its canonical form (the configured
 * server's host and port, the folder's real path), so a name that resolves elsewhere later, or a
 * symlink re-pointed after the check, cannot move it, and the per-database lock sees one name.
 */
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { canonicalAddress, resolveHost } from '../core/addresses';
import { isWithin, realPath } from '../core/confine';
import { type DbUri, formatDbUri, parseDbUri } from './db-uri';

export class TargetRefused extends Error {}

export interface StagingPlaces {
  /** Staging URIs (HANDOVER_STAGING_URI and every staging rule's): servers and folders. */
  stagingUris: string[];
  /** Files and folders of the project's own state: no target may be one of them or inside them. */
  protectedPaths: string[];
}

/** How long one host name may take to resolve before the target is refused. */
const LOOKUP_TIMEOUT_MS = 5000;

/**
 * Refuses (TargetRefused, saying why) a target that is not on staging, not named as its source, or
 * the source itself; returns the target in its canonical form (credentials kept).
 */
export async function confineTarget(targetUri: string, sourceUri: string, places: StagingPlaces): Promise<string> {
  const target = parseDbUri(targetUri);
  const source = parseDbUri(sourceUri);
  if (target.database !== source.database) {
    throw new TargetRefused(`must name the source's database ${source.database}, not ${target.database}`);
  }
  if (target.engine !== source.engine)
    throw new TargetRefused(`is a ${target.engine} database, but the source is ${source.engine}: a copy stays on one engine`);
  const staging = places.stagingUris.map((uri) => parseDbUri(uri, { staging: true })).filter((s) => s.engine === target.engine);
  if (target.engine === 'sqlite') {
    const file = confineFile(target.file!, staging, places.protectedPaths);
    if (file === realFile(source.file!)) throw new TargetRefused('is the source database itself');
    return formatDbUri({ ...target, file });
  }
  const addresses = new Map<string, Promise<string[]>>();
  const resolved = (host: string) => addresses.get(host) ?? addresses.set(host, addressesOf(host)).get(host)!;
  for (const server of staging) {
    if (server.port !== target.port) continue;
    const [mine, theirs] = await Promise.all([resolved(target.host!), resolved(server.host!)]);
    // Every address: a name that also resolves elsewhere could be sent there.
    if (mine.length && mine.every((a) => theirs.includes(a))) {
      const canonical = { ...target, host: server.host, port: server.port };
      const sourceAddresses = await resolved(source.host!);
      if (source.port === server.port && sourceAddresses.some((a) => theirs.includes(a)))
        throw new TargetRefused('is the source database itself');
      return formatDbUri(canonical);
    }
  }
  const known = staging.map((s) => `${s.host}:${s.port}`).join(', ') || 'none';
  throw new TargetRefused(`is not on a staging server (configured: ${known})`);
}

/** The target file by its real folder; refused unless directly inside a staging folder. */
function confineFile(file: string, staging: DbUri[], protectedPaths: string[]): string {
  // Only database files are replaced: never a key, a log or another program's .db.
  if (path.extname(file) !== '.sqlite') throw new TargetRefused('must be a .sqlite file');
  const folder = realPath(path.dirname(file));
  if (!staging.some((s) => realPath(s.file!) === folder)) {
    throw new TargetRefused(`is not directly inside a staging folder (configured: ${staging.map((s) => s.file).join(', ') || 'none'})`);
  }
  const real = path.join(folder, path.basename(file));
  if (protectedPaths.some((p) => isWithin(realPath(p), real))) throw new TargetRefused("is one of Handover's own files");
  let isLink = false;
  try {
    isLink = lstatSync(real).isSymbolicLink();
  } catch {
    // Not there yet: a new copy.
  }
  if (isLink) throw new TargetRefused('is a symbolic link; a target must be a plain file in the staging folder');
  return real;
}

// The folder by its real path, the file by its own name (a symlink target is refused, not followed).
const realFile = (file: string) => path.join(realPath(path.dirname(file)), path.basename(file));

/** The host's addresses, loopback as one; none when it does not resolve in time. */
export async function addressesOf(host: string): Promise<string[]> {
  const addresses = await resolveHost(host, LOOKUP_TIMEOUT_MS).catch(() => []);
  // All of 127.0.0.0/8 is one host here: a target on 127.0.0.2 is the staging server on 127.0.0.1.
  return addresses.map((address) => canonicalAddress(address, 'network'));
}
