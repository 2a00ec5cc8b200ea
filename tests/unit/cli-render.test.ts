/** The CLI's one helper for data it prints (cli/render.ts): nothing a terminal acts on gets through. */
import { clean, json, printable } from '../../cli/render';

test('printable writes every control out: C0 (newline and tab too), DEL, C1, bidi controls and line separators', () => {
  expect(printable('\x1b[2J\x1b]0;pwned\x07')).toBe('\\x1b[2J\\x1b]0;pwned\\x07');
  expect(printable('a\nb\tc\rd\x00\x7f\x85\x9b')).toBe('a\\x0ab\\x09c\\x0dd\\x00\\x7f\\x85\\x9b');
  expect(printable('\u202egnp.exe\u2066\u2028')).toBe('\\u202egnp.exe\\u2066\\u2028');
  expect(printable('homo_sapiens_core_110_38 — “ok” é 🧬')).toBe('homo_sapiens_core_110_38 — “ok” é 🧬');
  expect(printable(printable('\x1b'))).toBe('\\x1b'); // once is enough: the result has nothing left to escape
});

test('clean reaches every string of a value, keys too; json keeps data exact and valid', () => {
  expect(clean({ a: ['\x1b', { b: '\x07' }], n: 3, '\x1bk': null })).toEqual({ a: ['\\x1b', { b: '\\x07' }], n: 3, '\\x1bk': null });
  const value = { comment: 'x\x1b[2J\x9b\u202e\n' };
  const text = json(value);
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
  expect(JSON.parse(text)).toEqual(value);
});
