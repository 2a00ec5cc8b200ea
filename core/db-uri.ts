/**
 * Database URIs as SQLAlchemy and Ensembl's tools write them (the handover's reading: parse, write back,
 * drop the password, derive a target on staging, the canonical key; the local stack keys its copies
 * with databaseKey too):
 *   mysql://user:pass@host:port/name       (MySQL / MariaDB)
 *   sqlite:////absolute/path/name.sqlite   (a SQLite file; the name is the file name without extension)
 * A staging URI names a server, not a database: `mysql://user:pass@host:port/` or a folder `sqlite:////srv/staging/`.
 */
import path from 'node:path';
import { type Engine, MAX_IDENTIFIER_LENGTH, identifierFault } from './names';
import { MAX_URI_LENGTH } from './uris';

export type { Engine } from './names';

export interface DbUri {
  engine: Engine;
  user?: string;
  password?: string;
  host?: string;
  port?: number;
  /** Database name: the MySQL schema, or the SQLite file name without its extension ('' for a staging URI). */
  database: string;
  /** SQLite only: the absolute file (or, for a staging URI, folder) path. */
  file?: string;
}

export class DbUriError extends Error {}

export { MAX_URI_LENGTH } from './uris';

/** Says what is wrong with a database or table name (core/names.ts: data, never code), or nothing. */
export function identifierProblem(name: string): string | undefined {
  const fault = identifierFault(name);
  if (fault === 'too-long') return `is ${name.length} characters long; a name has at most ${MAX_IDENTIFIER_LENGTH}`;
  if (fault) return 'may contain only letters, digits and _';
  return undefined;
}

const SCHEMES: Record<string, Engine> = { 'mysql:': 'mysql', 'mysql+pymysql:': 'mysql', 'sqlite:': 'sqlite' };

/** The engine a URL's protocol (`mysql:`, `mysql+pymysql:`, `sqlite:`) names, or undefined. */
export const engineOfScheme = (protocol: string): Engine | undefined => (Object.hasOwn(SCHEMES, protocol) ? SCHEMES[protocol] : undefined);

/** What a URI is read as: a database (the default), or a staging server or folder; and what a side refuses on top. */
export interface DbUriRules {
  /** A staging server (`mysql://…/`, no database) or folder (`sqlite:////abs/folder/`), not a database. */
  staging?: boolean;
  /** Refuse a password (the stack's target and source roots are places, not credentials). */
  refusePassword?: boolean;
}

/** The part of a URI a problem is in, so each side can word it its own way. */
export type DbUriPart = 'uri' | 'scheme' | 'host' | 'path' | 'database' | 'user' | 'password';

/**
 * Why a URI is refused, as data: each side (parseDbUri below for the handover, services/db/uri.ts and
 * services/copy/targets.ts for the stack) turns it into its own message. `value` is the offending text
 * (the scheme, the host, the decoded database name), never the password.
 */
export interface DbUriProblem {
  code:
    | 'too-long'
    | 'not-a-uri'
    | 'scheme'
    | 'query'
    | 'sqlite-host'
    | 'relative-path'
    | 'malformed-escape'
    | 'nul'
    | 'folder'
    | 'not-normal'
    | 'no-host'
    | 'bad-host'
    | 'names-database'
    | 'no-database'
    | 'bad-name'
    | 'password';
  part: DbUriPart;
  value?: string;
}

export type DbUriReading = { ok: true; db: DbUri } | { ok: false; problem: DbUriProblem };

// A host name or an IP address, never something a command line could read as an option (`-oProxyCommand=…`).
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]{2,45}\])$/;

/**
 * The one reading of a database (or staging) URI, for both sides: the parsed URI, or the first problem
 * found. The checks run in one order, cheapest and most basic first, so both sides refuse the same URIs
 * for the same first reason.
 */
