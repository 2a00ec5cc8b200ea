/**
 * Where the copy service may write: its target roots (LOCAL_STACK_TARGET_ROOTS, or the `targetRoots`
 * option), a comma-separated list of staging URIs:
 *   sqlite:////abs/folder/          a staging folder: targets are <identifier>.sqlite files directly inside it
 *   mysql://[user@]host:port/       a staging server: targets are <identifier> databases on it
 * The copy service checks every target against them at submission (400, no job) and again when the
 * job runs; what it then writes to is the checked location (real path, resolved address), never the
 * text of the request.
 */
import { lstatSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { canonicalAddress, resolveHost } from '../../core/addresses';
import { isWithin, realPathOrNone } from '../../core/confine';
import { type DbUriProblem, databaseKey, readDbUri } from '../../core/db-uri';
import { isIdentifier } from '../../core/names';
import { notRegularFile } from '../db/sqlite-database';
import { InputError, printable, resolveUnder } from '../db/names';
import { type DbLocation, type MysqlLocation, type SqliteLocation, locate, safe } from '../db/uri';

export type TargetRoot =
  { engine: 'sqlite'; folder: string; text: string } | { engine: 'mysql'; host: string; port: number; user?: string; text: string };

/** Databases no copy may replace, whatever the roots say. */
const SYSTEM_SCHEMAS = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);
/** Prefixes of the copy's own temporary and backup schemas (see copy.ts). */
export const RESERVED_PREFIXES = ['handover_tmp_', 'handover_old_'];

/** What parseTargetRoots says for each problem core's reading finds in a root. */
const ROOT_REFUSALS: Record<DbUriProblem['code'], string> = {
  'too-long': 'too long',
  'not-a-uri': 'not a URI',
  query: 'no query or fragment',
  scheme: 'unsupported scheme',
  'sqlite-host': 'needs an absolute folder',
  'relative-path': 'needs an absolute folder',
  'malformed-escape': 'a malformed %-escape',
  nul: 'bad path',
  'names-database': 'a staging server names no database',
  password: 'no password in a target root',
  'no-host': 'no host',
  'bad-host': 'not a host name or address',
  // A staging URI has none of these.
  folder: 'bad path',
  'not-normal': 'bad path',
  'no-database': 'bad path',
  'bad-name': 'bad path',
};

function rootRefusal({ code, part, value }: DbUriProblem): string {
  if (code === 'scheme') return `unsupported scheme ${value}`;
  // Any path after a staging server is refused, an undecodable one too (as before core read the roots).
  if (code === 'malformed-escape' && part === 'database') return ROOT_REFUSALS['names-database'];
  if (code === 'malformed-escape') return `${ROOT_REFUSALS[code]} in the ${part === 'user' ? 'user name' : part}`;
  return ROOT_REFUSALS[code];
}

/**
 * Parses target roots (core's readDbUri, as staging URIs without a password); throws a configuration error on anything that is not a
 * staging folder or server URI.
 */
export function parseTargetRoots(roots: string | string[]): TargetRoot[] {
  const list = (Array.isArray(roots) ? roots : roots.split(',')).map((r) => r.trim()).filter(Boolean);
  return list.map((text) => {
    const read = readDbUri(text, { staging: true, refusePassword: true });
    if (!read.ok) {
      throw new Error(
        `target root ${printable(safe(text))}: ${rootRefusal(read.problem)} (expected sqlite:////abs/folder/ or mysql://[user@]host:port/)`,
      );
    }
    const db = read.db;
    if (db.engine === 'sqlite') return { engine: 'sqlite' as const, folder: path.resolve(db.file!), text };
    return { engine: 'mysql' as const, host: db.host!.replace(/^\[(.*)\]$/, '$1'), port: db.port!, user: db.user, text };
  });
}

export interface CheckedTarget {
  /** What the copy writes to: for SQLite the real path, for MySQL the address of the configured staging server. */
  location: DbLocation;
  /** One copy per key at a time. */
  key: string;
}

export interface TargetPolicy {
  roots: TargetRoot[];
  /** Folders no target or source may be in (the stack's own data: job stores, keys, dumps). */
  protectedDirs: string[];
}

