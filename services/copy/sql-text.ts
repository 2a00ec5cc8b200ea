/**
 * The few pieces of SQL text a source's catalogue holds in its values, read as data and written back by the copy:
 *   readQuoted(text)      a '...' literal as the server writes it (COLUMN_DEFAULT, enum/set members), to its value
 *   stringLiteral(value)  a value as a '...' literal of our own (mysql2's escape: backslash escapes; the sessions
 *                         that run definitions have no NO_BACKSLASH_ESCAPES)
 * Nothing here passes text of the source through: a value is decoded, then encoded again.
 */
import mysql from 'mysql2/promise';

const ESCAPES: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a', '%': '\\%', _: '\\_' };

/** A '...' literal starting at `from`: its value and the index after its closing quote, or undefined when it is not one. */
function readQuoted(text: string, from = 0): { value: string; end: number } | undefined {
  if (text[from] !== "'") return undefined;
  let value = '';
  for (let i = from + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      if (i + 1 >= text.length) return undefined;
      const e = text[++i];
      value += ESCAPES[e] ?? e;
    } else if (c === "'") {
      if (text[i + 1] !== "'") return { value, end: i + 1 };
      value += "'";
      i++;
    } else value += c;
  }
  return undefined;
}

/** The whole of `text` as one '...' literal's value, or undefined. */
export function wholeQuoted(text: string): string | undefined {
  const read = readQuoted(text);
  return read && read.end === text.length ? read.value : undefined;
}

/** A comma-separated list of '...' literals (the members of an enum or a set), or undefined. */
export function quotedList(text: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    const read = readQuoted(text, i);
    if (!read) return undefined;
    out.push(read.value);
    if (read.end === text.length) return out;
    if (text[read.end] !== ',') return undefined;
    i = read.end + 1;
  }
}

/** A value as a string literal written by the copy. */
export const stringLiteral = (value: string): string => mysql.escape(value);
