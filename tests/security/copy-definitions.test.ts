/**
 * Issue 19, "no source text runs on staging": the MariaDB copy against a source server of the submitter's own, a
 * protocol-level fake (fake-mysql.ts) that answers hostile catalogue rows and hostile `SHOW CREATE TABLE` text,
 * with the suite's real staging MariaDB as the target. The staging server's general query log records every
 * statement it runs; after each attack, every statement of the copy must be one the copy writes: of the shapes
 * below, and each CREATE TABLE exactly the one definition.ts writes from the fake's catalogue. No statement may
 * carry the fake's text, and the fake is never asked for its SHOW CREATE TABLE (nor its triggers, views, routines).
 * A failure that comes from a server's error carries its code and the table, never the server's text.
 */
import mysql from 'mysql2/promise';
import { copyDatabase } from '../../services/copy/copy';
import { createTableStatement } from '../../services/copy/definition';
import type { Catalogue } from '../../services/copy/definition-values';
import { stagingCollations } from '../../services/copy/catalogue';
import { parseTargetRoots } from '../../services/copy/targets';
import { mariadbSettings, mariadbUri } from '../helpers/harness';
import { type Row, type Scenario, startFakeMysql } from './fake-mysql';

const staging = mariadbSettings('staging');
const policy = { roots: parseTargetRoots(`mysql://${staging.host}:${staging.port}/`), protectedDirs: [] };
const DB = 'fake_core_110_1';
const SECRET = 'root:localhost:*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19';

