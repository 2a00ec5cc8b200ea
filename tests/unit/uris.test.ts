/**
 * Redaction of URIs in free text (core/uris.ts), as the handover (common/db-uri.ts) and the local stack
 * (services/db/uri.ts) call it: one algorithm, one list of vectors, and linear on hostile input.
 */
import vectors from '../fixtures/redaction-vectors.json';
import { parseDbUri, redactText, withoutPassword } from '../../common/db-uri';
import { redactUris } from '../../core/uris';
import { locate, safe } from '../../services/db/uri';

describe.each([
  ['the core (redactUris)', redactUris],
  ['the handover (redactText)', (t: string) => redactText(t)],
  ['the local stack (safe)', safe],
])('%s', (_, redact) => {
  test.each(vectors as Array<[string, string]>)('%j', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  test.each([
    ['1 MB of a://b: repeated', 'a://b:'.repeat(175_000)],
    ['1 MB of @', '@'.repeat(1 << 20)],
    ['1 MB of ://', '://'.repeat(350_000)],
    ['1 MB of a://b:c@ repeated', 'a://b:c@'.repeat(131_072)],
    ['1 MB of x:// then @ then :', `x://${':'.repeat(1 << 19)}${'@'.repeat(1 << 19)}`],
    ['1 MB, one long authority', `mysql://u:${'p'.repeat(1 << 20)}@h/db`],
  ])('%s completes, its passwords hidden', (_name, text) => {
    const out = redact(text);
    expect(out.length).toBeLessThanOrEqual(text.length * 2);
    if (text.startsWith('a://b:c@')) expect(out).not.toContain(':c@');
    if (text.startsWith('mysql://u:p')) expect(out).toBe('mysql://u:***@h/db');
  });

  test('many URIs in one text, each hidden', () => {
    const text = Array.from({ length: 2000 }, (_, i) => `job ${i}: mysql://u${i}:pw${i}@x@h${i}:3306/db_${i}`).join('\n');
    const out = redact(text);
    expect(out).not.toMatch(/pw\d/);
    expect(out.split('\n')[1999]).toBe('job 1999: mysql://u1999:***@h1999:3306/db_1999');
  });
});

test('the secret strings are hidden too, and a short one is not', () => {
  expect(redactText('token secret, key ab', ['secret', 'ab', undefined])).toBe('token ***, key ab');
  expect(redactText('x'.repeat(1 << 20), ['xxxy'])).toHaveLength(1 << 20);
});

test('a password holding @ is parsed whole, and withoutPassword drops all of it', () => {
  expect(parseDbUri('mysql://u:hunter@2secret@h:3306/db')).toMatchObject({
    user: 'u',
    password: 'hunter@2secret',
    host: 'h',
    port: 3306,
    database: 'db',
  });
  expect(withoutPassword('mysql://u:hunter@2secret@h:3306/db')).toBe('mysql://u@h:3306/db');
  expect(withoutPassword('mysql://u:hunter%402secret@h/db')).toBe('mysql://u@h:3306/db');
  expect(locate('mysql://u:hunter@2secret@h:3306/db')).toMatchObject({ user: 'u', password: 'hunter@2secret', host: 'h' });
});
