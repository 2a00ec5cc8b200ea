/**
 * Database URIs for the local stack (a separate system from the handover: it does not share its code).
 *   mysql://user:pass@host:port/name    sqlite:////absolute/path/name.sqlite
 * A URI is refused (InputError) before anything parses it when it is longer than MAX_URI_LENGTH, and
 * its database name must be an identifier (letters, digits, _): names are data, never code.
 */
import path from 'node:path';
import { engineOfScheme } from '../../core/db-uri';
import { MAX_URI_LENGTH, redactUris } from '../../core/uris';
import { InputError, identifier, printable } from './names';

export type SqliteLocation = { engine: 'sqlite'; name: string; file: string };
export type MysqlLocation = { engine: 'mysql'; name: string; host: string; port: number; user?: string; password?: string };
export type DbLocation = SqliteLocation | MysqlLocation;

// A host name or an IP address, never something a command line could read as an option.
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]{2,45}\])$/;

const decode = (text: string, what: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InputError(`the ${what} is not percent-encoded correctly`);
  }
};

/** Where a database URI points. Throws InputError for anything that is not a well-formed URI the stack accepts. */
export function locate(uri: string): DbLocation {
  if (typeof uri !== 'string') throw new InputError('a database URI must be a string');
  if (uri.length > MAX_URI_LENGTH) throw new InputError(`the URI is longer than ${MAX_URI_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new InputError(`${printable(safe(uri))} is not a URI`);
  }
  if (url.search || url.hash) throw new InputError(`${printable(safe(uri))}: database URIs take no query or fragment`);
  const engine = engineOfScheme(url.protocol);
  if (engine === 'sqlite') {
    if (url.host || !url.pathname.startsWith('//')) throw new InputError(`${printable(safe(uri))}: sqlite URIs need an absolute path (sqlite:////path)`);
    const file = decode(url.pathname.slice(1), 'path');
    if (file.includes('\0') || path.resolve(file) !== file) throw new InputError(`${printable(safe(uri))}: the path must be absolute and normal (no ., .., // or trailing /)`);
    const name = identifier(path.basename(file).replace(/\.[^.]*$/, ''), 'database name');
    return { engine: 'sqlite', name, file };
  }
  if (engine === 'mysql') {
    const rawName = decode(url.pathname.replace(/^\//, ''), 'database name');
    if (!rawName) throw new InputError(`${printable(safe(uri))}: names no database`);
    const name = identifier(rawName, 'database name');
    if (!HOST.test(url.hostname)) throw new InputError(`${printable(safe(uri))}: \`${printable(url.hostname)}\` is not a host name or address`);
    return {
      engine: 'mysql',
      name,
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port || 3306),
      user: url.username ? decode(url.username, 'user name') : undefined,
      password: url.password ? decode(url.password, 'password') : undefined,
    };
  }
  throw new InputError(`${printable(safe(uri))}: unsupported database scheme ${printable(url.protocol)}`);
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

/** The URI of `location` (with its password), e.g. for a temporary database of the same server. */
export function uriOf(location: DbLocation): string {
  if (location.engine === 'sqlite') return `sqlite:///${location.file.split('/').map(encodeURIComponent).join('/')}`;
  const auth = location.user ? `${encodeURIComponent(location.user)}${location.password ? `:${encodeURIComponent(location.password)}` : ''}@` : '';
  const host = location.host.includes(':') ? `[${location.host}]` : location.host;
  return `mysql://${auth}${host}:${location.port}/${location.name}`;
}
