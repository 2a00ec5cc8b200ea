/**
 * Names are data, never code. Every database, table and file name the local stack takes from a
 * request or from an upstream database goes through here before it reaches SQL or a file path:
 *   identifier(name, what)   letters, digits and _, 1..64 characters, or an InputError
 *   quoteIdent(engine, name) the name quoted for SQL (SQLite "..." with " doubled, MySQL `...` with ` doubled)
 *   resolveUnder(folder, n)  a path strictly inside folder, or an InputError
 */
import path from 'node:path';
import { isWithin } from '../../core/confine';
import { type Engine, MAX_IDENTIFIER_LENGTH, identifierFault, isIdentifier, isQuotable, quotedName } from '../../core/names';

/** A request the services refuse: answered 400 at submission, or the job fails with this message. */
export class InputError extends Error {
  readonly statusCode = 400;
}

export { type Engine, MAX_IDENTIFIER_LENGTH, isIdentifier } from '../../core/names';
/** URIs longer than this are refused before any parsing or regular expression looks at them. */
export { MAX_URI_LENGTH } from '../../core/uris';

/** A name shortened and with control characters escaped, safe to put in a message. */
export function printable(text: string, max = 80): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The name, when it is an identifier; otherwise an InputError saying so ("table name `x; DROP` is not an identifier: ..."). */
export function identifier(name: unknown, what: string): string {
  if (typeof name !== 'string') throw new InputError(`${what} must be a string`);
  if (isIdentifier(name)) return name;
  const text: string = name;
  const why = identifierFault(text) === 'too-long' ? `longer than ${MAX_IDENTIFIER_LENGTH} characters` : 'letters, digits and _ only';
  throw new InputError(`${what} \`${printable(text)}\` is not an identifier: ${why}`);
}

/** The name quoted for SQL. Any name is quoted safely; names with a NUL byte are refused (neither engine has them). */
export function quoteIdent(engine: Engine, name: string): string {
  if (!isQuotable(name)) throw new InputError(`the name \`${printable(String(name))}\` cannot be quoted`);
  return quotedName(engine, name);
}

/** folder/name, resolved; throws unless the result is strictly inside folder (never folder itself, never outside). */
export function resolveUnder(folder: string, name: string): string {
  if (typeof name !== 'string' || !name || name.includes('\0')) throw new InputError(`\`${printable(String(name))}\` is not a file name`);
  const base = path.resolve(folder);
  const full = path.resolve(base, name);
  if (full === base || !isWithin(base, full)) {
    throw new InputError(`\`${printable(name)}\` resolves outside ${base}`);
  }
  return full;
}

/** Whether `inner` is `outer` or inside it (both already resolved or real paths): core/confine.ts. */
export { isWithin } from '../../core/confine';
