/**
 * The shared part of the copy-definitions tests (copy-definitions-catalogue.test.ts, copy-definitions-text.test.ts),
 * issue 19, "no source text runs on staging": the MariaDB copy against a source server of the submitter's own, a
 * protocol-level fake (fake-mysql.ts) that answers hostile catalogue rows and hostile `SHOW CREATE TABLE` text,
 * with the suite's real staging MariaDB as the target. The staging server's general query log records every
 * statement it runs; after each attack, every statement of the copy must be one the copy writes: of the shapes
 * below, and each CREATE TABLE exactly the one definition.ts writes from the fake's catalogue.
 * Each test file opens the log in its beforeAll (openStagingLog) and closes it in its afterAll (closeStagingLog),
 * which prints that file's tally.
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
export const DB = 'fake_core_110_1';
export const SECRET = 'root:localhost:*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19';

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

/** Opens the connection that reads staging's general query log, turns the log on and makes the canary database. */
export async function openStagingLog(): Promise<mysql.Connection> {
  log = await mysql.createConnection({ host: staging.host, port: staging.port, user: staging.user, password: staging.password });
  await log.query("SET GLOBAL log_output = 'TABLE'");
  await log.query('SET GLOBAL general_log = 1');
  await log.query('DROP DATABASE IF EXISTS canary_keep');
  await log.query('CREATE DATABASE canary_keep');
  await log.query('CREATE TABLE canary_keep.canary (id INT PRIMARY KEY, v VARCHAR(40))');
  await log.query("INSERT INTO canary_keep.canary VALUES (1, 'alive')");
  return log;
}

/** Prints this file's tally, turns the log off and drops what the tests made. */
export async function closeStagingLog(): Promise<void> {
  console.log(
    `statements run on staging that Handover did not write: ${tally.foreign.length} (of ${tally.statements} statements, ` +
      `over ${tally.attacks} attacks)`,
  );
  await log?.query('SET GLOBAL general_log = 0');
  await log?.query('TRUNCATE mysql.general_log');
  await log?.query('DROP DATABASE IF EXISTS canary_keep');
  await log?.query(`DROP DATABASE IF EXISTS ${DB}`);
  await log?.end();
}

// ------------------------------------------------------------------ the fake's catalogue

/** A plain table `meta` (a varchar(255) PRIMARY KEY), as a MariaDB server's catalogue gives it. */
export function plain(): Scenario {
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

export type Patch = Partial<Record<'TABLES' | 'COLUMNS' | 'STATISTICS', Row>>;
/** The plain table with fields of its catalogue rows replaced (and more rows or answers added). */
export function changed(patch: Patch, extra: Partial<Scenario> & { catalogue?: Scenario['catalogue'] } = {}): Scenario {
  const s = plain();
  for (const [view, fields] of Object.entries(patch) as Array<[keyof Patch, Row]>)
    s.catalogue[view] = s.catalogue[view]!.map((r) => ({ ...r, ...fields }));
  return { ...s, ...extra, catalogue: { ...s.catalogue, ...extra.catalogue } };
}
export const extraColumn = (fields: Row): Scenario => {
  const s = plain();
  s.catalogue.COLUMNS!.push({ ...s.catalogue.COLUMNS![0], COLUMN_NAME: 'b', ORDINAL_POSITION: 2, IS_NULLABLE: 'YES', ...fields });
  return s;
};

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
export async function attack(
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
export const readsCode = (asked: string[]) => asked.filter((s) => /SHOW CREATE|TRIGGERS|VIEWS|ROUTINES|EVENTS|SHOW TRIGGERS/i.test(s));

export async function stagingState() {
  const [canary] = await log.query('SELECT * FROM canary_keep.canary ORDER BY id');
  const [schemas] = await log.query("SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'handover\\_%'");
  return { canary, schemas };
}
