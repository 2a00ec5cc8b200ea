/**
 * The MariaDB copy's transfer (services/copy/transfer.ts) on real servers: one consistent snapshot of the
 * source whatever is written to it meanwhile (with FLUSH TABLES WITH READ LOCK, and for a user without the
 * privilege), secondary indexes rebuilt exactly as defined, large tables read in primary-key ranges.
 * The source is a private MariaDB server (its root makes the limited user); the target the suite's staging server.
 */
import { copyDatabase } from '../../services/copy/copy';
import { planTables, planWork } from '../../services/copy/transfer';
import { parseTargetRoots } from '../../services/copy/targets';
import { dropDatabase } from '../../services/db/database';
import { mariadbSettings, mariadbUri } from '../helpers/harness';
import { type MariaDb, startMariaDb } from '../helpers/mariadb';
import mysql from 'mysql2/promise';

let source: MariaDb;
const staging = mariadbSettings('staging');
const policy = { roots: parseTargetRoots(`mysql://${staging.host}:${staging.port}/`), protectedDirs: [] };

beforeAll(async () => {
  source = await startMariaDb();
}, 120_000);
afterAll(async () => source?.stop());

async function onStaging<T>(sql: string): Promise<T> {
  const conn = await mysql.createConnection({ host: staging.host, port: staging.port, user: staging.user, password: staging.password });
  try {
    return (await conn.query(sql))[0] as T;
  } finally {
    await conn.end();
  }
}

/** Rows and CHECKSUM TABLE of each table, and each definition: what a copy must reproduce. */
async function state(query: (sql: string) => Promise<unknown>, db: string, tables: string[]) {
  const out: Record<string, { rows: number; checksum: string; definition: string }> = {};
  for (const t of tables) {
    const [count] = (await query(`SELECT COUNT(*) AS n FROM \`${db}\`.\`${t}\``)) as Array<{ n: number }>;
    const [sum] = (await query(`CHECKSUM TABLE \`${db}\`.\`${t}\` EXTENDED`)) as Array<{ Checksum: number }>;
    const [def] = (await query(`SHOW CREATE TABLE \`${db}\`.\`${t}\``)) as Array<Record<string, string>>;
    out[t] = { rows: Number(count.n), checksum: String(sum.Checksum), definition: def['Create Table'] };
  }
  return out;
}
const sourceState = (db: string, tables: string[]) => state((sql) => source.query(sql), db, tables);
const stagingState = (db: string, tables: string[]) => state((sql) => onStaging(sql), db, tables);

/** A source database: two InnoDB tables (one with several kinds of index) and, when asked, a MyISAM one. */
async function makeSource(db: string, opts: { myisam?: boolean } = {}): Promise<string[]> {
  await source.query(`DROP DATABASE IF EXISTS ${db}`);
  await source.query(`CREATE DATABASE ${db}`);
  await source.query(`CREATE TABLE ${db}.feature (id INT PRIMARY KEY, region INT NOT NULL, name VARCHAR(40) NOT NULL, note TEXT,
    KEY region_start (region, id), UNIQUE KEY name_u (name), KEY note_prefix (note(8)), KEY region_desc (region DESC) COMMENT 'newest first') ENGINE=InnoDB`);
  await source.query(`INSERT INTO ${db}.feature SELECT seq, seq % 97, CONCAT('f', seq), REPEAT('x\\ty\\n', seq % 5) FROM ${db}.seq_1_to_5000`);
  await source.query(`CREATE TABLE ${db}.meta (meta_key VARCHAR(40) PRIMARY KEY, value VARCHAR(100)) ENGINE=InnoDB`);
  await source.query(`INSERT INTO ${db}.meta VALUES ('schema', '110'), ('species', 'felis_catus')`);
  const tables = ['feature', 'meta'];
  if (opts.myisam) {
    await source.query(`CREATE TABLE ${db}.attrib (id INT PRIMARY KEY, v VARCHAR(20), KEY v (v)) ENGINE=MyISAM`);
    await source.query(`INSERT INTO ${db}.attrib SELECT seq, CONCAT('a', seq) FROM ${db}.seq_1_to_2000`);
    tables.push('attrib');
  }
  return tables;
}

