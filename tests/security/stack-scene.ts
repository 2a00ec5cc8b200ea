/**
 * The scene the local stack is attacked in (tests/security/stack-*.test.ts), on real files and the two real
 * MariaDB servers of the global setup: a canary tree (files outside staging, a canary database on the source
 * server and one on the staging server), upstream sources (demo databases, tables with hostile names, a crafted
 * schema, a MERGE table, every kind of value), and ways out of staging planted inside it. Each test file builds
 * its own scene, in its own temporary folder, on its Jest worker's servers.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mysql from 'mysql2/promise';
import { quoteIdent } from '../../services/db/names';
import { createDemoDatabase } from '../../services/demo';
import { manyTables } from '../helpers/databases';
import { type MariaDbSettings, mariadbSettings, mariadbUri } from '../helpers/harness';

export const source = mariadbSettings('source');
export const staging = mariadbSettings('staging');

/** Table names meant to break out of quotes, statements, options or folders. */
export const HOSTILE = [
  'x"; DROP TABLE canary; --',
  'x`; DROP TABLE canary; --',
  "it's'; DROP TABLE canary; --",
  'semi;colon',
  '--help',
  '-- comment',
  '../../escape',
  'a/b',
  'sp ace',
  'x\nDROP TABLE canary',
];

/**
 * The staging databases the tests copy into. A scene starts without them: another of these files may have
 * left them on the same servers (the files of a Jest worker run one after another on its servers).
 */
const COPIED_TO_STAGING = ['felis_catus_core_110_5', 'types_core_110_1', 'leftover_core_110_1', 'alias_core_110_1'];

export async function sql<T = unknown>(m: MariaDbSettings, query: string, params: unknown[] = []): Promise<T> {
  const conn = await mysql.createConnection({ host: m.host, port: m.port, user: m.user, password: m.password });
  try {
    return (await conn.query(query, params))[0] as T;
  } finally {
    await conn.end();
  }
}
export const q = (name: string) => quoteIdent('mysql', name);

export const sqliteUri = (file: string) => `sqlite:///${file}`;
export const stagingUri = (name: string) => mariadbUri(staging, name);
export const sourceUri = (name: string) => mariadbUri(source, name);

