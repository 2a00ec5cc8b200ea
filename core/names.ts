/**
 * Names are data, never code: a database, table or file name taken from a request or a database goes
 * into SQL or a path only when it is an identifier, and is quoted for its engine. Pure (no Node API):
 * each side words its own refusal (the handover's DbUriError, the stack's InputError) from `identifierFault`.
 */

export type Engine = 'mysql' | 'sqlite';

/** MySQL's own limit on a database or table name. */
export const MAX_IDENTIFIER_LENGTH = 64;
const IDENTIFIER = /^[A-Za-z0-9_]+$/;

/** True when `name` is letters, digits and _ only, 1..64 characters. */
export function isIdentifier(name: unknown): name is string {
  return typeof name === 'string' && name.length >= 1 && name.length <= MAX_IDENTIFIER_LENGTH && IDENTIFIER.test(name);
}

/** Why a string is no identifier (`too-long` first: a long name is refused by its length alone), or nothing. */
export function identifierFault(name: string): 'too-long' | 'characters' | undefined {
  if (name.length > MAX_IDENTIFIER_LENGTH) return 'too-long';
  return isIdentifier(name) ? undefined : 'characters';
}

/** Whether any quoting can make `name` safe: neither engine has names with a NUL byte. */
export const isQuotable = (name: unknown): name is string => typeof name === 'string' && !name.includes('\0');

/**
 * The name quoted for SQL: MySQL `...` with ` doubled, SQLite "..." with " doubled. The caller has
 * checked `isQuotable` (and refuses in its own words); a NUL byte here is a bug, so it throws.
 */
export function quotedName(engine: Engine, name: string): string {
  if (!isQuotable(name)) throw new Error('a name with a NUL byte cannot be quoted');
  return engine === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;
}
