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
 *
 * Here the statement and the table's options; the column lines in definition-columns.ts, the index and foreign key
 * lines in definition-keys.ts, the catalogue's shape and its values, checked as they are read, in definition-values.ts.
 */
import { printable, quoteIdent } from '../db/names';
import { Refusal } from './column-type';
import { checkedColumns, columnDefinition } from './definition-columns';
import { foreignKeys, indexes } from './definition-keys';
import { type Catalogue, type Collations, collation, comment, nameOf, of, text } from './definition-values';

export { Refusal } from './column-type';

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

const q = (name: string) => quoteIdent('mysql', name);

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