const real = realPathOrNone;
const describe = (roots: TargetRoot[], engine: TargetRoot['engine']) =>
  roots
    .filter((r) => r.engine === engine)
    .map((r) => r.text)
    .join(', ') || `none configured for ${engine} (LOCAL_STACK_TARGET_ROOTS)`;

/** Checks a copy's target against the policy; throws InputError saying why it is refused. */
export async function checkTarget(sourceUri: string, targetUri: string, policy: TargetPolicy): Promise<CheckedTarget> {
  const source = locate(sourceUri);
  const target = locate(targetUri);
  if (source.engine !== target.engine) throw new InputError('source and target must be the same engine');
  return target.engine === 'sqlite'
    ? checkSqlite(source as SqliteLocation, target, policy)
    : checkMysql(source as MysqlLocation, target, policy);
}

function checkSqlite(source: SqliteLocation, target: SqliteLocation, policy: TargetPolicy): CheckedTarget {
  const base = path.basename(target.file);
  if (!base.endsWith('.sqlite') || !isIdentifier(base.slice(0, -'.sqlite'.length)))
    throw new InputError(`target file name \`${printable(base)}\` must be an identifier followed by .sqlite`);
  const roots = describe(policy.roots, 'sqlite');
  const folder = real(path.dirname(target.file));
  const rootFolders = policy.roots.flatMap((r) => (r.engine === 'sqlite' ? [real(r.folder)] : [])).filter((f): f is string => !!f);
  if (!folder || !rootFolders.includes(folder))
    throw new InputError(`target ${target.file} is not directly inside a staging folder (${roots})`);
  for (const dir of policy.protectedDirs) {
    const p = real(dir);
    if (p && isWithin(p, folder)) throw new InputError(`target ${target.file} is inside the local stack's own data folder`);
  }
  const file = resolveUnder(folder, base);
  const stat = (() => {
    try {
      return lstatSync(file);
    } catch {
      return undefined;
    }
  })();
  if (stat?.isSymbolicLink()) throw new InputError(`target ${target.file} is a symbolic link`);
  if (stat && !stat.isFile()) throw new InputError(`target ${target.file} is not a regular file`);
  const sourceReal = real(source.file) ?? source.file;
  const sourceStat = (() => {
    try {
      return statSync(sourceReal);
    } catch {
      return undefined;
    }
  })();
  if (sourceReal === file || (stat && sourceStat && stat.ino === sourceStat.ino && stat.dev === sourceStat.dev)) {
    throw new InputError('the target is the source itself');
  }
  for (const dir of policy.protectedDirs) {
    const p = real(dir);
    if (p && isWithin(p, sourceReal)) throw new InputError(`the source ${source.file} is a file of the local stack's own data`);
  }
  return { location: { engine: 'sqlite', name: target.name, file }, key: databaseKey({ engine: 'sqlite', file }) };
}

/**
 * Loopback written any way is one address, but only 127.0.0.1 and ::1: another loopback address is
 * another listener (the handover's staging check takes all of 127.0.0.0/8 as one host).
 */
const canonical = (address: string) => canonicalAddress(address, 'exact');

async function addresses(host: string): Promise<string[]> {
  try {
    return await resolveHost(host, 5000);
  } catch {
    throw new InputError(`cannot resolve the host ${printable(host)}`);
  }
}

