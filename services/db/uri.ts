/**
 * Database URIs for the local stack (a separate system from the handover: it shares only core/ with it).
 *   mysql://user:pass@host:port/name    sqlite:////absolute/path/name.sqlite
 * Read by core's readDbUri, the handover's reading too; here are the stack's words for what it refuses.
 * A URI is refused (InputError) before anything parses it when it is longer than MAX_URI_LENGTH, and
 * its database name must be an identifier (letters, digits, _): names are data, never code.
 */
import { type DbUriProblem, readDbUri } from '../../core/db-uri';
import { MAX_URI_LENGTH, redactUris } from '../../core/uris';
import { InputError, identifier, printable } from './names';

export type SqliteLocation = { engine: 'sqlite'; name: string; file: string };
export type MysqlLocation = { engine: 'mysql'; name: string; host: string; port: number; user?: string; password?: string };
export type DbLocation = SqliteLocation | MysqlLocation;

const ESCAPED: Record<string, string> = { path: 'path', database: 'database name', user: 'user name', password: 'password' };

/** The stack's words for a problem core's reading found (its tests and clients match on them). */
function refusal(uri: string, p: DbUriProblem): InputError {
  const shown = printable(safe(uri));
  switch (p.code) {
    case 'too-long':
      return new InputError(`the URI is longer than ${MAX_URI_LENGTH} characters`);
    case 'not-a-uri':
      return new InputError(`${shown} is not a URI`);
    case 'query':
      return new InputError(`${shown}: database URIs take no query or fragment`);
    case 'scheme':
      return new InputError(`${shown}: unsupported database scheme ${printable(p.value ?? '')}`);
    case 'sqlite-host':
    case 'relative-path':
      return new InputError(`${shown}: sqlite URIs need an absolute path (sqlite:////path)`);
    case 'malformed-escape':
      return new InputError(`the ${ESCAPED[p.part] ?? p.part} is not percent-encoded correctly`);
    case 'no-database':
      return new InputError(`${shown}: names no database`);
    case 'no-host':
    case 'bad-host':
      return new InputError(`${shown}: \`${printable(p.value ?? '')}\` is not a host name or address`);
    default: // nul, folder, not-normal (and bad-name, worded by identifier(); the staging codes a database URI cannot have)
      return new InputError(`${shown}: the path must be absolute and normal (no ., .., // or trailing /)`);
  }
}

/** Where a database URI points (core's readDbUri). Throws InputError for anything that is not a well-formed URI the stack accepts. */
export function locate(uri: string): DbLocation {
  if (typeof uri !== 'string') throw new InputError('a database URI must be a string');
  const read = readDbUri(uri);
  if (!read.ok) {
    // A name is worded by identifier() (too long, or its characters), which throws.
    if (read.problem.code === 'bad-name') identifier(read.problem.value, 'database name');
    throw refusal(uri, read.problem);
  }
  const db = read.db;
  if (db.engine === 'sqlite') return { engine: 'sqlite', name: db.database, file: db.file! };
  // The stack keeps an IPv6 host without its brackets (as DNS and sockets take it); formatDbUri puts them back.
  return {
    engine: 'mysql',
    name: db.database,
    host: db.host!.replace(/^\[(.*)\]$/, '$1'),
    port: db.port!,
    user: db.user,
    password: db.password,
  };
}

/**
 * The URI (or any text holding URIs) with every password replaced by `***`, for messages and logs: in
 * one left-to-right scan, linear in the text. The authority after `scheme://` ends at the first `/`,
 * `?`, `#`, whitespace or the end; its user information runs to its LAST `@` (the URL parser splits
 * there: `mysql://u:hunter@2secret@host/db` is user u, password hunter@2secret), the user to its first
 * `:`. A text that is one URI (it begins with `scheme://`) is read as the parser reads it: its first
 * authority ends at `/ ? #` only (`u:a b@host`), and when the parser refuses it (an unencoded `/ ? #`
 * in the password) its user information runs to the last `@` of the text, the safe side.
 * The one algorithm the handover uses too: core/uris.ts `redactUris`.
 */
export function safe(text: string): string {
  if (typeof text !== 'string') return text;
  return redactUris(text);
}

/** Replaces passwords in every URI-looking string of a value. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('://') ? safe(value) : value;
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
  return value;
}

/** What is wrong with a required URI field of a submission, or undefined. */
export function uriFieldProblem(input: Record<string, unknown>, field: string): string | undefined {
  if (typeof input[field] !== 'string') return `${field} is required`;
  try {
    locate(input[field]);
    return undefined;
  } catch (err) {
    return `${field}: ${(err as Error).message}`;
  }
}
