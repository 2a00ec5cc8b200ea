/**
 * Names are data, never code (core/names.ts): identifiers and quoting, and the words each side refuses
 * with (the handover's URI errors, common/db-uri.ts; the stack's InputError, services/db/names.ts).
 */
import { identifierProblem } from '../../common/db-uri';
import { MAX_IDENTIFIER_LENGTH, identifierFault, isIdentifier, isQuotable, quotedName } from '../../core/names';
import { InputError, identifier, quoteIdent } from '../../services/db/names';

test('an identifier is letters, digits and _, 1 to 64 characters', () => {
  for (const name of ['a', 'homo_sapiens_core_110_38', 'A1_', 'x'.repeat(MAX_IDENTIFIER_LENGTH)])
    expect([name, isIdentifier(name), identifierFault(name)]).toEqual([name, true, undefined]);
  for (const name of ['', 'a-b', 'a b', "a'b", 'a;DROP', 'é', 'a\0'])
    expect([name, isIdentifier(name), identifierFault(name)]).toEqual([name, false, 'characters']);
  expect(identifierFault('x'.repeat(65))).toBe('too-long');
  expect(identifierFault('-'.repeat(65))).toBe('too-long');
  expect(isIdentifier(42)).toBe(false);
});

test('each side words a refusal its own way', () => {
  expect(identifierProblem('x'.repeat(65))).toBe('is 65 characters long; a name has at most 64');
  expect(identifierProblem('a-b')).toBe('may contain only letters, digits and _');
  expect(identifierProblem('ok_1')).toBeUndefined();
  expect(() => identifier('x'.repeat(65), 'table name')).toThrow(
    new InputError(`table name \`${'x'.repeat(65)}\` is not an identifier: longer than 64 characters`),
  );
  expect(() => identifier('a;DROP', 'table name')).toThrow('table name `a;DROP` is not an identifier: letters, digits and _ only');
  expect(() => identifier(1, 'database name')).toThrow('database name must be a string');
});

test('quoting: MySQL backticks and SQLite double quotes, each doubled inside; a NUL byte is refused', () => {
  expect(quotedName('mysql', 'a`b')).toBe('`a``b`');
  expect(quotedName('sqlite', 'a"b')).toBe('"a""b"');
  expect(quoteIdent('mysql', 'plain')).toBe('`plain`');
  expect(isQuotable('a\0b')).toBe(false);
  expect(() => quotedName('mysql', 'a\0b')).toThrow();
  expect(() => quoteIdent('sqlite', 'a\0b')).toThrow(InputError);
});
