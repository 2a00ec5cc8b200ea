/**
 * The MariaDB copy's transfer (services/copy/transfer.ts) on real servers (the shared part: mariadb-copy.ts): one
 * consistent snapshot of the source whatever is written to it meanwhile (with FLUSH TABLES WITH READ LOCK, and for a
 * user without the privilege). The source is a private MariaDB server; the target the suite's staging server.
 */
import { dropDatabase } from '../../services/db/database';
import { mariadbUri } from '../helpers/harness';
import type { MariaDb } from '../helpers/mariadb';
import { copy, policy, sourceState, stagingState, staging, startCopySource, stopCopySource } from './mariadb-copy';

let source: MariaDb;

beforeAll(async () => {
  source = await startCopySource();
}, 120_000);
afterAll(stopCopySource);

/** A source database: two InnoDB tables (one with several kinds of index) and, when asked, a MyISAM one. */
async function makeSource(db: string, opts: { myisam?: boolean } = {}): Promise<string[]> {
  await source.query(`DROP DATABASE IF EXISTS ${db}`);
  await source.query(`CREATE DATABASE ${db}`);
  await source.query(
    `CREATE TABLE ${db}.feature (id INT PRIMARY KEY, region INT NOT NULL, name VARCHAR(40) NOT NULL, note TEXT,
    KEY region_start (region, id), UNIQUE KEY name_u (name), KEY note_prefix (note(8)), ` +
      `KEY region_desc (region DESC) COMMENT 'newest first') ENGINE=InnoDB`,
  );
  await source.query(
    `INSERT INTO ${db}.feature SELECT seq, seq % 97, CONCAT('f', seq), REPEAT('x\\ty\\n', seq % 5) FROM ${db}.seq_1_to_5000`,
  );
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

test('writes to the source while a copy runs do not reach it: every table is as it was when the snapshot was taken', async () => {
  const db = 'snapshot_core_110_1';
  const tables = await makeSource(db);
  const before = await sourceState(db, tables);
  const out = await copy(db, source.uri(db), { policy, streams: 2, afterSnapshot: () => writes(db, tables).then(() => undefined) });
  const after = await sourceState(db, tables);
  console.log(
    `snapshot: ${out.snapshot}; source rows before ${JSON.stringify(tables.map((t) => before[t].rows))}, ` +
      `after the writes ${JSON.stringify(tables.map((t) => after[t].rows))}`,
  );
  expect(after).not.toEqual(before); // the writes happened, after the snapshot and before any row was read
  expect(out.snapshot).toMatch(/^one consistent snapshot: FLUSH TABLES WITH READ LOCK, 2 reader/);
  expect(out.tables).toEqual({ feature: 5000, meta: 2 });
  expect(await stagingState(db, tables)).toEqual(before);
  await dropDatabase(mariadbUri(staging, db));
});

test(
  'a MyISAM table (no snapshot of its own) is read under the lock: writes wait until it is read, ' +
    'and the copy is the state at the lock',
  async () => {
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
  },
);

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