/** Every file and folder under root: path, kind, mode and content hash (or link target). */
export function treeDigest(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    const rel = path.relative(root, p) || '.';
    if (st.isSymbolicLink()) out.push(`${rel} link ${readlinkSync(p)}`);
    else if (st.isDirectory()) {
      out.push(`${rel} dir ${(st.mode & 0o777).toString(8)}`);
      for (const e of readdirSync(p).sort()) walk(path.join(p, e));
    } else out.push(`${rel} file ${(st.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
  };
  walk(root);
  return out;
}

export async function tableDigest(m: MariaDbSettings, database: string): Promise<unknown> {
  const tables = await sql<Array<{ name: string }>>(
    m,
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
    [database],
  );
  const out: Record<string, unknown> = {};
  for (const { name } of tables) {
    const [sum] = await sql<Array<{ Checksum: number }>>(m, `CHECKSUM TABLE ${q(database)}.${q(name)} EXTENDED`);
    const [count] = await sql<Array<{ n: number }>>(m, `SELECT count(*) AS n FROM ${q(database)}.${q(name)}`);
    out[name] = [sum.Checksum, Number(count.n)];
  }
  return out;
}

export function sqliteWith(file: string, statements: string[]): void {
  const db = new DatabaseSync(file);
  for (const s of statements) db.exec(s);
  db.close();
}

/**
 * types_core_110_1 on the source: every kind of column, values with quotes, backslashes, ; and control bytes, a foreign key, generated and
 * invisible columns.
 */
async function createEverything(): Promise<void> {
  const db = 'types_core_110_1';
  await sql(source, `DROP DATABASE IF EXISTS ${db}`);
  await sql(source, `CREATE DATABASE ${db}`);
  await sql(
    source,
    `CREATE TABLE ${db}.everything (
      id INT(6) UNSIGNED ZEROFILL NOT NULL PRIMARY KEY, i BIGINT, u BIGINT UNSIGNED, d DECIMAL(30,10), f FLOAT, g DOUBLE, b BIT(7),
      s VARCHAR(200) DEFAULT 'a;b' COMMENT 'x''); DROP DATABASE canary_keep; --', t TEXT, bl BLOB, bin VARBINARY(300), dt DATETIME(6), ` +
      `da DATE,
      tm TIME, y YEAR, e ENUM('a','b;c'), st SET('x','y'), j JSON, geo GEOMETRY, u8 VARCHAR(50) CHARACTER SET utf8mb4, ` +
      `l1 VARCHAR(50) CHARACTER SET latin1
    ) ENGINE=InnoDB COMMENT='a table; with a comment'`,
  );
  await sql(
    source,
    `CREATE TABLE ${db}.child (id INT NOT NULL PRIMARY KEY, parent INT(6) UNSIGNED ZEROFILL, twice INT AS (id * 2) VIRTUAL, ` +
      `hidden VARCHAR(10) INVISIBLE DEFAULT 'h;',
      CONSTRAINT child_parent FOREIGN KEY (parent) REFERENCES ${db}.everything (id)) ENGINE=InnoDB`,
  );
  await sql(
    source,
    `INSERT INTO ${db}.everything (id, i, u, d, f, g, b, s, t, bl, bin, dt, da, tm, y, e, st, j, geo, u8, l1)
     VALUES (?, ?, ?, ?, ?, ?, b'1010101', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ST_GeomFromText(?), ?, ?)`,
    [
      1,
      '-9223372036854775808',
      '18446744073709551615',
      '-12345678901234567890.0123456789',
      1.5,
      -2.5e-300,
      "x'); DROP DATABASE canary_keep; -- \\'",
      'line\nbreak\r\\ back\\slash\ttab \\N \\t "dq" `bt` \0nul \x1a; DROP DATABASE canary_keep;',
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      Buffer.from('\'\\;\n\0`"'),
      '2020-02-29 23:59:59.123456',
      '1000-01-01',
      '-838:59:59',
      2155,
      'b;c',
      'x,y',
      '{"a": "b;c\'"}',
      'POINT(1 2)',
      '😀 ünïcödé; ok',
      'café',
    ],
  );
  await sql(source, `INSERT INTO ${db}.everything (id) VALUES (2)`);
  await sql(
    source,
    `INSERT INTO ${db}.everything (id, i, bl, s) SELECT seq + 10, -seq, UNHEX(SHA2(seq, 512)), CONCAT('row ', seq, ' \\'); ` +
      `DROP') FROM ${db}.seq_1_to_3000`,
  );
  await sql(source, `INSERT INTO ${db}.child (id, parent, hidden) VALUES (1, 1, 'x'';y'), (2, 2, DEFAULT)`);
}

export interface ScenePlaces {
  stagingDir: string;
  elsewhere: string;
  upstream: string;
}

/**
 * Builds the scene in its folders. `large` adds the two sources a copy takes long enough to be killed or
 * waited for: a SQLite file of 1500 tables, and felis_catus_core_111_5 of 60,000 genes on the source server.
 */