export function readDbUri(uri: string, rules: DbUriRules = {}): DbUriReading {
  const no = (code: DbUriProblem['code'], part: DbUriPart, value?: string): DbUriReading => ({ ok: false, problem: { code, part, value } });
  if (uri.length > MAX_URI_LENGTH) return no('too-long', 'uri', String(uri.length));
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return no('not-a-uri', 'uri');
  }
  const engine = engineOfScheme(url.protocol);
  if (!engine) return no('scheme', 'scheme', url.protocol);
  // A query (?host=, ?unix_socket=, ?read_default_file=) would override the host a client connects to after the
  // checks of where a database may be: none is taken. The raw text is read, so a bare `?` or `#` is refused too.
  if (/[?#]/.test(uri)) return no('query', 'uri');
  let decodeFailed: DbUriPart | undefined;
  const decode = (text: string, part: DbUriPart) => {
    try {
      return decodeURIComponent(text);
    } catch {
      decodeFailed = part;
      return '';
    }
  };

  if (engine === 'sqlite') {
    // sqlite:////abs/path -> pathname "//abs/path"; sqlite:///rel/path -> "/rel/path" (relative: refused).
    if (url.host) return no('sqlite-host', 'host');
    if (!url.pathname.startsWith('//')) return no('relative-path', 'path');
    const decoded = decode(url.pathname.slice(1), 'path');
    if (decodeFailed) return no('malformed-escape', decodeFailed);
    // No file name holds a NUL, and Node's file functions throw on one.
    if (decoded.includes('\0')) return no('nul', 'path');
    const file = path.posix.normalize(decoded);
    if (rules.staging) return { ok: true, db: { engine, database: '', file: file.endsWith('/') ? file : `${file}/` } };
    if (url.pathname.endsWith('/')) return no('folder', 'path');
    // resolve (unlike normalize) also drops a trailing / that was written %2F: the file is exactly what was written.
    if (path.posix.resolve(decoded) !== decoded) return no('not-normal', 'path');
    const database = path.posix.basename(decoded).replace(/\.[^.]*$/, '');
    if (identifierFault(database)) return no('bad-name', 'database', database);
    return { ok: true, db: { engine, database, file: decoded } };
  }

  if (!url.hostname) return no('no-host', 'host', '');
  if (!HOST.test(url.hostname)) return no('bad-host', 'host', url.hostname);
  const database = decode(url.pathname.replace(/^\//, ''), 'database');
  if (decodeFailed) return no('malformed-escape', decodeFailed);
  if (rules.staging) {
    if (database) return no('names-database', 'database', database);
  } else {
    if (!database) return no('no-database', 'database');
    if (identifierFault(database)) return no('bad-name', 'database', database);
  }
  if (rules.refusePassword && url.password) return no('password', 'password');
  const user = url.username ? decode(url.username, 'user') : undefined;
  const password = url.password ? decode(url.password, 'password') : undefined;
  if (decodeFailed) return no('malformed-escape', decodeFailed);
  return { ok: true, db: { engine, user, password, host: url.hostname, port: url.port ? Number(url.port) : 3306, database } };
}

/** The handover's words for each problem (tests and pages match on them). */
function handoverMessage(p: DbUriProblem): string {
  switch (p.code) {
    case 'too-long':
      return `is ${p.value} characters long; a URI has at most ${MAX_URI_LENGTH}`;
    case 'not-a-uri':
      return 'is not a URI (expected mysql://user:pass@host:port/name or sqlite:////path/name.sqlite)';
    case 'scheme':
      return `has unsupported scheme "${(p.value ?? '').replace(/:$/, '')}" (use mysql or sqlite)`;
    case 'query':
      return 'must not carry a query or a fragment (?... or #...)';
    case 'sqlite-host':
      return 'must not name a host for sqlite (use sqlite:////absolute/path)';
    case 'relative-path':
      return 'must give an absolute sqlite path (sqlite:////absolute/path)';
    case 'malformed-escape':
      return 'has a malformed %-escape';
    case 'nul':
      return 'must not hold a NUL character in its path';
    case 'folder':
      return 'names a folder, not a sqlite database file';
    case 'not-normal':
      return 'must be a plain absolute path (no "." or ".." parts)';
    case 'no-host':
      return 'must name a host (mysql://user:pass@host:port/name)';
    case 'bad-host':
      return `names the host "${shown(p.value ?? '')}", which is not a host name or address`;
    case 'names-database':
      return 'is a staging server URI and must not name a database (mysql://user:pass@host:port/)';
    case 'no-database':
      return 'must name a database (mysql://user:pass@host:port/name)';
    case 'bad-name':
      return `names the database "${shown(p.value ?? '')}", which ${identifierProblem(p.value ?? '')}`;
    case 'password':
      return 'must not carry a password';
  }
}

/** Parses a database (or, with `{ staging: true }`, a staging server) URI; throws DbUriError saying what is wrong. */
export function parseDbUri(uri: string, opts: DbUriRules = {}): DbUri {
  const read = readDbUri(uri, opts);
  if (!read.ok) throw new DbUriError(handoverMessage(read.problem));
  return read.db;
}

/**
 * Writes a DbUri back as a URI string (the password included when present), for both sides: it parses back
 * (readDbUri) to the same database. A SQLite path is percent-encoded segment by segment (a `%`, `?`, `#` or
 * space in a folder name would otherwise be read as an escape, a query, a fragment, or be trimmed), and an
 * IPv6 host is bracketed (the stack keeps hosts without brackets; the handover's parse keeps them).
 */
export function formatDbUri(db: DbUri): string {
  if (db.engine === 'sqlite') return `sqlite:///${(db.file ?? '').split('/').map(encodeURIComponent).join('/')}`;
  const auth = db.user ? `${encodeURIComponent(db.user)}${db.password !== undefined ? `:${encodeURIComponent(db.password)}` : ''}@` : '';
  const host = db.host?.includes(':') && !db.host.startsWith('[') ? `[${db.host}]` : db.host;
  return `mysql://${auth}${host}:${db.port}/${encodeURIComponent(db.database)}`;
}

/** The URI without its password: safe for history, logs, emails and pages. */
export function withoutPassword(uri: string): string {
  return formatDbUri({ ...parseDbUri(uri), password: undefined });
}

/** The target database on a staging server: staging URI + the source database name. */
export function deriveTargetUri(stagingUri: string, sourceUri: string): string {
  const staging = parseDbUri(stagingUri, { staging: true });
  const source = parseDbUri(sourceUri);
  if (staging.engine === 'sqlite')
    return formatDbUri({ engine: 'sqlite', database: source.database, file: `${staging.file}${source.database}.sqlite` });
  return formatDbUri({ ...staging, database: source.database });
}

/** What a key is made of: a parsed URI, or a database the stack has located and checked. */
export type KeyParts = Pick<DbUri, 'engine' | 'host' | 'port' | 'file'> & { database?: string };

/**
 * A stable key naming one database wherever it is written from, with no credentials: the lock that
 * allows one handover per target database at a time is keyed by it, and the stack's one copy per target.
 */
export function databaseKey(uri: string | KeyParts): string {
  const db = typeof uri === 'string' ? parseDbUri(uri) : uri;
  return db.engine === 'sqlite' ? `sqlite:${db.file}` : `mysql:${db.host}:${db.port}/${db.database}`;
}

/** A name as an error message may quote it: printable, and short. */
function shown(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 80)}…` : printable;
}
