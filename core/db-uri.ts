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

/** Parses a database (or, with `{ staging: true }`, a staging server) URI; throws DbUriError saying what is wrong. */
export function parseDbUri(uri: string, opts: { staging?: boolean } = {}): DbUri {
  if (uri.length > MAX_URI_LENGTH) throw new DbUriError(`is ${uri.length} characters long; a URI has at most ${MAX_URI_LENGTH}`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new DbUriError('is not a URI (expected mysql://user:pass@host:port/name or sqlite:////path/name.sqlite)');
  }
  const engine = engineOfScheme(url.protocol);
  if (!engine) throw new DbUriError(`has unsupported scheme "${url.protocol.replace(/:$/, '')}" (use mysql or sqlite)`);
  // A query (?host=, ?unix_socket=, ?read_default_file=) would override the host a client connects to after the
  // checks of where a database may be: none is taken.
  if (/[?#]/.test(uri)) throw new DbUriError('must not carry a query or a fragment (?... or #...)');

  if (engine === 'sqlite') {
    // sqlite:////abs/path -> pathname "//abs/path"; sqlite:///rel/path -> "/rel/path" (relative: refused).
    if (url.host) throw new DbUriError('must not name a host for sqlite (use sqlite:////absolute/path)');
    if (!url.pathname.startsWith('//')) throw new DbUriError('must give an absolute sqlite path (sqlite:////absolute/path)');
    const file = path.posix.normalize(decode(url.pathname.slice(1)));
    if (opts.staging) return { engine, database: '', file: file.endsWith('/') ? file : `${file}/` };
    if (url.pathname.endsWith('/')) throw new DbUriError('names a folder, not a sqlite database file');
    if (file !== decode(url.pathname.slice(1))) throw new DbUriError('must be a plain absolute path (no "." or ".." parts)');
    const database = path.posix.basename(file).replace(/\.[^.]*$/, '');
    const problem = identifierProblem(database);
    if (problem) throw new DbUriError(`names the database "${shown(database)}", which ${problem}`);
    return { engine, database, file };
  }

  if (!url.hostname) throw new DbUriError('must name a host (mysql://user:pass@host:port/name)');
  const database = decode(url.pathname.replace(/^\//, ''));
  if (opts.staging) {
    if (database) throw new DbUriError('is a staging server URI and must not name a database (mysql://user:pass@host:port/)');
  } else {
    if (!database) throw new DbUriError('must name a database (mysql://user:pass@host:port/name)');
    const problem = identifierProblem(database);
    if (problem) throw new DbUriError(`names the database "${shown(database)}", which ${problem}`);
  }
  return {
    engine,
    user: url.username ? decode(url.username) : undefined,
    password: url.password ? decode(url.password) : undefined,
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    database,
  };
}

/** Writes a DbUri back as a URI string (the password included when present). */
export function formatDbUri(db: DbUri): string {
  if (db.engine === 'sqlite') return `sqlite:///${db.file}`;
  const auth = db.user ? `${encodeURIComponent(db.user)}${db.password !== undefined ? `:${encodeURIComponent(db.password)}` : ''}@` : '';
  return `mysql://${auth}${db.host}:${db.port}/${encodeURIComponent(db.database)}`;
}

/** The URI without its password: safe for history, logs, emails and pages. */
export function withoutPassword(uri: string): string {
  return formatDbUri({ ...parseDbUri(uri), password: undefined });
}

/** The target database on a staging server: staging URI + the source database name. */
export function deriveTargetUri(stagingUri: string, sourceUri: string): string {
  const staging = parseDbUri(stagingUri, { staging: true });
  const source = parseDbUri(sourceUri);
  if (staging.engine === 'sqlite') return `sqlite:///${staging.file}${source.database}.sqlite`;
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

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new DbUriError('has a malformed %-escape');
  }
}

/** A name as an error message may quote it: printable, and short. */
function shown(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 80)}…` : printable;
}
