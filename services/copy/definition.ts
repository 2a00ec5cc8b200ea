/**
 * A table's definition on staging, written by the copy from the source's catalogue (catalogue.ts), never from
 * the source's `SHOW CREATE TABLE` text. Every value of the catalogue is hostile (the source server may be the
 * submitter's own, or a proxy): names must be identifiers and are quoted by quoteIdent; types are parsed
 * against column-type.ts's grammar; defaults, enum members and comments are decoded and written again as
 * literals of our own (or one of the few expressions allowed: CURRENT_TIMESTAMP); character sets and
 * collations must be ones the staging server has; engines and table options come from allow-lists.
 * What cannot be written so is refused with its reason, and the copy fails naming the table.
 *
 * What a copy makes, by rule:
 *   columns      every type of column-type.ts, NULL / NOT NULL, DEFAULT, AUTO_INCREMENT, ON UPDATE
 *                CURRENT_TIMESTAMP, INVISIBLE, CHARACTER SET / COLLATE, COMMENT; generated columns whose
 *                expression is column names, numbers, + - * / % MOD DIV and ( ) only; the CHECK (json_valid(`c`)) of a
 *                JSON column. Any other CHECK constraint is refused.
 *   indexes      PRIMARY, UNIQUE, plain, FULLTEXT, SPATIAL; their columns in order, prefix lengths, DESC, USING
 *                HASH/BTREE where it is not the engine's default, COMMENT, IGNORED. An index on an expression is refused.
 *   foreign keys re-made from REFERENTIAL_CONSTRAINTS / KEY_COLUMN_USAGE when they reference a table of the same
 *                database (with their ON DELETE / ON UPDATE rules); one into another database is refused.
 *   table        ENGINE (ENGINES), DEFAULT CHARSET / COLLATE, AUTO_INCREMENT, COMMENT, and the options of OPTIONS;
 *                partitioned tables are refused.
 * Views, triggers, stored routines, events and sequences are not tables: a copy never makes them (they are
 * skipped, by rule, whatever the source holds; their text, being code, is never read).
 */
import { identifier, printable, quoteIdent } from '../db/names';
import { Refusal, columnType, hasCharset } from './column-type';
import { stringLiteral, wholeQuoted } from './sql-text';

export { Refusal } from './column-type';

export type Row = Record<string, unknown>;

/** The source's catalogue of one schema (rows of information_schema, as the server answered). */
export interface Catalogue {
  /** The server says it is MariaDB (COLUMN_DEFAULT then holds literals as SQL text, not bare values). */
  mariadb: boolean;
  tables: Row[];
  columns: Row[];
  statistics: Row[];
  constraints: Row[];
  keyColumns: Row[];
  checks: Row[];
}

/** What the staging server has: collation -> its character set. */
export type Collations = Map<string, string>;

/** Storage engines a copy makes (their tables live in the schema, in the server's data folder), as the server spells them. */
const ENGINES = ['InnoDB', 'MyISAM', 'Aria', 'MEMORY', 'ARCHIVE', 'CSV', 'ROCKSDB'];
const ENGINE_NAMES = new Map([...ENGINES.map((e) => [e.toUpperCase(), e] as const), ['HEAP', 'MEMORY']]);

/** Table options (information_schema.TABLES.CREATE_OPTIONS) a copy writes again, and the values each may take. */
const OPTIONS: Record<string, RegExp> = {
  max_rows: /^\d{1,20}$/,
  min_rows: /^\d{1,20}$/,
  avg_row_length: /^\d{1,10}$/,
  key_block_size: /^\d{1,5}$/,
  stats_sample_pages: /^\d{1,10}$/,
  pack_keys: /^[01]$/,
  checksum: /^[01]$/,
  delay_key_write: /^[01]$/,
  stats_persistent: /^[01]$/,
  stats_auto_recalc: /^[01]$/,
  transactional: /^[01]$/,
  page_checksum: /^[01]$/,
  row_format: /^(default|dynamic|fixed|compressed|redundant|compact|page)$/i,
};

