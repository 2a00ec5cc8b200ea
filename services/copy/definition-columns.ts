/**
 * A table's column lines, as definition.ts writes them ("columns"): the type by column-type.ts's grammar, its
 * character set, generation, NULL, default, attributes and comment, and the one CHECK allowed (json_valid).
 */
import { printable, quoteIdent } from '../db/names';
import { Refusal, columnType, hasCharset } from './column-type';
import { type Collations, type Row, collation, comment, nameOf, text } from './definition-values';
import { stringLiteral, wholeQuoted } from './sql-text';

const NUMBER = /^-?(?:\d{1,65}(?:\.\d{0,38})?|\.\d{1,38})(?:e[+-]?\d{1,3})?$/i;
const BIT_LITERAL = /^b'[01]{0,64}'$/;
const NOW = /^(?:current_timestamp|now|localtime|localtimestamp)(?:\((\d?)\))?$/i;

const q = (name: string) => quoteIdent('mysql', name);

/** The columns whose CHECK is the json_valid of a JSON column; any other CHECK is refused. */
export function checkedColumns(checks: Row[], columns: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const c of checks) {
    const column = text(c.CONSTRAINT_NAME) ?? '';
    if (text(c.LEVEL) === 'Column' && columns.has(column) && text(c.CHECK_CLAUSE) === `json_valid(${q(column)})`) out.add(column);
    else throw new Refusal(`has the CHECK constraint \`${printable(column)}\`; a copy makes only the json_valid check of a JSON column`);
  }
  return out;
}

interface Extra {
  autoIncrement: boolean;
  onUpdate?: string;
  generated?: 'VIRTUAL' | 'STORED';
  invisible: boolean;
  defaultGenerated: boolean;
}

/** information_schema.COLUMNS.EXTRA, phrase by phrase; a phrase the copy does not know is refused. */
function extra(v: unknown): Extra {
  let rest = (text(v) ?? '').trim();
  const out: Extra = { autoIncrement: false, invisible: false, defaultGenerated: false };
  while (rest) {
    let m: RegExpExecArray | null;
    if ((m = /^auto_increment\b/i.exec(rest))) out.autoIncrement = true;
    else if ((m = /^on update (?:current_timestamp|now)(?:\((\d?)\))?/i.exec(rest))) out.onUpdate = `current_timestamp(${m[1] ?? ''})`;
    else if ((m = /^(virtual|stored|persistent) generated\b/i.exec(rest)))
      out.generated = m[1].toUpperCase() === 'VIRTUAL' ? 'VIRTUAL' : 'STORED';
    else if ((m = /^invisible\b/i.exec(rest))) out.invisible = true;
    else if ((m = /^default_generated\b/i.exec(rest))) out.defaultGenerated = true;
    else throw new Refusal(`has a column with \`${printable(rest)}\` in its attributes, which a copy does not make`);
    rest = rest.slice(m[0].length).trim();
  }
  return out;
}

/** One column's line: name, type, character set, generation, NULL, INVISIBLE, DEFAULT, AUTO_INCREMENT, ON UPDATE, COMMENT, CHECK. */
export function columnDefinition(c: Row, mariadb: boolean, collations: Collations, columns: Set<string>, jsonChecked: Set<string>): string {
  const name = nameOf(c.COLUMN_NAME, 'column name');
  try {
    const type = columnType(text(c.COLUMN_TYPE));
    const x = extra(c.EXTRA);
    const parts = [q(name), type];
    if (hasCharset(type) && text(c.COLLATION_NAME) !== undefined) {
      const cs = collation(c.COLLATION_NAME, collations, 'a');
      parts.push(`CHARACTER SET ${cs.charset} COLLATE ${cs.collation}`);
    }
    const expression = text(c.GENERATION_EXPRESSION);
    if (x.generated || text(c.IS_GENERATED) === 'ALWAYS') {
      if (!x.generated || expression === undefined) throw new Refusal('is a generated column without its kind or expression');
      parts.push(`GENERATED ALWAYS AS (${generation(expression, columns)}) ${x.generated}`);
    } else {
      const nullable = text(c.IS_NULLABLE) !== 'NO';
      parts.push(nullable ? 'NULL' : 'NOT NULL');
      const def = defaultValue(c.COLUMN_DEFAULT, mariadb, x.defaultGenerated, nullable);
      if (def) parts.push(`DEFAULT ${def}`);
    }
    if (x.invisible) parts.push('INVISIBLE');
    if (x.autoIncrement) parts.push('AUTO_INCREMENT');
    if (x.onUpdate) parts.push(`ON UPDATE ${x.onUpdate}`);
    const said = comment(c.COLUMN_COMMENT, 'column');
    if (said) parts.push(said.trim());
    if (jsonChecked.has(name)) parts.push(`CHECK (json_valid(${q(name)}))`);
    return parts.join(' ');
  } catch (err) {
    if (err instanceof Refusal) throw new Refusal(`has a column ${name} that ${err.message.replace(/^has a column with /, 'has ')}`);
    throw err;
  }
}

/**
 * A column's default, as the copy writes it. MariaDB (10.2.7 on) gives literals as SQL text ('a''b', 1.5, b'101',
 * NULL) and expressions as text (current_timestamp()); MySQL gives the bare value, and DEFAULT_GENERATED for an
 * expression. Only literals and CURRENT_TIMESTAMP are written; any other expression is refused.
 */
function defaultValue(v: unknown, mariadb: boolean, generated: boolean, nullable: boolean): string | undefined {
  const raw = text(v);
  if (raw === undefined) return nullable ? 'NULL' : undefined;
  const now = NOW.exec(raw);
  if (mariadb) {
    if (raw === 'NULL') return 'NULL';
    const quoted = wholeQuoted(raw);
    if (quoted !== undefined) return stringLiteral(quoted);
    if (NUMBER.test(raw) || BIT_LITERAL.test(raw)) return raw;
  } else {
    if (!generated) return BIT_LITERAL.test(raw) ? raw : stringLiteral(raw);
  }
  if (now) return `current_timestamp(${now[1] ?? ''})`;
  throw new Refusal(`has the default \`${printable(raw)}\`, which is neither a literal nor CURRENT_TIMESTAMP`);
}

/** A generated column's expression: column names, numbers, + - * / % MOD DIV and ( ) only, written again token by token. */
function generation(expression: string, columns: Set<string>): string {
  if (expression.length > 2000) throw new Refusal('has a generated column whose expression is too long to read');
  const tokens: string[] = [];
  const re = /\s*(?:`((?:[^`]|``)*)`|(\d+(?:\.\d+)?)|([-+*/%()]|\b(?:MOD|DIV)\b))/iy;
  let i = 0;
  while (i < expression.length) {
    if (/^\s*$/.test(expression.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(expression);
    if (!m)
      throw new Refusal(
        `has a generated column whose expression \`${printable(expression)}\` is not column names, numbers, + - * / % MOD DIV and ( ) only`,
      );
    if (m[1] !== undefined) {
      const column = m[1].replace(/``/g, '`');
      if (!columns.has(column)) throw new Refusal(`has a generated column over \`${printable(column)}\`, which is no column of the table`);
      tokens.push(q(column));
    } else tokens.push((m[2] ?? m[3]).toUpperCase());
    i = re.lastIndex;
  }
  if (!tokens.length) throw new Refusal('has a generated column without an expression');
  return tokens.join(' ');
}