/** Writes to every table of `db`: new rows, changed rows, removed rows. */
const writes = (db: string, tables: string[]) =>
  Promise.all([
    source.query(`INSERT INTO ${db}.feature SELECT seq, 1, CONCAT('new', seq), 'new' FROM ${db}.seq_100001_to_100500`),
    source.query(`UPDATE ${db}.feature SET note = 'changed' WHERE id <= 100`),
    source.query(`DELETE FROM ${db}.meta WHERE meta_key = 'schema'`),
    ...(tables.includes('attrib') ? [source.query(`UPDATE ${db}.attrib SET v = 'changed' WHERE id <= 1000`)] : []),
  ]);

const copy = (db: string, uri: string, extra: Parameters<typeof copyDatabase>[1] = { policy }) =>
  copyDatabase({ source_db_uri: uri, target_db_uri: mariadbUri(staging, db), drop: true }, { ...extra, policy });

test('writes to the source while a copy runs do not reach it: every table is as it was when the snapshot was taken', async () => {
  const db = 'snapshot_core_110_1';
  const tables = await makeSource(db);
  const before = await sourceState(db, tables);
  const out = await copy(db, source.uri(db), { policy, streams: 2, afterSnapshot: () => writes(db, tables).then(() => undefined) });
  const after = await sourceState(db, tables);
  console.log(`snapshot: ${out.snapshot}; source rows before ${JSON.stringify(tables.map((t) => before[t].rows))}, after the writes ${JSON.stringify(tables.map((t) => after[t].rows))}`);
  expect(after).not.toEqual(before); // the writes happened, after the snapshot and before any row was read
  expect(out.snapshot).toMatch(/^one consistent snapshot: FLUSH TABLES WITH READ LOCK, 2 reader/);
  expect(out.tables).toEqual({ feature: 5000, meta: 2 });
  expect(await stagingState(db, tables)).toEqual(before);
  await dropDatabase(mariadbUri(staging, db));
});

test('a MyISAM table (no snapshot of its own) is read under the lock: writes wait until it is read, and the copy is the state at the lock', async () => {
  const db = 'snapshot_myisam_core_110_1';
  const tables = await makeSource(db, { myisam: true });
  const before = await sourceState(db, tables);
  let writing: Promise<unknown> = Promise.resolve();
  const out = await copy(db, source.uri(db), {
    policy,
    afterSnapshot: () => {
      writing = writes(db, tables); // blocked by the read lock until the MyISAM table has been read
      return Promise.resolve();
    },
  });
  await writing;
  expect(await sourceState(db, tables)).not.toEqual(before);
  expect(out.tables).toEqual({ feature: 5000, meta: 2, attrib: 2000 });
  expect(await stagingState(db, tables)).toEqual(before);
  await dropDatabase(mariadbUri(staging, db));
});

test('a source user without RELOAD or LOCK TABLES: one reader, one transaction, still one consistent snapshot', async () => {
  const db = 'snapshot_reader_core_110_1';
  const tables = await makeSource(db);
  await source.query("CREATE OR REPLACE USER 'only_select'@'%' IDENTIFIED BY 'Sel-pass-1'");
  await source.query(`GRANT SELECT, SHOW VIEW ON ${db}.* TO 'only_select'@'%'`);
  const before = await sourceState(db, tables);
  const uri = `mysql://only_select:Sel-pass-1@${source.host}:${source.port}/${db}`;
  const out = await copy(db, uri, { policy, streams: 2, afterSnapshot: () => writes(db, tables).then(() => undefined) });
  expect(out.snapshot).toBe('one consistent snapshot: one reader, one transaction, 1 reader(s)');
  expect(await stagingState(db, tables)).toEqual(before);
  await dropDatabase(mariadbUri(staging, db));
});

