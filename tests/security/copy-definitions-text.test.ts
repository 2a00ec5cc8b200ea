/**
 * Issue 19, "no source text runs on staging" (the shared part: copy-attack.ts): hostile `SHOW CREATE TABLE` text
 * from a fake source server is never read (the table is made from the catalogue); values that look like SQL are
 * kept as values; a failure that comes from a server's error carries its code and the table, never the server's text.
 */
import mysql from 'mysql2/promise';
import { DB, SECRET, attack, closeStagingLog, extraColumn, openStagingLog, plain, readsCode, stagingState } from './copy-attack';

let log: mysql.Connection;
beforeAll(async () => {
  log = await openStagingLog();
});
afterAll(closeStagingLog);

const STEAL =
  'SELECT CONCAT_WS(0x3a,User,Host,authentication_string) AS a FROM mysql.user UNION ALL SELECT ' +
  'CONCAT_WS(0x3a,User,Host,authentication_string) FROM mysql.user';
const HEAD = 'CREATE TABLE `meta` (`a` varchar(255) PRIMARY KEY)';
/** SHOW CREATE TABLE answers that passed the old guard (or would do harm if run), with a catalogue that is plain. */
const hostileText: Array<[string, string]> = [
  ['a /*!50700 ...*/ comment that MariaDB skips, hiding a quote', `${HEAD} /*!50700 ' */ ${STEAL} -- ' */`],
  ['a /*M!999999 ...*/ comment that MariaDB skips, hiding a quote', `${HEAD} /*M!999999 ' */ ${STEAL} -- ' */`],
  ['-- followed by DEL, a comment to MariaDB', `${HEAD} --\x7f'\n${STEAL} -- '`],
  ['-- followed by a control character', `${HEAD} --\x01'\n${STEAL} -- '`],
  ['a MERGE table over another database', `${HEAD} ENGINE=MRG_MyISAM INSERT_METHOD=LAST UNION=(\`canary_keep\`.\`canary\`)`],
];

// ------------------------------------------------------------------ the attacks

describe('hostile SHOW CREATE TABLE text is never read: the table is made from the catalogue', () => {
  test.each(hostileText)('%s', async (_name, text) => {
    await log.query(`DROP DATABASE IF EXISTS ${DB}`);
    const scenario = { ...plain(), showCreate: { meta: text } };
    const { foreign, fakeAsked } = await attack(scenario, 'complete');
    expect(foreign).toEqual([]);
    expect(readsCode(fakeAsked)).toEqual([]);
    const [[made]] = (await log.query(`SHOW CREATE TABLE ${DB}.meta`)) as unknown as [Array<Record<string, string>>];
    expect(made['Create Table']).toBe(
      'CREATE TABLE `meta` (\n  `a` varchar(255) NOT NULL,\n  PRIMARY KEY (`a`)\n' +
        ') ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci',
    );
    expect(await stagingState()).toEqual({ canary: [{ id: 1, v: 'alive' }], schemas: [] });
  });
});

describe('values that look like SQL are kept as values', () => {
  test('enum members and defaults with quotes, backslashes and statements are written again as literals, exactly', async () => {
    await log.query(`DROP DATABASE IF EXISTS ${DB}`);
    const members = "enum('it''s','back\\\\slash','q\\'uote','semi;colon -- ','x''), (SELECT 1) -- ')";
    const scenario = extraColumn({ COLUMN_TYPE: members, DATA_TYPE: 'enum', COLUMN_DEFAULT: "'it''s'" });
    scenario.catalogue.COLUMNS!.push({
      ...scenario.catalogue.COLUMNS![0],
      COLUMN_NAME: 'c',
      ORDINAL_POSITION: 3,
      IS_NULLABLE: 'YES',
      COLUMN_DEFAULT: "'x\\'), (SELECT authentication_string FROM mysql.user) -- '",
      COLUMN_COMMENT: "it's a comment'); DROP DATABASE canary_keep; --",
    });
    scenario.catalogue.TRIGGERS = [
      {
        TRIGGER_SCHEMA: DB,
        TRIGGER_NAME: 'tr',
        EVENT_OBJECT_TABLE: 'meta',
        ACTION_STATEMENT: 'INSERT INTO canary_keep.canary VALUES (2, NEW.a)',
      },
    ];
    const { foreign, fakeAsked } = await attack(scenario, 'complete');
    expect(foreign).toEqual([]);
    expect(readsCode(fakeAsked)).toEqual([]);
    const [columns] = (await log.query(
      'SELECT COLUMN_NAME AS n, COLUMN_TYPE AS t, COLUMN_DEFAULT AS d, COLUMN_COMMENT AS c FROM information_schema.COLUMNS WHERE ' +
        'TABLE_SCHEMA = ? ORDER BY ORDINAL_POSITION',
      [DB],
    )) as unknown as [Array<Record<string, string>>];
    expect(columns).toEqual([
      { n: 'a', t: 'varchar(255)', d: null, c: '' },
      { n: 'b', t: "enum('it''s','back\\\\slash','q''uote','semi;colon --','x''), (SELECT 1) --')", d: "'it''s'", c: '' },
      {
        n: 'c',
        t: 'varchar(255)',
        d: "'x''), (SELECT authentication_string FROM mysql.user) -- '",
        c: "it's a comment'); DROP DATABASE canary_keep; --",
      },
    ]);
    const [triggers] = (await log.query('SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [
      DB,
    ])) as unknown as [unknown[]];
    expect(triggers).toEqual([]); // a trigger of the source is never made (nor read)
    expect(await stagingState()).toEqual({ canary: [{ id: 1, v: 'alive' }], schemas: [] });
  });
});

describe("a server's error is reported by its code and the table, never its text", () => {
  test('rows with a duplicate key holding a secret: the failure names the table and the code, not the value', async () => {
    await log.query(`DROP DATABASE IF EXISTS ${DB}`);
    const { failure, foreign } = await attack({ ...plain(), lines: { meta: [SECRET, SECRET] } }, 'failed');
    expect(foreign).toEqual([]);
    expect(failure).toMatch(/meta/);
    expect(failure).toMatch(/1062/);
    expect(failure).not.toContain('2470C0C0');
    expect(failure).not.toContain('root:');
  });

  test('a source that answers the row read with an error quoting a secret: the code only', async () => {
    await log.query(`DROP DATABASE IF EXISTS ${DB}`);
    const { failure, foreign } = await attack({ ...plain(), readError: `Duplicate entry '${SECRET}' for key 'PRIMARY'` }, 'failed');
    expect(foreign).toEqual([]);
    expect(failure).toBe(
      'the source or staging server answered MariaDB error 1105 (ER_UNKNOWN_ERROR) while copying the rows of table meta',
    );
  });
});
