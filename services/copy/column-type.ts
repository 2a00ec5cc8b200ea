/**
 * A column's type, read from the source's catalogue (information_schema.COLUMNS.COLUMN_TYPE) against an
 * allow-list grammar and written again by the copy: the source's text never reaches staging. What the grammar
 * does not know is refused, with its reason.
 */
import { printable } from '../db/names';
import { quotedList, stringLiteral } from './sql-text';

export class Refusal extends Error {}

const INTEGER = /^(tinyint|smallint|mediumint|int|integer|bigint)(?:\((\d{1,3})\))?((?: unsigned| signed| zerofill)*)$/;
const REAL = /^(decimal|numeric|float|double|real|double precision)(?:\((\d{1,2})(?:,(\d{1,2}))?\))?((?: unsigned| signed| zerofill)*)$/;
const BIT = /^bit(?:\((\d{1,2})\))?$/;
const SIZED = /^(char|varchar|binary|varbinary)\((\d{1,5})\)$/;
const CHAR_DEFAULT = /^(char|binary)$/;
const LOB = /^(tinytext|text|mediumtext|longtext|tinyblob|blob|mediumblob|longblob|json)$/;
const TEMPORAL = /^(date|year|time|datetime|timestamp)(?:\((\d)\))?$/;
const PLAIN = /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection|uuid|inet4|inet6)$/;
const LISTED = /^(enum|set)\((.*)\)$/s;
/** More members than a set or an enum may have on any server. */
const MAX_MEMBERS = 65535;

/** The type as the copy writes it, or a Refusal saying why not. */
export function columnType(raw: unknown): string {
  if (typeof raw !== 'string' || !raw) throw new Refusal('has no type');
  if (raw.length > 200_000) throw new Refusal('has a type longer than any server writes');
  const listed = LISTED.exec(raw);
  if (listed) {
    const members = quotedList(listed[2]);
    if (!members || !members.length) throw new Refusal(`has an ${listed[1]} type whose members are not a list of quoted strings`);
    if (members.length > MAX_MEMBERS) throw new Refusal(`has an ${listed[1]} type with more than ${MAX_MEMBERS} members`);
    return `${listed[1]}(${members.map(stringLiteral).join(',')})`;
  }
  const text = raw.toLowerCase();
  let m: RegExpExecArray | null;
  if ((m = INTEGER.exec(text))) return `${m[1]}${m[2] ? `(${Number(m[2])})` : ''}${flags(m[3])}`;
  if ((m = REAL.exec(text))) return `${m[1]}${m[2] ? `(${Number(m[2])}${m[3] ? `,${Number(m[3])}` : ''})` : ''}${flags(m[4])}`;
  if ((m = BIT.exec(text))) return `bit${m[1] ? `(${Number(m[1])})` : ''}`;
  if ((m = SIZED.exec(text))) return `${m[1]}(${Number(m[2])})`;
  if ((m = TEMPORAL.exec(text))) return `${m[1]}${m[2] ? `(${Number(m[2])})` : ''}`;
  if (CHAR_DEFAULT.test(text) || LOB.test(text) || PLAIN.test(text)) return text;
  throw new Refusal(`has the type \`${printable(raw)}\`, which a copy does not make (not in its list of column types)`);
}

/** unsigned / zerofill, each at most once, in the server's order. */
function flags(text: string): string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  return `${words.includes('unsigned') ? ' unsigned' : ''}${words.includes('zerofill') ? ' zerofill' : ''}`;
}

/** Whether values of this (written) type take a character set. */
export const hasCharset = (type: string) => /^(char|varchar|tinytext|text|mediumtext|longtext|enum|set)\b/.test(type);