export async function buildScene({ stagingDir, elsewhere, upstream }: ScenePlaces, { large = false } = {}): Promise<void> {
  for (const d of [
    stagingDir,
    elsewhere,
    upstream,
    path.join(elsewhere, 'sub'),
    path.join(stagingDir, 'nested'),
    path.join(stagingDir, 'dir_core_110_1.sqlite'),
  ])
    mkdirSync(d, { recursive: true });

  // The canary files: a database, a "Temporal history file", notes.
  sqliteWith(path.join(elsewhere, 'canary.sqlite'), [
    'CREATE TABLE canary (id INTEGER PRIMARY KEY, v TEXT)',
    "INSERT INTO canary VALUES (1, 'alive'), (2, 'still alive')",
  ]);
  sqliteWith(path.join(elsewhere, 'temporal.db'), [
    'CREATE TABLE history (id INTEGER PRIMARY KEY, event TEXT)',
    "INSERT INTO history VALUES (1, 'WorkflowExecutionStarted')",
  ]);
  writeFileSync(path.join(elsewhere, 'notes.txt'), 'do not touch\n');
  writeFileSync(path.join(elsewhere, 'sub', 'deep.txt'), 'deep\n');
  // Ways out of staging planted inside it.
  symlinkSync(path.join(elsewhere, 'canary.sqlite'), path.join(stagingDir, 'link_core_110_1.sqlite'));
  symlinkSync(elsewhere, path.join(stagingDir, 'sub'));

  // Upstream sources.
  await createDemoDatabase(sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')), { genes: 200 });
  await createDemoDatabase(sqliteUri(path.join(upstream, 'homo_sapiens_core_111_1.sqlite')), { genes: 300 });
  if (large) manyTables(path.join(upstream, 'big_core_110_1.sqlite'), 1500, 400);
  HOSTILE.forEach((name, i) =>
    sqliteWith(path.join(upstream, `hostile_${i}.sqlite`), [
      'CREATE TABLE canary (id INTEGER PRIMARY KEY, v TEXT)',
      "INSERT INTO canary VALUES (1, 'alive')",
      `CREATE TABLE ${quoteIdent('sqlite', name)} (id INTEGER)`,
      `INSERT INTO ${quoteIdent('sqlite', name)} VALUES (1)`,
    ]),
  );
  // A source whose stored schema SQL carries a second statement (crafted with writable_schema).
  const crafted = new DatabaseSync(path.join(upstream, 'crafted_core_110_1.sqlite'), { defensive: false });
  crafted.exec('CREATE TABLE t (a, b); INSERT INTO t VALUES (1, 2), (3, 4); CREATE INDEX t_a ON t (a)');
  crafted.exec('PRAGMA writable_schema = ON');
  crafted
    .prepare("UPDATE sqlite_master SET sql = ? WHERE name = 't'")
    .run(`CREATE TABLE t (a, b); ATTACH '${path.join(elsewhere, 'canary.sqlite')}' AS e; DROP TABLE e.canary`);
  crafted.exec('PRAGMA writable_schema = OFF');
  crafted.close();

  // MariaDB: a canary database on each server, demo sources, hostile sources.
  for (const [m, db] of [
    [source, 'canary_db'],
    [staging, 'canary_keep'],
  ] as const) {
    await sql(m, `DROP DATABASE IF EXISTS ${q(db)}`);
    await sql(m, `CREATE DATABASE ${q(db)}`);
    await sql(m, `CREATE TABLE ${q(db)}.canary (id INT PRIMARY KEY, v VARCHAR(40))`);
    await sql(m, `INSERT INTO ${q(db)}.canary VALUES (1, 'alive'), (2, 'still alive')`);
  }
  for (const db of COPIED_TO_STAGING) await sql(staging, `DROP DATABASE IF EXISTS ${q(db)}`);
  await createDemoDatabase(sourceUri('felis_catus_core_110_5'), { genes: 2000 });
  if (large) await createDemoDatabase(sourceUri('felis_catus_core_111_5'), { genes: 60_000 });
  for (const [i, name] of HOSTILE.entries()) {
    const db = `hostile_m${i}`;
    await sql(source, `DROP DATABASE IF EXISTS ${q(db)}`);
    await sql(source, `CREATE DATABASE ${q(db)}`);
    await sql(source, `CREATE TABLE ${q(db)}.canary (id INT)`);
    await sql(source, `INSERT INTO ${q(db)}.canary VALUES (1)`);
    await sql(source, `CREATE TABLE ${q(db)}.${q(name)} (id INT)`);
  }

  // A source server of the submitter's own may define its tables any way it likes. Here: a MERGE table
  // whose rows go into a database of the same name on whichever server it is made (merge_victim, also on
  // staging), and a database with every kind of value, strings that look like SQL included.
  for (const m of [source, staging]) {
    await sql(m, 'DROP DATABASE IF EXISTS merge_victim');
    await sql(m, 'CREATE DATABASE merge_victim');
    await sql(m, 'CREATE TABLE merge_victim.gene (id INT NOT NULL, v VARCHAR(40), KEY (id)) ENGINE=MyISAM');
  }
  await sql(staging, "INSERT INTO merge_victim.gene VALUES (1, 'kept'), (2, 'kept')");
  await sql(source, 'DROP DATABASE IF EXISTS merge_core_110_1');
  await sql(source, 'CREATE DATABASE merge_core_110_1');
  await sql(
    source,
    'CREATE TABLE merge_core_110_1.t (id INT NOT NULL, v VARCHAR(40), KEY (id)) ENGINE=MRG_MyISAM UNION=(`merge_victim`.`gene`) ' +
      'INSERT_METHOD=LAST',
  );
  await sql(source, "INSERT INTO merge_core_110_1.t VALUES (7, 'planted'), (8, 'planted')");
  await createEverything();
}