test('secondary indexes dropped for the load come back exactly as defined; tables with foreign keys or odd keys keep theirs', async () => {
  const db = 'indexes_core_110_1';
  await source.query(`DROP DATABASE IF EXISTS ${db}`);
  await source.query(`CREATE DATABASE ${db}`);
  await source.query(`CREATE TABLE ${db}.parent (id INT PRIMARY KEY, code CHAR(4) NOT NULL, t TEXT, UNIQUE KEY code (code), FULLTEXT KEY t_text (t)) ENGINE=InnoDB`);
  await source.query(`CREATE TABLE ${db}.child (id INT AUTO_INCREMENT, parent_id INT, seq INT NOT NULL, PRIMARY KEY (seq, id), UNIQUE KEY id_u (id), KEY parent_id (parent_id),
    CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id)) ENGINE=InnoDB`);
  await source.query(`CREATE TABLE ${db}.wide (id BIGINT UNSIGNED PRIMARY KEY, a INT, b VARCHAR(200), c DATETIME, KEY abc (a, b(20), c DESC), KEY c_only (c) COMMENT 'it''s ; ok',
    UNIQUE KEY b_a (b, a)) ENGINE=InnoDB`);
  await source.query(`INSERT INTO ${db}.parent SELECT seq, LPAD(seq, 4, '0'), CONCAT('text ', seq) FROM ${db}.seq_1_to_500`);
  await source.query(`INSERT INTO ${db}.child (parent_id, seq) SELECT 1 + seq % 500, seq FROM ${db}.seq_1_to_2000`);
  await source.query(`INSERT INTO ${db}.wide SELECT seq * 7, seq % 13, MD5(seq), '2020-01-01' + INTERVAL seq MINUTE FROM ${db}.seq_1_to_3000`);
  const tables = ['child', 'parent', 'wide'];
  const before = await sourceState(db, tables);
  await copy(db, source.uri(db));
  expect(await stagingState(db, tables)).toEqual(before);
  // Which indexes the copy builds after the load (read from the copy's definitions, as the copy reads its temporary schema's).
  const conn = await mysql.createConnection({ host: staging.host, port: staging.port, user: staging.user, password: staging.password });
  const plans = await planTables(conn, db, tables, new Map()).finally(() => conn.end());
  expect(Object.fromEntries(plans.map((p) => [p.name, p.deferred.map((ix) => ix.name)]))).toEqual({ child: [], parent: [], wide: ['b_a', 'abc', 'c_only'] });
  await dropDatabase(mariadbUri(staging, db));
});

test('large tables are read in primary-key ranges (gaps, negative and 64-bit keys); other keys are read whole', async () => {
  const db = 'ranges_core_110_1';
  await source.query(`DROP DATABASE IF EXISTS ${db}`);
  await source.query(`CREATE DATABASE ${db}`);
  await source.query(`CREATE TABLE ${db}.big (id BIGINT PRIMARY KEY, v VARCHAR(30), KEY v (v)) ENGINE=InnoDB`);
  await source.query(
    `INSERT INTO ${db}.big SELECT (CAST(seq AS SIGNED) - 2500) * 1000003, CONCAT('v', seq) FROM ${db}.seq_1_to_5000 UNION ALL SELECT 9223372036854775807, 'max' UNION ALL SELECT -9223372036854775808, 'min'`,
  );
  await source.query(`CREATE TABLE ${db}.named (name VARCHAR(20) PRIMARY KEY, n INT) ENGINE=InnoDB`);
  await source.query(`INSERT INTO ${db}.named SELECT CONCAT('n', seq), seq FROM ${db}.seq_1_to_3000`);
  const tables = ['big', 'named'];
  const before = await sourceState(db, tables);
  // 1 byte per range: every table with an integer key is cut into the most ranges there may be.
  const out = await copy(db, source.uri(db), { policy, streams: 3, rangeBytes: 1 });
  // The pieces of work: 16 key ranges of `big`, open at both ends, and `named` whole.
  const conn = await mysql.createConnection({ host: staging.host, port: staging.port, user: staging.user, password: staging.password });
  const plans = await planTables(
    conn,
    db,
    tables,
    new Map([
      ['big', 1000],
      ['named', 1000],
    ]),
  ).finally(() => conn.end());
  const reader = await mysql.createConnection({ host: source.host, port: source.port, user: source.user, password: source.password, database: db });
  const work = await planWork(reader, plans, 1).finally(() => reader.end());
  expect(work.filter((w) => w.table.name === 'named').map((w) => w.where)).toEqual(['']);
  const ranges = work.filter((w) => w.table.name === 'big').map((w) => w.where);
  expect(ranges).toHaveLength(16);
  expect(ranges.filter((w) => !w.includes('>='))).toEqual([' WHERE `id` < -8070450532247928832']);
  expect(ranges.filter((w) => !w.includes('<'))).toHaveLength(1);
  expect(out.tables).toEqual({ big: 5002, named: 3000 });
  expect(await stagingState(db, tables)).toEqual(before);
  await dropDatabase(mariadbUri(staging, db));
});