/** The longest comments a server keeps (MariaDB's own limits). */
const MAX_COMMENT = { column: 1024, index: 1024, table: 2048 };
const FK_RULES = new Set(['RESTRICT', 'CASCADE', 'SET NULL', 'NO ACTION', 'SET DEFAULT']);
const NUMBER = /^-?(?:\d{1,65}(?:\.\d{0,38})?|\.\d{1,38})(?:e[+-]?\d{1,3})?$/i;
const BIT_LITERAL = /^b'[01]{0,64}'$/;
const NOW = /^(?:current_timestamp|now|localtime|localtimestamp)(?:\((\d?)\))?$/i;

const q = (name: string) => quoteIdent('mysql', name);
/** A catalogue value as text (mysql2 gives strings, numbers, buffers; anything else is shown, never trusted). */
function text(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return JSON.stringify(v);
}
const nameOf = (v: unknown, what: string) => {
  try {
    return identifier(text(v), what);
  } catch (err) {
    throw new Refusal((err as Error).message);
  }
};
const byTable = new WeakMap<Row[], Map<string, Row[]>>();
/** The rows of one table: each catalogue list is grouped by table once (not scanned per table); a copy, as callers sort. */
function of(rows: Row[], table: string): Row[] {
  let groups = byTable.get(rows);
  if (!groups) {
    groups = new Map();
    for (const r of rows) {
      const name = text(r.TABLE_NAME);
      if (name === undefined) continue;
      const group = groups.get(name);
      if (group) group.push(r);
      else groups.set(name, [r]);
    }
    byTable.set(rows, groups);
  }
  return [...(groups.get(table) ?? [])];
}

function comment(v: unknown, what: keyof typeof MAX_COMMENT): string {
  const value = text(v) ?? '';
  if (value.length > MAX_COMMENT[what])
    throw new Refusal(`has a ${what} comment of ${value.length} characters (a server keeps at most ${MAX_COMMENT[what]})`);
  return value ? ` COMMENT ${stringLiteral(value)}` : '';
}

/** A collation the staging server has, with its character set. */
function collation(v: unknown, collations: Collations, what: string): { charset: string; collation: string } {
  const name = text(v);
  if (!name || !/^[a-z0-9_]{1,64}$/.test(name))
    throw new Refusal(`has ${what} collation \`${printable(name ?? '')}\`, which is not a collation name`);
  const charset = collations.get(name);
  if (!charset) throw new Refusal(`has ${what} collation ${name}, which the staging server does not have`);
  return { charset, collation: name };
}

