import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** The species an Ensembl-style file name gives (homo_sapiens_core_110_38.sqlite: homo_sapiens), as meta must say it (NameMatchesMeta). */
export function speciesOf(file: string): string {
  return path
    .basename(file)
    .replace(/\.[^.]*$/, '')
    .replace(/_(core|rnaseq|cdna|otherfeatures|variation|funcgen)_\d+_\w+$/, '');
}

/** A SQLite source at `file` holding only a meta table, as the source check wants (made or topped up). Returns its URI. */
export function metaOnlySqlite(file: string): string {
  const db = new DatabaseSync(file);
  db.exec(`CREATE TABLE IF NOT EXISTS meta (meta_id INTEGER PRIMARY KEY, species_id INT, meta_key TEXT, meta_value TEXT)`);
  db.prepare(
    `INSERT INTO meta (species_id, meta_key, meta_value) VALUES (NULL, 'schema_version', '110'), (1, 'species.production_name', ?)`,
  ).run(speciesOf(file));
  db.close();
  return `sqlite:///${file}`;
}

/** A SQLite database of many tables: a copy of it takes long enough to be killed half-way. */
export function manyTables(file: string, tables = 300, rows = 3000): void {
  const db = new DatabaseSync(file);
  db.exec('BEGIN');
  db.exec('CREATE TABLE meta (meta_id INTEGER PRIMARY KEY, species_id INT, meta_key TEXT, meta_value TEXT)');
  db.prepare("INSERT INTO meta VALUES (1, NULL, 'schema_version', '110'), (2, 1, 'species.production_name', ?)").run(speciesOf(file));
  for (let t = 0; t < tables; t++) {
    db.exec(`CREATE TABLE t${t} (id INTEGER PRIMARY KEY, v TEXT)`);
    db.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows}) INSERT INTO t${t} SELECT i, ` +
        `hex(randomblob(16)) FROM n`,
    );
  }
  db.exec('COMMIT');
  db.close();
}

/** Rows per table of a SQLite file (SQLite's own tables left out). */
export function sqliteCounts(file: string): Record<string, number> {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>
    ).map((t) => t.name);
    return Object.fromEntries(tables.map((t) => [t, Number((db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n)]));
  } finally {
    db.close();
  }
}