async function checkMysql(source: MysqlLocation, target: MysqlLocation, policy: TargetPolicy): Promise<CheckedTarget> {
  if (SYSTEM_SCHEMAS.has(target.name.toLowerCase())) throw new InputError(`target database ${target.name} is a system database`);
  if (RESERVED_PREFIXES.some((p) => target.name.toLowerCase().startsWith(p)))
    throw new InputError(`target database ${target.name}: names starting with ${RESERVED_PREFIXES.join(' or ')} are the copy's own`);
  const targetAddresses = await addresses(target.host);
  const targetSet = new Set(targetAddresses.map(canonical));
  let connectTo: string | undefined;
  for (const root of policy.roots) {
    if (root.engine !== 'mysql' || root.port !== target.port || (root.user && root.user !== target.user)) continue;
    let rootAddresses: string[];
    try {
      rootAddresses = await addresses(root.host);
    } catch {
      continue;
    }
    const rootSet = new Set(rootAddresses.map(canonical));
    // Every address the target's name may reach must be the staging server's.
    if ([...targetSet].every((a) => rootSet.has(a))) {
      connectTo = rootAddresses.find((a) => isIP(a) === 4) ?? rootAddresses[0];
      break;
    }
  }
  if (!connectTo)
    throw new InputError(
      `target server ${printable(target.host)}:${target.port} is not a staging server (${describe(policy.roots, 'mysql')})`,
    );
  const sourceSet = new Set((await addresses(source.host).catch(() => [source.host])).map(canonical));
  if (source.port === target.port && source.name === target.name && [...targetSet].some((a) => sourceSet.has(a)))
    throw new InputError('the target is the source itself');
  return {
    location: { ...target, host: connectTo },
    key: databaseKey({ engine: 'mysql', host: canonical(connectTo), port: target.port, database: target.name }),
  };
}

/**
 * Where jobs may read from (LOCAL_STACK_SOURCE_ROOTS, or the `sourceRoots` option): source folders and
 * servers, written as target roots are (`sqlite:////abs/folder/`, `mysql://[user@]host:port/`). The
 * healthcheck and the copy check every source against them at submission (400, no job) and again when
 * the job runs: without them, a job could make the stack connect to any host and port, or read any file.
 */
export interface SourcePolicy {
  roots: TargetRoot[];
  /** Folders no source may be in (the stack's own data). */
  protectedDirs: string[];
}

/**
 * Throws InputError naming `field` unless the source is in a source root (and, for SQLite, a regular file). Returns
 * the source as checked, to open instead of the URI: the file by its real path, the server by an address of the
 * root it matched (a name resolved again later could lead elsewhere; checkTarget does the same for targets).
 */
export async function checkSource(sourceUri: string, policy: SourcePolicy, field: string): Promise<DbLocation> {
  const source = locate(sourceUri);
  const refuse = (why: string) => new InputError(`${field}: ${why}`);
  const roots = policy.roots.filter((r) => r.engine === source.engine);
  if (!roots.length)
    throw refuse(`no ${source.engine} source is allowed (set LOCAL_STACK_SOURCE_ROOTS: sqlite:////abs/folder/,mysql://host:port/)`);
  if (source.engine === 'sqlite') {
    // A missing file is the job's to report (the healthcheck's DatabaseOpens, the copy's existence check): its folder is checked.
    const folder = real(path.dirname(source.file));
    const file = real(source.file) ?? (folder && path.join(folder, path.basename(source.file)));
    if (!file)
      throw refuse(`the source ${source.file} is not inside a source folder (${roots.map((r) => r.text).join(', ')}; by real path)`);
    const folders = roots.flatMap((r) => (r.engine === 'sqlite' ? [real(r.folder)] : [])).filter((f): f is string => !!f);
    if (!folders.some((f) => isWithin(f, file)))
      throw refuse(`the source ${source.file} is not inside a source folder (${roots.map((r) => r.text).join(', ')}; by real path)`);
    for (const dir of policy.protectedDirs) {
      const p = real(dir);
      if (p && isWithin(p, file)) throw refuse(`the source ${source.file} is a file of the local stack's own data`);
    }
    const why = real(source.file) && notRegularFile(file);
    if (why) throw refuse(`the source ${source.file} is ${why}, not a regular file`);
    return { ...source, file: real(source.file) ?? source.file };
  }
  const mine = new Set((await addresses(source.host).catch(() => [])).map(canonical));
  if (!mine.size) throw refuse(`cannot resolve the host ${printable(source.host)}`);
  for (const root of roots) {
    if (root.engine !== 'mysql' || root.port !== source.port) continue;
    const rootAddresses = await addresses(root.host).catch(() => []);
    const theirs = new Set(rootAddresses.map(canonical));
    if ([...mine].every((a) => theirs.has(a))) return { ...source, host: rootAddresses.find((a) => isIP(a) === 4) ?? rootAddresses[0] };
  }
  throw refuse(`source server ${printable(source.host)}:${source.port} is not a source server (${roots.map((r) => r.text).join(', ')})`);
}
