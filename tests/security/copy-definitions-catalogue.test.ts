/**
 * Issue 19, "no source text runs on staging" (the shared part: copy-attack.ts): hostile catalogue rows from a fake
 * source server. The copy must fail naming the table and the reason, run no definition on staging, and never ask
 * the fake for its SHOW CREATE TABLE (nor its triggers, views, routines).
 */
import mysql from 'mysql2/promise';
import { type Scenario } from './fake-mysql';
import { DB, attack, changed, closeStagingLog, extraColumn, openStagingLog, plain, readsCode, stagingState } from './copy-attack';

let log: mysql.Connection;
beforeAll(async () => {
  log = await openStagingLog();
});
afterAll(closeStagingLog);

/** Catalogue rows that must be refused: [attack, scenario, the reason the failure gives]. */
const refused: Array<[string, Scenario, RegExp]> = [
  [
    'a table name that closes its quote',
    { ...plain(), tables: ['meta` (a int) SELECT 1 -- '] },
    /table name `meta` \(a int\) SELECT 1 -- ` is not an identifier/,
  ],
  [
    'a column name that closes its quote',
    changed({ COLUMNS: { COLUMN_NAME: 'a` int) SELECT 1 -- ' } }),
    /column name `a` int\) SELECT 1 -- ` is not an identifier/,
  ],
  [
    'an enum that closes its list',
    changed({ COLUMNS: { COLUMN_TYPE: "enum('a') , b int AS (load_file('/etc/passwd')) -- ')" } }),
    /column a that has an enum type whose members are not a list/,
  ],
  [
    'a default that closes its literal',
    changed({ COLUMNS: { COLUMN_DEFAULT: "'x'), (SELECT authentication_string FROM mysql.user) -- '" } }),
    /default .* is neither a literal nor CURRENT_TIMESTAMP/,
  ],
  [
    'a default that is a subquery',
    changed({ COLUMNS: { COLUMN_DEFAULT: '(SELECT authentication_string FROM mysql.user LIMIT 1)' } }),
    /is neither a literal nor CURRENT_TIMESTAMP/,
  ],
  [
    'a default that reads a file',
    changed({ COLUMNS: { COLUMN_DEFAULT: "load_file('/etc/passwd')" } }),
    /is neither a literal nor CURRENT_TIMESTAMP/,
  ],
  [
    'a type with a statement after it',
    changed({ COLUMNS: { COLUMN_TYPE: 'varchar(255)) SELECT 1 -- ' } }),
    /has the type `varchar\(255\)\) SELECT 1 -- `, which a copy does not make/,
  ],
  ['an unknown type', changed({ COLUMNS: { COLUMN_TYPE: 'vector(3)' } }), /has the type `vector\(3\)`/],
  [
    'a collation that is a clause',
    changed({ COLUMNS: { COLLATION_NAME: 'latin1_bin) SELECT 1 -- ' } }),
    /collation .* which is not a collation name/,
  ],
  [
    'a collation staging does not have',
    changed({ TABLES: { TABLE_COLLATION: 'klingon_ci' } }),
    /collation klingon_ci, which the staging server does not have/,
  ],
  ['a view', changed({ TABLES: { TABLE_TYPE: 'VIEW', ENGINE: null } }), /is a VIEW, not a base table/],
  [
    'a MERGE table in the catalogue',
    changed({ TABLES: { ENGINE: 'MRG_MyISAM', CREATE_OPTIONS: 'union=(`canary_keep`.`canary`)' } }),
    /uses ENGINE=MRG_MyISAM; a copy makes only InnoDB/,
  ],
  ['a FEDERATED table', changed({ TABLES: { ENGINE: 'FEDERATED', CREATE_OPTIONS: '' } }), /uses ENGINE=FEDERATED/],
  [
    'a table option that is a clause',
    changed({ TABLES: { CREATE_OPTIONS: "max_rows=1 data_directory='/tmp'" } }),
    /table option `data_directory='\/tmp'`/,
  ],
  [
    'an option value that is a clause',
    changed({ TABLES: { CREATE_OPTIONS: 'max_rows=1,UNION=(canary_keep.canary)' } }),
    /table option `max_rows=1,UNION/,
  ],
  ['a partitioned table', changed({ TABLES: { CREATE_OPTIONS: 'partitioned' } }), /is partitioned/],
  [
    'an AUTO_INCREMENT that is a clause',
    changed({ TABLES: { AUTO_INCREMENT: '1 UNION=(canary_keep.canary)' } }),
    /AUTO_INCREMENT=1 UNION=.* is not a number/,
  ],
  [
    'a table comment of 100k characters',
    changed({ TABLES: { TABLE_COMMENT: "x'".repeat(50_000) } }),
    /table comment of 100000 characters \(a server keeps at most 2048\)/,
  ],
  [
    'a column comment of 100k characters',
    changed({ COLUMNS: { COLUMN_COMMENT: 'c'.repeat(100_000) } }),
    /column comment of 100000 characters/,
  ],
  [
    'attributes with a column after them',
    changed({ COLUMNS: { EXTRA: "auto_increment, `b` int AS (load_file('/etc/passwd')) VIRTUAL" } }),
    /`, `b` int AS .* in its attributes/,
  ],
  [
    'a generated column reading a table',
    extraColumn({
      EXTRA: 'VIRTUAL GENERATED',
      IS_GENERATED: 'ALWAYS',
      GENERATION_EXPRESSION: '(SELECT authentication_string FROM mysql.user LIMIT 1)',
    }),
    /generated column whose expression/,
  ],
  [
    'an index prefix that is a clause',
    changed({ STATISTICS: { SUB_PART: "10), KEY x ((load_file('/etc/passwd')))" } }),
    /index PRIMARY with the prefix length/,
  ],
  [
    'an index type that is a clause',
    changed({ STATISTICS: { INDEX_TYPE: 'BTREE) SELECT 1 -- ' } }),
    /index PRIMARY of type BTREE\) SELECT 1/,
  ],
  ['an index on an expression', changed({ STATISTICS: { COLUMN_NAME: null } }), /index PRIMARY on `an expression`/],
  [
    'a CHECK constraint',
    changed(
      {},
      {
        catalogue: {
          CHECK_CONSTRAINTS: [
            {
              CONSTRAINT_SCHEMA: DB,
              TABLE_NAME: 'meta',
              CONSTRAINT_NAME: 'c',
              LEVEL: 'Table',
              CHECK_CLAUSE: '(select 1 from mysql.user) > 0',
            },
          ],
        },
      },
    ),
    /CHECK constraint `c`; a copy makes only the json_valid check/,
  ],
  [
    'a foreign key into another database',
    changed(
      {},
      {
        catalogue: {
          REFERENTIAL_CONSTRAINTS: [
            {
              CONSTRAINT_SCHEMA: DB,
              CONSTRAINT_NAME: 'f',
              UNIQUE_CONSTRAINT_SCHEMA: 'canary_keep',
              TABLE_NAME: 'meta',
              REFERENCED_TABLE_NAME: 'canary',
              UPDATE_RULE: 'RESTRICT',
              DELETE_RULE: 'CASCADE',
            },
          ],
          KEY_COLUMN_USAGE: [
            {
              TABLE_SCHEMA: DB,
              TABLE_NAME: 'meta',
              CONSTRAINT_NAME: 'f',
              COLUMN_NAME: 'a',
              ORDINAL_POSITION: 1,
              REFERENCED_TABLE_SCHEMA: 'canary_keep',
              REFERENCED_TABLE_NAME: 'canary',
              REFERENCED_COLUMN_NAME: 'id',
            },
          ],
        },
      },
    ),
    /foreign key f into another database/,
  ],
];

describe('hostile catalogue rows: the copy fails naming the table and the reason, and runs no definition', () => {
  test.each(refused)('%s', async (_name, scenario, reason) => {
    await log.query(`DROP DATABASE IF EXISTS ${DB}`);
    const { failure, foreign, fakeAsked } = await attack(scenario, 'failed');
    expect(failure).toMatch(reason);
    expect(failure).toMatch(/^(the source's table meta cannot be copied: it |table name )/);
    expect(failure!.length).toBeLessThan(600);
    expect(foreign).toEqual([]);
    expect(readsCode(fakeAsked)).toEqual([]);
    const [exists] = (await log.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [DB])) as unknown as [unknown[]];
    expect(exists).toEqual([]);
    expect(await stagingState()).toEqual({ canary: [{ id: 1, v: 'alive' }], schemas: [] });
  });
});