/** The statements the copy writes on staging, by shape (CREATE TABLE apart: compared whole with definition.ts's). */
const HANDOVER_SHAPES = [
  /^SELECT 1 FROM information_schema\.SCHEMATA WHERE SCHEMA_NAME = '\w+'$/,
  /^DROP DATABASE IF EXISTS `\w+`$/,
  /^CREATE DATABASE `\w+`$/,
  /^SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'(, time_zone = '\+00:00', unique_checks = 0, foreign_key_checks = 0)?$/,
  /^SET SESSION foreign_key_checks = 0$/,
  /^SET NAMES utf8mb4$/,
  /^SELECT COLLATION_NAME AS c, CHARACTER_SET_NAME AS s FROM information_schema\.COLLATIONS$/,
  new RegExp(
    /^SELECT TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS type, EXTRA AS extra, IS_NULLABLE AS nullable /.source +
      /FROM information_schema\.COLUMNS WHERE TABLE_SCHEMA = 'handover_tmp_[0-9a-f]{16}' ORDER BY TABLE_NAME, ORDINAL_POSITION$/.source,
  ),
  /^SELECT \* FROM information_schema\.STATISTICS WHERE TABLE_SCHEMA = 'handover_tmp_[0-9a-f]{16}'$/,
  /^SELECT TABLE_NAME AS t, ENGINE AS engine FROM information_schema\.TABLES WHERE TABLE_SCHEMA = 'handover_tmp_[0-9a-f]{16}'$/,
  new RegExp(
    /^SELECT TABLE_NAME AS t, REFERENCED_TABLE_NAME AS r FROM information_schema\.REFERENTIAL_CONSTRAINTS /.source +
      /WHERE CONSTRAINT_SCHEMA = 'handover_tmp_[0-9a-f]{16}'$/.source,
  ),
  /^SHOW CREATE TABLE `\w+`$/,
  /^ALTER TABLE `\w+` DROP INDEX `\w+`(, DROP INDEX `\w+`)*$/,
  new RegExp(
    /^LOAD DATA LOCAL INFILE 'rows' INTO TABLE `\w+` CHARACTER SET binary /.source +
      /FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' /.source +
      /\((`\w+`|@v\d+)(, (`\w+`|@v\d+))*\)/.source,
  ),
  /^SHOW WARNINGS LIMIT 1$/,
  /^CHECKSUM TABLE `\w+` EXTENDED$/,
  /^SELECT TABLE_NAME AS name FROM information_schema\.TABLES WHERE TABLE_SCHEMA = '\w+' AND TABLE_TYPE = '(BASE TABLE|VIEW)'$/,
  /^RENAME TABLE `\w+`\.`\w+` TO `\w+`\.`\w+`(, `\w+`\.`\w+` TO `\w+`\.`\w+`)*$/,
  /^DROP VIEW IF EXISTS `\w+`\.`\w+`$/,
  /^SELECT ID AS id FROM information_schema\.PROCESSLIST WHERE DB = '\w+' AND ID <> CONNECTION_ID\(\)$/,
  /^KILL (CONNECTION|QUERY) \d+$/,
];
/** What the fake's hostile answers carry: none of it may reach staging. */
const HOSTILE_TEXT = /mysql\.user|authentication_string|CONCAT_WS\(0x3a|UNION=|MRG_MyISAM|load_file|canary_keep|SECRETHASH|\/\*!|\/\*M!/i;

let log: mysql.Connection;
const tally = { attacks: 0, statements: 0, foreign: [] as string[] };

beforeAll(async () => {
  log = await mysql.createConnection({ host: staging.host, port: staging.port, user: staging.user, password: staging.password });
  await log.query("SET GLOBAL log_output = 'TABLE'");
  await log.query('SET GLOBAL general_log = 1');
  await log.query('DROP DATABASE IF EXISTS canary_keep');
  await log.query('CREATE DATABASE canary_keep');
  await log.query('CREATE TABLE canary_keep.canary (id INT PRIMARY KEY, v VARCHAR(40))');
  await log.query("INSERT INTO canary_keep.canary VALUES (1, 'alive')");
});
afterAll(async () => {
  console.log(
    `statements run on staging that Handover did not write: ${tally.foreign.length} (of ${tally.statements} statements, ` +
      `over ${tally.attacks} attacks)`,
  );
  await log?.query('SET GLOBAL general_log = 0');
  await log?.query('TRUNCATE mysql.general_log');
  await log?.query('DROP DATABASE IF EXISTS canary_keep');
  await log?.query(`DROP DATABASE IF EXISTS ${DB}`);
  await log?.end();
});

// ------------------------------------------------------------------ the fake's catalogue

/** A plain table `meta` (a varchar(255) PRIMARY KEY), as a MariaDB server's catalogue gives it. */
function plain(): Scenario {
  const where = { TABLE_CATALOG: 'def', TABLE_SCHEMA: DB, TABLE_NAME: 'meta' };
  return {
    tables: ['meta'],
    catalogue: {
      TABLES: [
        {
          ...where,
          TABLE_TYPE: 'BASE TABLE',
          ENGINE: 'InnoDB',
          TABLE_COLLATION: 'latin1_swedish_ci',
          CREATE_OPTIONS: '',
          TABLE_COMMENT: '',
          AUTO_INCREMENT: null,
        },
      ],
      COLUMNS: [
        {
          ...where,
          COLUMN_NAME: 'a',
          ORDINAL_POSITION: 1,
          COLUMN_DEFAULT: null,
          IS_NULLABLE: 'NO',
          DATA_TYPE: 'varchar',
          COLUMN_TYPE: 'varchar(255)',
          CHARACTER_SET_NAME: 'latin1',
          COLLATION_NAME: 'latin1_swedish_ci',
          EXTRA: '',
          COLUMN_COMMENT: '',
          IS_GENERATED: 'NEVER',
          GENERATION_EXPRESSION: null,
        },
      ],
      STATISTICS: [
        {
          ...where,
          NON_UNIQUE: 0,
          INDEX_NAME: 'PRIMARY',
          SEQ_IN_INDEX: 1,
          COLUMN_NAME: 'a',
          COLLATION: 'A',
          SUB_PART: null,
          INDEX_TYPE: 'BTREE',
          INDEX_COMMENT: '',
          IGNORED: 'NO',
        },
      ],
    },
  };
}

type Patch = Partial<Record<'TABLES' | 'COLUMNS' | 'STATISTICS', Row>>;
/** The plain table with fields of its catalogue rows replaced (and more rows or answers added). */
function changed(patch: Patch, extra: Partial<Scenario> & { catalogue?: Scenario['catalogue'] } = {}): Scenario {
  const s = plain();
  for (const [view, fields] of Object.entries(patch) as Array<[keyof Patch, Row]>)
    s.catalogue[view] = s.catalogue[view]!.map((r) => ({ ...r, ...fields }));
  return { ...s, ...extra, catalogue: { ...s.catalogue, ...extra.catalogue } };
}
const extraColumn = (fields: Row): Scenario => {
  const s = plain();
  s.catalogue.COLUMNS!.push({ ...s.catalogue.COLUMNS![0], COLUMN_NAME: 'b', ORDINAL_POSITION: 2, IS_NULLABLE: 'YES', ...fields });
  return s;
};

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

// ------------------------------------------------------------------ running an attack

const sourceUri = (port: number) => `mysql://attacker:pw@127.0.0.1:${port}/${DB}`;
const asText = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

/** The catalogue as definition.ts reads it from the fake. */
const catalogueOf = (s: Scenario): Catalogue => ({
  mariadb: true,
  tables: s.catalogue.TABLES ?? [],
  columns: s.catalogue.COLUMNS ?? [],
  statistics: s.catalogue.STATISTICS ?? [],
  constraints: s.catalogue.REFERENTIAL_CONSTRAINTS ?? [],
  keyColumns: s.catalogue.KEY_COLUMN_USAGE ?? [],
  checks: s.catalogue.CHECK_CONSTRAINTS ?? [],
});

/**
 * Runs one copy from a fake source with `scenario`; returns the copy's outcome and every statement staging ran
 * meanwhile that the copy does not write (with the count of all its statements added to the tally).
 */
async function attack(
  scenario: Scenario,
  expected: 'complete' | 'failed',
): Promise<{ failure?: string; foreign: string[]; fakeAsked: string[] }> {
  tally.attacks++;
  const fake = await startFakeMysql(scenario);
  await log.query('TRUNCATE mysql.general_log');
  let failure: string | undefined;
  try {
    await copyDatabase({ source_db_uri: sourceUri(fake.port), target_db_uri: mariadbUri(staging, DB), drop: true }, { policy });
  } catch (err) {
    failure = (err as Error).message;
  } finally {
    await fake.close();
  }
  const [rows] = (await log.query(
    'SELECT command_type AS kind, argument FROM mysql.general_log WHERE thread_id <> CONNECTION_ID() ',
  )) as unknown as [Array<{ kind: string; argument: unknown }>];
  const collations = await stagingCollations(log);
  const ours = new Set<string>();
  for (const t of scenario.tables) {
    try {
      ours.add(createTableStatement(t, DB, catalogueOf(scenario), collations));
    } catch {
      // a definition the copy refuses: none of its own to run
    }
  }
  const foreign: string[] = [];
  for (const { kind, argument } of rows) {
    const text = asText(argument);
    if (kind === 'Connect' || kind === 'Quit' || (kind === 'Init DB' && /^\w+$/.test(text))) continue;
    tally.statements++;
    const written = kind === 'Query' && (ours.has(text) || (!HOSTILE_TEXT.test(text) && HANDOVER_SHAPES.some((shape) => shape.test(text))));
    if (!written) foreign.push(`${kind}: ${text.slice(0, 300)}`);
  }
  tally.foreign.push(...foreign);
  expect({ failure, outcome: failure === undefined ? 'complete' : 'failed' }).toMatchObject({ outcome: expected });
  return { failure, foreign, fakeAsked: fake.received };
}

/** What the fake was asked that reads code of the source: its definitions' text, its triggers, views, routines, events. */
const readsCode = (asked: string[]) => asked.filter((s) => /SHOW CREATE|TRIGGERS|VIEWS|ROUTINES|EVENTS|SHOW TRIGGERS/i.test(s));

async function stagingState() {
  const [canary] = await log.query('SELECT * FROM canary_keep.canary ORDER BY id');
  const [schemas] = await log.query("SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'handover\\_%'");
  return { canary, schemas };
}

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