/** The CREATE TABLE statement the copy runs on staging for `table` (unqualified: run in the copy's temporary schema). */
export function createTableStatement(table: string, schema: string, cat: Catalogue, collations: Collations): string {
  const name = nameOf(table, 'table name');
  const info = of(cat.tables, name);
  if (info.length !== 1) throw new Refusal('is not in the source catalogue as one table');
  const t = info[0];
  if (text(t.TABLE_TYPE) !== 'BASE TABLE')
    throw new Refusal(`is a ${printable(text(t.TABLE_TYPE) ?? 'nameless kind of object')}, not a base table; a copy makes tables only`);
  const engineText = text(t.ENGINE) ?? '';
  const engine = ENGINE_NAMES.get(engineText.toUpperCase());
  if (!engine) throw new Refusal(`uses ENGINE=${printable(engineText)}; a copy makes only ${ENGINES.join(', ')} tables`);

  const columnRows = of(cat.columns, name).sort((a, b) => Number(a.ORDINAL_POSITION) - Number(b.ORDINAL_POSITION));
  if (!columnRows.length) throw new Refusal('has no columns in the source catalogue');
  const columnNames = new Set<string>();
  for (const c of columnRows) {
    const n = nameOf(c.COLUMN_NAME, 'column name');
    if (columnNames.has(n)) throw new Refusal(`has the column ${n} twice`);
    columnNames.add(n);
  }
  const jsonChecked = checkedColumns(of(cat.checks, name), columnNames);
  const lines = columnRows.map((c) => columnDefinition(c, cat.mariadb, collations, columnNames, jsonChecked));
  lines.push(...indexes(of(cat.statistics, name), columnNames, engine));
  lines.push(...foreignKeys(name, schema, cat, columnNames));

  const options = [`ENGINE=${engine}`];
  if (text(t.TABLE_COLLATION) !== undefined) {
    const c = collation(t.TABLE_COLLATION, collations, 'the table');
    options.push(`DEFAULT CHARSET=${c.charset} COLLATE=${c.collation}`);
  }
  const auto = text(t.AUTO_INCREMENT);
  if (auto !== undefined) {
    if (!/^\d{1,20}$/.test(auto)) throw new Refusal(`has AUTO_INCREMENT=${printable(auto)}, which is not a number`);
    if (columnRows.some((c) => /auto_increment/i.test(text(c.EXTRA) ?? '')) && auto !== '1') options.push(`AUTO_INCREMENT=${auto}`);
  }
  options.push(...tableOptions(text(t.CREATE_OPTIONS) ?? ''));
  const tableComment = comment(t.TABLE_COMMENT, 'table');
  if (tableComment) options.push(tableComment.trim());
  return `CREATE TABLE ${q(name)} (\n  ${lines.join(',\n  ')}\n) ${options.join(' ')}`;
}

