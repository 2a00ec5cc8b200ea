/**
 * A table's index and foreign key lines, as definition.ts writes them ("indexes", "foreign keys"): each from its
 * rows of the catalogue, its columns the table's own.
 */
import { printable, quoteIdent } from '../db/names';
import { Refusal } from './column-type';
import { type Catalogue, type Row, comment, nameOf, of, text } from './definition-values';

const FK_RULES = new Set(['RESTRICT', 'CASCADE', 'SET NULL', 'NO ACTION', 'SET DEFAULT']);

const q = (name: string) => quoteIdent('mysql', name);

/** The index lines, in the catalogue's order (the server's own order of keys), each from its rows of STATISTICS. */
export function indexes(stats: Row[], columns: Set<string>, engine: string): string[] {
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
export function foreignKeys(table: string, schema: string, cat: Catalogue, columns: Set<string>): string[] {
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
