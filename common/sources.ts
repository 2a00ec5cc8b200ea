/**
 * Where a handover may read from: only a configured source server or a SQLite file inside a configured
 * source folder. Without this, any host and port could be named as a source, and the worker, the
 * healthcheck and the copy would connect there (Temporal's frontend, an internal server with a
 * password-less account), their failure text telling open ports from closed ones.
 *   MySQL:  HANDOVER_SOURCE_SERVERS (host:port, comma-separated): every address the source's host
 *           resolves to must be one of a listed server's (loopback written any way is one host), on its port.
 *   SQLite: HANDOVER_SOURCE_ROOTS (folders, comma-separated): the file, by its real path (no `..`, no
 *           symlink out), inside one of them, at any depth, and a regular file (a FIFO would block
 *           SQLite's open forever; a device or a folder is no database).
 * Refused even if listed: Handover's own state (Temporal's history, the job stores, the key file) and
 * the ports of its own services (Temporal, the four job services, the API) on the same host.
 * What was checked is what is recorded: the source comes back in its canonical form (the listed
 * server's host and port as configured; the file by its folder's real path and its own name), so a
 * name whose DNS answer changes after the check (rebinding), or a folder symlink re-pointed, cannot
 * send the worker and the job services elsewhere.
 */
import { statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { canonicalAddress } from '../core/addresses';
import { type FileKind, isWithin, kindOf, openedKind, realPath } from '../core/confine';
import { formatDbUri, parseDbUri } from './db-uri';
import { addressesOf } from './staging';

export class SourceRefused extends Error {}

export interface SourcePlaces {
  /** MySQL servers sources may be on, as `host:port`. */
  servers: string[];
  /** Folders SQLite sources may be in. */
  roots: string[];
  /** Files and folders of the project's own state: no source may be one of them or inside them. */
  protectedPaths: string[];
  /** Handover's own services (`what` names them in the refusal): never a source, whatever the lists say. */
  ownServices: Array<{ what: string; host: string; port: number }>;
}

const NONE =
  'no source is allowed: set HANDOVER_SOURCE_SERVERS (MySQL servers, host:port,...) or HANDOVER_SOURCE_ROOTS (folders of SQLite files, ' +
  'comma-separated)';

/** `host:port` (IPv6 in brackets) as host and port; throws saying why. */
export function parseServer(text: string): { host: string; port: number } {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(text.trim());
  if (!m || Number(m[2]) > 65535) throw new Error(`${JSON.stringify(text.slice(0, 80))} is not host:port`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** A comma-separated setting as its entries. */
export const listOf = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * Refuses (SourceRefused, saying why) a source that is not in a configured place, or is Handover's own;
 * returns the source in its canonical form (credentials kept): what is recorded and connected to.
 */
export async function confineSource(sourceUri: string, places: SourcePlaces): Promise<string> {
  if (!places.servers.length && !places.roots.length) throw new SourceRefused(NONE);
  const source = parseDbUri(sourceUri);
  if (source.engine === 'sqlite') {
    confineFile(source.file!, places);
    // The folder by its real path, the file by its own name: the database's name comes from it.
    return formatDbUri({ ...source, file: path.join(realPath(path.dirname(source.file!)), path.basename(source.file!)) });
  }

  const mine = await addressesOf(source.host!);
  if (!mine.length) throw new SourceRefused(`names the host ${source.host}, which does not resolve`);
  const local = localAddresses();
  for (const own of places.ownServices) {
    if (own.port !== source.port) continue;
    const theirs = own.host === '0.0.0.0' || own.host === '::' ? local : await addressesOf(own.host);
    if (mine.some((a) => theirs.includes(a)))
      throw new SourceRefused(`is ${own.what} (${own.host}:${own.port}), one of Handover's own services, not a database server`);
  }
  for (const server of places.servers.map(parseServer)) {
    if (server.port !== source.port) continue;
    const theirs = await addressesOf(server.host);
    // Every address: a name that also resolves elsewhere could be sent there.
    // The listed server as configured (formatDbUri brackets an IPv6 address, as a URI writes it).
    if (mine.every((a) => theirs.includes(a))) return formatDbUri({ ...source, host: server.host, port: server.port });
  }
  throw new SourceRefused(`is not on a source server (HANDOVER_SOURCE_SERVERS: ${places.servers.join(', ') || 'none'})`);
}

function confineFile(file: string, places: SourcePlaces): void {
  if (!places.roots.length) throw new SourceRefused('is a SQLite file, and no source folder is configured (set HANDOVER_SOURCE_ROOTS)');
  const real = realPath(file);
  if (!places.roots.some((root) => isWithin(realPath(root), real))) {
    throw new SourceRefused(
      `is not inside a source folder (HANDOVER_SOURCE_ROOTS: ${places.roots.join(', ')}; by real path, symlinks resolved)`,
    );
  }
  if (places.protectedPaths.some((p) => isWithin(realPath(p), real))) throw new SourceRefused("is one of Handover's own files");
  regularFileProblem(real, (why) => new SourceRefused(why));
}

/**
 * Throws (made by `refuse`) unless `file` is a regular file or absent (a missing source is the existence
 * check's to report). Opened without blocking and checked on the descriptor, so that a FIFO put in its
 * place between the two looks is still seen.
 */
export function regularFileProblem(file: string, refuse: (why: string) => Error): void {
  let kind: string | undefined;
  try {
    kind = words(kindOf(statSync(file))); // symlinks followed: the API confined the real path
  } catch {
    return; // not there
  }
  if (kind) throw refuse(`is ${kind}, not a regular file: only a SQLite database file can be a source`);
  const opened = openedKind(file);
  kind = typeof opened === 'string' ? words(opened) : `a file that cannot be opened (${opened.cannotOpen})`;
  if (kind) throw refuse(`is ${kind}, not a regular file: only a SQLite database file can be a source`);
}

/** A kind of file as a refusal names it; nothing for a regular file. */
const KIND_WORDS: Record<FileKind, string | undefined> = {
  file: undefined,
  fifo: 'a FIFO (named pipe)',
  folder: 'a folder',
  symlink: 'a symbolic link',
  device: 'a device',
  socket: 'a socket',
  other: 'not a regular file',
};
const words = (kind: FileKind) => KIND_WORDS[kind];

/** This machine's addresses as addressesOf writes them (loopback as one): a service on 0.0.0.0 listens on all. */
function localAddresses(): string[] {
  const all = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  return ['loopback', ...all.map((a) => canonicalAddress(a, 'network'))];
}