/** The columns whose CHECK is the json_valid of a JSON column; any other CHECK is refused. */
function checkedColumns(checks: Row[], columns: Set<string>): Set<string> {
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
function columnDefinition(c: Row, mariadb: boolean, collations: Collations, columns: Set<string>, jsonChecked: Set<string>): string {
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

/** The index lines, in the catalogue's order (the server's own order of keys), each from its rows of STATISTICS. */
function indexes(stats: Row[], columns: Set<string>, engine: string): string[] {
  const byName = new Map<string, Row[]>();
  for (const s of stats) {
    const key = nameOf(s.INDEX_NAME, 'index name');
    const rows = byName.get(key);
    if (rows) rows.push(s);
    else byName.set(key, [s]);
  }
  const defaultAlgorithm = engine === 'MEMORY' ? 'HASH' : 'BTREE';
  return [...byName].map(([key, rows]) => {
    const parts = [...rows].sort((a, b) => Number(a.SEQ_IN_INDEX) - Number(b.SEQ_IN_INDEX));
    if (parts.some((p, i) => Number(p.SEQ_IN_INDEX) !== i + 1))
      throw new Refusal(`has an index ${key} whose columns are not numbered 1, 2, ...`);
    const first = parts[0];
    const unique = text(first.NON_UNIQUE) === '0';
    const type = (text(first.INDEX_TYPE) ?? '').toUpperCase();
    if (!['BTREE', 'HASH', 'FULLTEXT', 'SPATIAL', 'RTREE'].includes(type))
      throw new Refusal(`has an index ${key} of type ${printable(type)}, which a copy does not make`);
    const list = parts.map((p) => {
      const column = text(p.COLUMN_NAME);
      if (column === undefined || !columns.has(column))
        throw new Refusal(`has an index ${key} on \`${printable(column ?? 'an expression')}\`, which is no column of the table`);
      const sub = text(p.SUB_PART);
      if (sub !== undefined && !/^[1-9]\d{0,4}$/.test(sub))
        throw new Refusal(`has an index ${key} with the prefix length ${printable(sub)}`);
      const order = text(p.COLLATION);
      if (order !== undefined && order !== 'A' && order !== 'D')
        throw new Refusal(`has an index ${key} with the order ${printable(order)}`);
      // A SPATIAL index's parts have a SUB_PART of their own (32, the geometry's key length): never written.
      const prefix = sub && type !== 'SPATIAL' && type !== 'RTREE' ? `(${sub})` : '';
      return `${q(column)}${prefix}${order === 'D' ? ' DESC' : ''}`;
    });
    let head: string;
    if (key === 'PRIMARY') {
      if (!unique) throw new Refusal('has a PRIMARY key that is not unique');
      head = 'PRIMARY KEY';
    } else if (type === 'FULLTEXT') head = `FULLTEXT KEY ${q(key)}`;
    else if (type === 'SPATIAL' || type === 'RTREE') head = `SPATIAL KEY ${q(key)}`;
    else head = `${unique ? 'UNIQUE ' : ''}KEY ${q(key)}`;
    const using = (type === 'BTREE' || type === 'HASH') && type !== defaultAlgorithm ? ` USING ${type}` : '';
    const ignored = text(first.IGNORED) === 'YES' ? ' IGNORED' : '';
    return `${head} (${list.join(',')})${using}${comment(first.INDEX_COMMENT, 'index')}${ignored}`;
  });
}

/** The foreign keys of `table` that reference a table of the same database; one into another database is refused. */
function foreignKeys(table: string, schema: string, cat: Catalogue, columns: Set<string>): string[] {
  return of(cat.constraints, table).map((rc) => {
    const name = nameOf(rc.CONSTRAINT_NAME, 'foreign key name');
    const refTable = nameOf(rc.REFERENCED_TABLE_NAME, 'referenced table name');
    if (text(rc.UNIQUE_CONSTRAINT_SCHEMA) !== schema)
      throw new Refusal(`has the foreign key ${name} into another database; a copy makes foreign keys within the database only`);
    const parts = of(cat.keyColumns, table)
      .filter((k) => text(k.CONSTRAINT_NAME) === name) // the catalogue query reads only referencing rows
      .sort((a, b) => Number(a.ORDINAL_POSITION) - Number(b.ORDINAL_POSITION));
    if (!parts.length) throw new Refusal(`has the foreign key ${name} without its columns`);
    if (parts.some((k) => text(k.REFERENCED_TABLE_SCHEMA) !== schema || text(k.REFERENCED_TABLE_NAME) !== refTable)) {
      throw new Refusal(
        `has the foreign key ${name} into another database or table than it names; a copy makes foreign keys within the database only`,
      );
    }
    const local = parts.map((k) => nameOf(k.COLUMN_NAME, 'column name'));
    if (local.some((c) => !columns.has(c))) throw new Refusal(`has the foreign key ${name} on a column that is not the table's`);
    const remote = parts.map((k) => nameOf(k.REFERENCED_COLUMN_NAME, 'referenced column name'));
    const rules = (['DELETE', 'UPDATE'] as const).map((on) => {
      const rule = text(rc[`${on}_RULE`]) ?? 'RESTRICT';
      if (!FK_RULES.has(rule)) throw new Refusal(`has the foreign key ${name} with ON ${on} ${printable(rule)}`);
      return rule === 'RESTRICT' ? '' : ` ON ${on} ${rule}`;
    });
    return (
      `CONSTRAINT ${q(name)} FOREIGN KEY (${local.map(q).join(', ')}) REFERENCES ${q(refTable)} (${remote.map(q).join(', ')}` +
      `)${rules.join('')}`
    );
  });
}

/** CREATE_OPTIONS ("max_rows=1000 row_format=COMPACT"), each from OPTIONS; a partitioned table, or any other option, is refused. */
function tableOptions(raw: string): string[] {
  const out: string[] = [];
  for (const word of raw.trim().split(/\s+/).filter(Boolean)) {
    if (word === 'partitioned') throw new Refusal('is partitioned; a copy makes tables without partitions');
    const m = /^([a-z_]+)=(.*)$/i.exec(word);
    const key = m?.[1].toLowerCase();
    if (!m || !key || !OPTIONS[key]?.test(m[2]))
      throw new Refusal(`has the table option \`${printable(word)}\`, which a copy does not make`);
    out.push(`${key.toUpperCase()}=${m[2].toUpperCase()}`);
  }
  return out;
}
