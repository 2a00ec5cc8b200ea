/**
 * The local stack against the attacks of the "aim it anywhere else" issue, on real files and the two
 * real MariaDB servers of the global setup. A canary tree (files outside staging, the upstream
 * sources, a canary database on the source server and one on the staging server) is checksummed
 * before the attacks and again at the end: it must not have changed. Every attack is counted; the
 * tally is printed at the end.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mysql from 'mysql2/promise';
import { copyDatabase, workSchemas } from '../../services/copy/copy';
import { createCopyService } from '../../services/copy/service';
import { checkTarget, parseTargetRoots } from '../../services/copy/targets';
import { serverConnection } from '../../services/db/server';
import { identifier, quoteIdent, resolveUnder } from '../../services/db/names';
import { locate, redact, safe } from '../../services/db/uri';
import { createDemoDatabase } from '../../services/demo';
import { dumpDatabase } from '../../services/event/dump';
import { stackSealer } from '../../services/jobs/secrets';
import { JobStore } from '../../services/jobs/store';
import { isLoopbackHostHeader } from '../../services/jobs/service';
import { type LocalStack, type StackService, isLoopbackHost, startLocalStack } from '../../services/stack';
import { manyTables } from '../helpers/databases';
import { testStackSourceRoots } from '../helpers/sources';
import { type MariaDbSettings, mariadbSettings, mariadbUri } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

const source = mariadbSettings('source');
const staging = mariadbSettings('staging');
const PORTS = { healthcheck: 0, copy: 0, metadata: 0, event: 0 };

let dir: string;
let dataDir: string;
let stagingDir: string;
let elsewhere: string;
let upstream: string;
let stack: LocalStack;
let canaryBefore: string;

/** Table names meant to break out of quotes, statements, options or folders. */
const HOSTILE = [
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

// ------------------------------------------------------------------ attack tally

const attacks: Array<{ name: string; stopped: boolean }> = [];
/** Runs an attack and its expectations; it counts as stopped when every expectation holds. */
async function attack(name: string, run: () => void | Promise<void>): Promise<void> {
  try {
    await run();
    attacks.push({ name, stopped: true });
  } catch (err) {
    attacks.push({ name, stopped: false });
    throw err;
  }
}

// ------------------------------------------------------------------ helpers

async function sql<T = unknown>(m: MariaDbSettings, query: string, params: unknown[] = []): Promise<T> {
  const conn = await mysql.createConnection({ host: m.host, port: m.port, user: m.user, password: m.password });
  try {
    return (await conn.query(query, params))[0] as T;
  } finally {
    await conn.end();
  }
}
const q = (name: string) => quoteIdent('mysql', name);

/** Every file and folder under root: path, kind, mode and content hash (or link target). */
function treeDigest(root: string): string[] {
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

async function tableDigest(m: MariaDbSettings, database: string): Promise<unknown> {
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

async function canaryDigest(): Promise<string> {
  const sourceSchemas = (
    await sql<Array<{ name: string }>>(source, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME')
  ).map((r) => r.name);
  return JSON.stringify({
    files: treeDigest(elsewhere),
    upstream: treeDigest(upstream),
    jobStores: readdirSync(path.join(dataDir, 'jobs'))
      .filter((f) => f.endsWith('.sqlite'))
      .sort(),
    sourceSchemas,
    sourceCanary: await tableDigest(source, 'canary_db'),
    stagingCanary: await tableDigest(staging, 'canary_keep'),
  });
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function call(
  service: StackService,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
  s: LocalStack = stack,
) {
  const res = await fetch(`${s.urls[service]}${route}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: answer(await res.text()) };
}
/** A response body: its JSON (typed any, as JSON.parse gives it), or the text when it is not JSON. */
function answer(text: string) {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}
const post = (service: StackService, body: unknown, headers?: Record<string, string>) => call(service, 'POST', '/jobs', body, headers);
const jobs = (service: StackService, s: LocalStack = stack) => s.services[service].store.list(100_000).length;
const job = async (service: StackService, id: number) => (await call(service, 'GET', `/jobs/${id}`)).json;
const finished = (service: StackService, id: number) =>
  waitFor(
    async () => ((j) => (['complete', 'failed'].includes(j.status) ? j : undefined))(await job(service, id)),
    90_000,
    `${service} job ${id}`,
  );
const failure = async (service: StackService, id: number) => (await call(service, 'GET', `/jobs/${id}?format=failures`)).json.msg as string;

/** A submission refused with 400 and a message, creating no job. */
async function refused(service: StackService, body: unknown, message: RegExp): Promise<void> {
  const before = jobs(service);
  const res = await post(service, body);
  expect(res).toEqual({ status: 400, json: { error: expect.stringMatching(message) } });
  expect(jobs(service)).toBe(before);
}

const sqliteUri = (file: string) => `sqlite:///${file}`;
const stagingUri = (name: string) => mariadbUri(staging, name);
const sourceUri = (name: string) => mariadbUri(source, name);

async function schemasLike(m: MariaDbSettings, pattern: string): Promise<string[]> {
  return (
    await sql<Array<{ name: string }>>(m, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [pattern])
  ).map((r) => r.name);
}

function sqliteWith(file: string, statements: string[]): void {
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

// ------------------------------------------------------------------ the scene

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'handover-stack-security-'));
  dataDir = path.join(dir, 'services');
  stagingDir = path.join(dir, 'staging');
  elsewhere = path.join(dir, 'elsewhere');
  upstream = path.join(dir, 'upstream');
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
  manyTables(path.join(upstream, 'big_core_110_1.sqlite'), 1500, 400);
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
  await createDemoDatabase(sourceUri('felis_catus_core_110_5'), { genes: 2000 });
  await createDemoDatabase(sourceUri('felis_catus_core_111_5'), { genes: 60_000 });
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

  stack = await startLocalStack({
    sourceRoots: testStackSourceRoots(),
    dataDir,
    ports: PORTS,
    targetRoots: [`sqlite:///${stagingDir}/`, `mysql://${staging.host}:${staging.port}/`],
    passwords: { [`${staging.user}@${staging.host}:${staging.port}`]: staging.password },
  });
  canaryBefore = await canaryDigest();
}, 180_000);

afterAll(async () => {
  await stack?.close();
  const stopped = attacks.filter((a) => a.stopped).length;
  console.log(
    `local stack security: ${attacks.length} attacks tried, ${stopped} stopped${
      stopped < attacks.length
        ? `; NOT stopped: ${attacks
            .filter((a) => !a.stopped)
            .map((a) => a.name)
            .join('; ')}`
        : ''
    }`,
  );
});

// ------------------------------------------------------------------ 1. targets only on staging

describe('targets only on staging', () => {
  test('a legitimate SQLite copy into the staging folder works', async () => {
    const res = await post('copy', {
      source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
      target_db_uri: sqliteUri(path.join(stagingDir, 'homo_sapiens_core_110_1.sqlite')),
    });
    expect(res.status).toBe(201);
    expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'complete', output: { tables: { gene: 200 } } });
  });

  const sqliteAttacks: Array<[string, () => string, RegExp]> = [
    ['a file in another folder', () => path.join(elsewhere, 'canary.sqlite'), /not directly inside a staging folder/],
    ["the Temporal dev server's history file", () => path.join(elsewhere, 'temporal.db'), /must be an identifier followed by \.sqlite/],
    ['.. in the path', () => `${stagingDir}/../elsewhere/canary.sqlite`, /not directly inside a staging folder/],
    ['%2e%2e in the path', () => `${stagingDir}/%2e%2e/elsewhere/canary.sqlite`, /not directly inside a staging folder/],
    ['an encoded / and ..', () => `${stagingDir}/..%2Felsewhere%2Fcanary.sqlite`, /absolute and normal/],
    ['a file named ...sqlite (its name is ..)', () => `${stagingDir}/...sqlite`, /database name `\.\.` is not an identifier/],
    ['a symbolic link in staging pointing out', () => path.join(stagingDir, 'link_core_110_1.sqlite'), /symbolic link/],
    [
      'a symlinked folder in staging pointing out',
      () => path.join(stagingDir, 'sub', 'canary.sqlite'),
      /not directly inside a staging folder/,
    ],
    ['a folder below staging', () => path.join(stagingDir, 'nested', 'x_core_110_1.sqlite'), /not directly inside a staging folder/],
    ['a folder named like a database', () => path.join(stagingDir, 'dir_core_110_1.sqlite'), /not a regular file/],
    ["the copy service's own job store", () => path.join(dataDir, 'jobs', 'copy-jobs.sqlite'), /`copy-jobs` is not an identifier/],
    ['the metadata store', () => path.join(dataDir, 'jobs', 'metadata.sqlite'), /not directly inside a staging folder/],
    ['a system file', () => '/etc/passwd', /must be an identifier followed by \.sqlite/],
    ['a relative path', () => 'relative.sqlite', /absolute path|not a URI/],
  ];
  test.each(sqliteAttacks)('SQLite target refused with 400 and no job: %s', async (name, target, message) => {
    await attack(`copy target: ${name}`, async () => {
      const uri = target().startsWith('/') ? sqliteUri(target()) : `sqlite://${target()}`;
      await refused(
        'copy',
        { source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')), target_db_uri: uri, drop: true },
        message,
      );
    });
  });

  test('the source itself is refused as a target', async () => {
    await attack('copy target: the source itself (SQLite)', async () => {
      const file = path.join(stagingDir, 'homo_sapiens_core_110_1.sqlite');
      await refused(
        'copy',
        { source_db_uri: sqliteUri(file), target_db_uri: sqliteUri(file), drop: true },
        /the target is the source itself/,
      );
    });
    await attack('copy target: the source itself (MariaDB)', async () => {
      await refused(
        'copy',
        { source_db_uri: stagingUri('canary_keep'), target_db_uri: stagingUri('canary_keep'), drop: true },
        /the target is the source itself/,
      );
    });
  });

  test('a root inside the stack data folder is refused at start', async () => {
    await attack('config: a target root inside the data folder', () => {
      const jobsDir = path.join(dataDir, 'jobs');
      expect(() => createCopyService({ dataDir: jobsDir, targetRoots: `sqlite:///${jobsDir}/`, protectedDirs: [dataDir] })).toThrow(
        /inside the local stack's own data folder/,
      );
      expect(() => parseTargetRoots('mysql://u:secret@h:3306/')).toThrow(/no password/);
      expect(() => parseTargetRoots('mysql://h:3306/somedb')).toThrow(/names no database/);
    });
  });

  const body = (target: string) => ({ source_db_uri: sourceUri('felis_catus_core_110_5'), target_db_uri: target, drop: true });
  const mysqlAttacks: Array<[string, () => string, RegExp]> = [
    ['a database on a server that is not staging (the source server)', () => sourceUri('canary_db'), /is not a staging server/],
    ['that server named localhost', () => sourceUri('canary_db').replace('127.0.0.1', 'localhost'), /is not a staging server/],
    ['the staging host on another port', () => mariadbUri({ ...staging, port: staging.port + 1 }, 'x_core_1'), /is not a staging server/],
    ['the mysql system database', () => stagingUri('mysql'), /system database/],
    ['information_schema', () => stagingUri('INFORMATION_SCHEMA'), /system database/],
    ["the copy's own temporary schema", () => stagingUri('handover_tmp_0123456789abcdef'), /the copy's own/],
    [
      'a name with a backtick and a statement',
      () => stagingUri(encodeURIComponent('x`; DROP DATABASE canary_keep; --')),
      /is not an identifier/,
    ],
    ['a name that is an option', () => stagingUri('--help'), /is not an identifier/],
    ['a name of 65 characters', () => stagingUri('a'.repeat(65)), /longer than 64 characters/],
    ['a name that is ..', () => stagingUri('%2e%2e'), /names no database/],
    [
      'a host that is an option',
      () => `mysql://${staging.user}:${staging.password}@-oProxyCommand=x:${staging.port}/x_core_1`,
      /not a host name/,
    ],
    [
      'a host that does not resolve',
      () => `mysql://${staging.user}:${staging.password}@no-such-host.invalid:${staging.port}/x_core_1`,
      /cannot resolve the host/,
    ],
    ['another engine', () => sqliteUri(path.join(stagingDir, 'x_core_1.sqlite')), /same engine/],
  ];
  test.each(mysqlAttacks)('MariaDB target refused with 400 and no job: %s', async (name, target, message) => {
    await attack(`copy target: ${name}`, async () => {
      await refused('copy', body(target()), message);
    });
  });

  test('host names and addresses of the staging server are compared canonically', async () => {
    // Through the service: localhost for the staging server's 127.0.0.1 is the staging server.
    const alias = stagingUri('alias_core_110_1').replace('127.0.0.1', 'localhost');
    const res = await post('copy', body(alias));
    expect(res.status).toBe(201);
    expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'complete', output: { tables: { gene: 2000 } } });
    expect(await schemasLike(staging, 'alias_core_110_1')).toEqual(['alias_core_110_1']);

    const policy = (root: string) => ({ roots: parseTargetRoots(root), protectedDirs: [] });
    const at = (host: string, port = staging.port, user = staging.user) =>
      `mysql://${user}:${staging.password}@${host}:${port}/alias_core_110_2`;
    const src = sourceUri('felis_catus_core_110_5');
    for (const target of [at('127.0.0.1'), at('localhost'), at('[::1]'), at('[::ffff:127.0.0.1]')]) {
      expect((await checkTarget(src, target, policy(`mysql://localhost:${staging.port}/`))).location).toMatchObject({
        host: '127.0.0.1',
        port: staging.port,
      });
    }
    expect((await checkTarget(src, at('localhost'), policy(`mysql://127.0.0.1:${staging.port}/`))).key).toBe(
      `mysql:loopback:${staging.port}/alias_core_110_2`,
    );
    await attack('copy target: another loopback address (127.0.0.2) than the staging server', async () => {
      await expect(checkTarget(src, at('127.0.0.2'), policy(`mysql://127.0.0.1:${staging.port}/`))).rejects.toThrow(
        /is not a staging server/,
      );
    });
    await attack('copy target: another user than the staging root names', async () => {
      await expect(
        checkTarget(src, at('127.0.0.1', staging.port, 'root'), policy(`mysql://${staging.user}@127.0.0.1:${staging.port}/`)),
      ).rejects.toThrow(/is not a staging server/);
    });
    await attack('copy target: a MariaDB target with no MariaDB root configured', async () => {
      await expect(checkTarget(src, at('127.0.0.1'), policy(`sqlite:///${stagingDir}/`))).rejects.toThrow(/none configured for mysql/);
    });
  });
});

// ------------------------------------------------------------------ 2. names are data

describe('names are data, never code', () => {
  test('names module: identifier, quoteIdent, resolveUnder', () => {
    expect(identifier('homo_sapiens_core_110_38', 'database name')).toBe('homo_sapiens_core_110_38');
    expect(() => identifier('x; DROP', 'table name')).toThrow('table name `x; DROP` is not an identifier: letters, digits and _ only');
    expect(() => identifier('', 'table name')).toThrow(/not an identifier/);
    expect(quoteIdent('sqlite', 'a"b')).toBe('"a""b"');
    expect(quoteIdent('mysql', 'a`b')).toBe('`a``b`');
    expect(() => quoteIdent('mysql', 'a\0b')).toThrow(/cannot be quoted/);
    expect(resolveUnder('/d/dumps', 'x_core_1')).toBe('/d/dumps/x_core_1');
    for (const bad of ['..', '../x', '/etc', '', '.', 'a/../..', 'a\0']) expect(() => resolveUnder('/d/dumps', bad)).toThrow();
  });

  test('multipleStatements is off for every mysql2 connection', async () => {
    await attack('two statements in one query', async () => {
      const conn = await serverConnection(locate(stagingUri('canary_keep')) as never);
      try {
        await expect(conn.query('SELECT 1; DROP DATABASE canary_keep')).rejects.toThrow(/SQL syntax/);
      } finally {
        await conn.end();
      }
      expect(await schemasLike(staging, 'canary_keep')).toEqual(['canary_keep']);
    });
  });

  test.each(HOSTILE.map((n, i) => [JSON.stringify(n), i] as const))(
    'SQLite source table named %s: the copy refuses, nothing runs, the staging copy stays',
    async (shown, i) => {
      await attack(`SQLite table name ${shown}`, async () => {
        const target = path.join(stagingDir, 'homo_sapiens_core_110_1.sqlite');
        const before = sha(target);
        const res = await post('copy', {
          source_db_uri: sqliteUri(path.join(upstream, `hostile_${i}.sqlite`)),
          target_db_uri: sqliteUri(target),
          drop: true,
        });
        expect(res.status).toBe(201);
        expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'failed' });
        expect(await failure('copy', res.json.job_id)).toMatch(/^table name `.*` is not an identifier: letters, digits and _ only$/s);
        expect(sha(target)).toBe(before);
        expect(readdirSync(stagingDir).filter((f) => f.endsWith('.copying'))).toEqual([]);
      });
    },
  );

  test.each(HOSTILE.map((n, i) => [JSON.stringify(n), i] as const))(
    'MariaDB source table named %s: the copy refuses, nothing runs, no schema is made',
    async (shown, i) => {
      await attack(`MariaDB table name ${shown}`, async () => {
        const res = await post('copy', {
          source_db_uri: sourceUri(`hostile_m${i}`),
          target_db_uri: stagingUri(`hostile_m${i}`),
          drop: true,
        });
        expect(res.status).toBe(201);
        expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'failed' });
        expect(await failure('copy', res.json.job_id)).toMatch(/^table name `.*` is not an identifier: letters, digits and _ only$/s);
        expect(await schemasLike(staging, `hostile_m${i}`)).toEqual([]);
        expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
        expect(await tableDigest(source, `hostile_m${i}`)).toMatchObject({ canary: [expect.any(Number), 1] });
      });
    },
  );

  test('a source whose stored schema SQL carries a second statement: copied faithfully, the second statement never runs', async () => {
    await attack('schema SQL with an ATTACH and DROP appended', async () => {
      const target = path.join(stagingDir, 'crafted_core_110_1.sqlite');
      const res = await post('copy', {
        source_db_uri: sqliteUri(path.join(upstream, 'crafted_core_110_1.sqlite')),
        target_db_uri: sqliteUri(target),
      });
      expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'complete', output: { tables: { t: 2 } } });
      const db = new DatabaseSync(target, { readOnly: true });
      try {
        expect(
          db
            .prepare('SELECT a, b FROM t ORDER BY a')
            .all()
            .map((r) => ({ ...r })),
        ).toEqual([
          { a: 1, b: 2 },
          { a: 3, b: 4 },
        ]);
        expect(
          (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as Array<{ name: string }>).map((r) => r.name),
        ).toEqual(['t_a']);
      } finally {
        db.close();
      }
      const canary = new DatabaseSync(path.join(elsewhere, 'canary.sqlite'), { readOnly: true });
      try {
        expect(canary.prepare('SELECT count(*) AS n FROM canary').get()).toMatchObject({ n: 2 });
      } finally {
        canary.close();
      }
    });
  });

  test('the healthcheck reports a hostile table name as a failed check, and never uses it', async () => {
    for (const [uri, what] of [
      [sqliteUri(path.join(upstream, 'hostile_0.sqlite')), 'SQLite'],
      [sourceUri('hostile_m1'), 'MariaDB'],
    ] as const) {
      await attack(`healthcheck of a ${what} database with a hostile table name`, async () => {
        const res = await post('healthcheck', { db_uri: uri });
        const done = await finished('healthcheck', res.json.job_id);
        expect(done.status).toBe('complete');
        expect(done.output.status).toBe('failed');
        expect(done.output.results.TableIntegrity).toEqual({
          status: 'failed',
          messages: [expect.stringMatching(/^table name `x.; DROP TABLE canary; --` is not an identifier: letters, digits and _ only$/)],
        });
      });
    }
  });

  test('a dump of a database with a hostile table name is refused before anything is removed', async () => {
    await attack('dump of a database with a hostile table name', async () => {
      const folder = path.join(stack.dumpsDir, 'hostile_2');
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, 'previous.tsv'), 'kept\n');
      const res = await call('event', 'POST', '/jobs', {
        type: 'other',
        genome: 'hostile',
        details: { database_uri: sqliteUri(path.join(upstream, 'hostile_2.sqlite')) },
      });
      expect(res.status).toBe(200);
      const id = res.json.processes[0].job;
      const done = await waitFor(
        async () =>
          ((j) => (['complete', 'failed'].includes(j.status) ? j : undefined))((await call('event', 'GET', `/jobs/dump/${id}`)).json),
        30_000,
        'the dump',
      );
      expect(done.status).toBe('failed');
      expect(readdirSync(folder)).toEqual(['previous.tsv']);
    });
  });
});

// ------------------------------------------------------------------ 2b. the source server may be the submitter's own

describe("a source server of the submitter's own runs nothing on staging", () => {
  // The definitions a copy writes from a hostile catalogue: tests/security/copy-definitions.test.ts.
  test(
    'a MERGE table whose rows would go into another staging database: the copy fails, that database is untouched, ' + 'no schema is made',
    async () => {
      await attack('source table defined as a MERGE table over another database', async () => {
        const before = await tableDigest(staging, 'merge_victim');
        expect(before).toEqual({ gene: [expect.any(Number), 2] });
        const res = await post('copy', { source_db_uri: sourceUri('merge_core_110_1'), target_db_uri: stagingUri('merge_core_110_1') });
        expect(res.status).toBe(201);
        expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'failed' });
        expect(await failure('copy', res.json.job_id)).toMatch(
          /^the source's table t cannot be copied: it uses ENGINE=MRG_MyISAM; a copy makes only InnoDB, MyISAM/,
        );
        expect(await tableDigest(staging, 'merge_victim')).toEqual(before);
        expect(await schemasLike(staging, 'merge\\_core%')).toEqual([]);
        expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
      });
    },
  );

  test('a database with every kind of value, strings that look like SQL included, is copied exactly', async () => {
    const name = 'types_core_110_1';
    const res = await post('copy', { source_db_uri: sourceUri(name), target_db_uri: stagingUri(name) });
    expect(await finished('copy', res.json.job_id)).toMatchObject({
      status: 'complete',
      output: { tables: { child: 2, everything: 3002 } },
    });
    expect(await tableDigest(staging, name)).toEqual(await tableDigest(source, name));
    for (const table of ['everything', 'child']) {
      const [a] = await sql<Array<Record<string, string>>>(source, `SHOW CREATE TABLE ${q(name)}.${q(table)}`);
      const [b] = await sql<Array<Record<string, string>>>(staging, `SHOW CREATE TABLE ${q(name)}.${q(table)}`);
      expect(b['Create Table']).toBe(a['Create Table']);
    }
    const row = async (m: MariaDbSettings) =>
      (
        await sql<Array<Record<string, unknown>>>(
          m,
          `SELECT HEX(bl) AS bl, HEX(bin) AS bin, t, s, u, i, d, u8, l1, ST_AsText(geo) AS geo, j FROM ${q(name)}.everything WHERE id = 1`,
        )
      )[0];
    expect(await row(staging)).toEqual(await row(source));
    expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
  });
});

// ------------------------------------------------------------------ 3. atomic replace

describe('replace atomically', () => {
  test('a SQLite copy killed while it runs leaves the previous staging copy exactly as it was', async () => {
    await attack('killed SQLite copy over an existing target', async () => {
      const target = path.join(stagingDir, 'replace_core_110_1.sqlite');
      const first = await post('copy', {
        source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
        target_db_uri: sqliteUri(target),
      });
      expect(await finished('copy', first.json.job_id)).toMatchObject({ status: 'complete' });
      const before = { sha: sha(target), mode: statSync(target).mode, ino: statSync(target).ino };
      // Chosen tables (skip_tables): copied table by table, long enough for the kill to land (prompt-kill.test.ts kills a whole-file copy).
      const killed = await post('copy', {
        source_db_uri: sqliteUri(path.join(upstream, 'big_core_110_1.sqlite')),
        target_db_uri: sqliteUri(target),
        drop: true,
        skip_tables: ['meta'],
      });
      expect((await job('copy', killed.json.job_id)).status).toBe('running');
      expect((await call('copy', 'DELETE', `/jobs/${killed.json.job_id}?kill=1`)).status).toBe(204);
      expect(await failure('copy', killed.json.job_id)).toBe('the job was killed');
      expect({ sha: sha(target), mode: statSync(target).mode, ino: statSync(target).ino }).toEqual(before);
      expect(readdirSync(stagingDir).filter((f) => f.includes('replace_core_110_1'))).toEqual(['replace_core_110_1.sqlite']);
    });
  });

  test('a MariaDB copy killed while it runs leaves the previous staging copy exactly as it was', async () => {
    await attack('killed MariaDB copy over an existing target', async () => {
      const name = 'felis_catus_core_110_5';
      const first = await post('copy', { source_db_uri: sourceUri(name), target_db_uri: stagingUri(name) });
      expect(await finished('copy', first.json.job_id)).toMatchObject({ status: 'complete', output: { tables: { gene: 2000 } } });
      const before = await tableDigest(staging, name);
      const killed = await post('copy', {
        source_db_uri: sourceUri('felis_catus_core_111_5'),
        target_db_uri: stagingUri(name),
        drop: true,
      });
      // Kill once the dump is loading into the temporary schema.
      await waitFor(async () => (await schemasLike(staging, 'handover\\_tmp\\_%')).length > 0 || undefined, 30_000, 'the temporary schema');
      await new Promise((r) => setTimeout(r, 300));
      expect((await job('copy', killed.json.job_id)).status).toBe('running');
      expect((await call('copy', 'DELETE', `/jobs/${killed.json.job_id}?kill=1`)).status).toBe(204);
      expect(await failure('copy', killed.json.job_id)).toBe('the job was killed');
      expect(await tableDigest(staging, name)).toEqual(before);
      expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
    });
  });

  test('MariaDB replace: one RENAME swaps the new copy in; the old tables go, and drop is still required', async () => {
    const name = 'felis_catus_core_110_5';
    await sql(staging, `CREATE TABLE ${q(name)}.old_only (id INT)`);
    const refusedJob = await post('copy', { source_db_uri: sourceUri(name), target_db_uri: stagingUri(name) });
    expect(await finished('copy', refusedJob.json.job_id)).toMatchObject({ status: 'failed' });
    expect(await failure('copy', refusedJob.json.job_id)).toBe(`target database ${name} exists; submit with drop to replace it`);
    const res = await post('copy', { source_db_uri: sourceUri(name), target_db_uri: stagingUri(name), drop: true });
    expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'complete' });
    expect(Object.keys((await tableDigest(staging, name)) as object)).toEqual([
      'exon',
      'exon_transcript',
      'gene',
      'meta',
      'seq_region',
      'transcript',
    ]);
    expect(await tableDigest(staging, name)).toEqual(await tableDigest(source, name));
    expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
  });

  test("a crashed copy's leftovers (temporary file, temporary schemas) are cleared by the next copy of that target", async () => {
    const file = path.join(stagingDir, 'leftover_core_110_1.sqlite');
    writeFileSync(`${path.join(stagingDir, '.leftover_core_110_1.sqlite.copying')}`, 'half a copy');
    const sqliteJob = await post('copy', {
      source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
      target_db_uri: sqliteUri(file),
    });
    expect(await finished('copy', sqliteJob.json.job_id)).toMatchObject({ status: 'complete' });
    expect(readdirSync(stagingDir).filter((f) => f.includes('leftover'))).toEqual(['leftover_core_110_1.sqlite']);

    const { temp, backup } = workSchemas(locate(stagingUri('leftover_core_110_1')) as never);
    for (const s of [temp.name, backup.name]) await sql(staging, `CREATE DATABASE ${q(s)}`);
    const mysqlJob = await post('copy', {
      source_db_uri: sourceUri('felis_catus_core_110_5'),
      target_db_uri: stagingUri('leftover_core_110_1'),
    });
    expect(await finished('copy', mysqlJob.json.job_id)).toMatchObject({ status: 'complete' });
    expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
  });

  test('symbolic links planted at the temporary names are never written through: the copy works in a private 0700 folder', async () => {
    await attack('SQLite temporary file or journal replaced by a symbolic link while the copy runs', async () => {
      const base = 'planted_core_110_1.sqlite';
      const target = path.join(stagingDir, base);
      const notes = path.join(elsewhere, 'notes.txt');
      const notesBefore = sha(notes);
      // Links where older copies wrote their temporary file and its journal: to a file outside staging and to a new name there.
      const plant = () => {
        for (const [name, to] of [
          [`.${base}.copying`, notes],
          [`.${base}.copying-journal`, path.join(elsewhere, 'planted-journal')],
          [`.${base}.copying-wal`, path.join(elsewhere, 'planted-wal')],
        ]) {
          rmSync(path.join(stagingDir, name), { force: true });
          symlinkSync(to, path.join(stagingDir, name));
        }
      };
      plant();
      const policy = { roots: parseTargetRoots(`sqlite:///${stagingDir}/`), protectedDirs: [dataDir] };
      // Both ways a SQLite copy is made: the whole file (cp), and chosen tables one by one (with a journal).
      const ways: Array<[{ skip_tables?: string[] }, string]> = [
        [{}, base],
        [{ skip_tables: ['meta'] }, `${base},${base}-journal`],
      ];
      for (const [chosen, files] of ways) {
        const seen: string[] = [];
        const out = await copyDatabase(
          {
            source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
            target_db_uri: sqliteUri(target),
            drop: true,
            ...chosen,
          },
          {
            policy,
            progress: () => {
              // Planted again between the copy's start and its first write, as a racing attacker would.
              plant();
              for (const f of readdirSync(stagingDir).filter(
                (f) => f.startsWith(`.${base}.copying-`) && lstatSync(path.join(stagingDir, f)).isDirectory(),
              )) {
                seen.push(
                  `${f.replace(/-[^-]+$/, '-XXXXXX')} ${(statSync(path.join(stagingDir, f)).mode & 0o777).toString(8)}` +
                    ` ${readdirSync(path.join(stagingDir, f)).sort().join(',')}`,
                );
              }
            },
          },
        );
        expect(out.tables).toMatchObject({ gene: 200 });
        expect(new Set(seen)).toEqual(new Set([`.${base}.copying-XXXXXX 700 ${files}`]));
      }
      expect(sha(notes)).toBe(notesBefore);
      expect(existsSync(path.join(elsewhere, 'planted-journal'))).toBe(false);
      expect(existsSync(path.join(elsewhere, 'planted-wal'))).toBe(false);
      expect(lstatSync(target).isFile()).toBe(true);
      const db = new DatabaseSync(target, { readOnly: true });
      try {
        expect(db.prepare('SELECT count(*) AS n FROM gene').get()).toMatchObject({ n: 200 });
      } finally {
        db.close();
      }
      // The private folder is gone; the planted links are still links (nothing was written through them), and the next copy clears them.
      const left = readdirSync(stagingDir).filter((f) => f.startsWith(`.${base}`));
      expect(left.sort()).toEqual([`.${base}.copying`, `.${base}.copying-journal`, `.${base}.copying-wal`]);
      for (const f of left) expect(lstatSync(path.join(stagingDir, f)).isSymbolicLink()).toBe(true);
      await copyDatabase(
        { source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')), target_db_uri: sqliteUri(target), drop: true },
        { policy },
      );
      expect(readdirSync(stagingDir).filter((f) => f.startsWith(`.${base}`))).toEqual([]);
      expect(sha(notes)).toBe(notesBefore);
    });
  });

  test('one copy per target: a second job for the same target waits for the first, then runs', async () => {
    const target = sqliteUri(path.join(stagingDir, 'mutex_core_110_1.sqlite'));
    // Chosen tables: a copy table by table, long enough for the second job to meet the first.
    const body = {
      source_db_uri: sqliteUri(path.join(upstream, 'big_core_110_1.sqlite')),
      target_db_uri: target,
      drop: true,
      skip_tables: ['meta'],
    };
    const a = await post('copy', body);
    const b = await post('copy', body);
    const waiting = await job('copy', b.json.job_id);
    expect(waiting.progress).toEqual({ waiting: expect.stringMatching(/another copy to the same target is running/) });
    expect((await job('copy', a.json.job_id)).status).toBe('running');
    const [doneA, doneB] = [await finished('copy', a.json.job_id), await finished('copy', b.json.job_id)];
    expect([doneA.status, doneB.status]).toEqual(['complete', 'complete']);
    expect(readdirSync(stagingDir).filter((f) => f.includes('mutex_core'))).toEqual(['mutex_core_110_1.sqlite']);
  });
});

// ------------------------------------------------------------------ 4. secrets at rest

/** Every byte under a folder, file by file. */
const rawFiles = (root: string): Array<[string, Buffer]> =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .map((f) => [f, readFileSync(f)]);

describe('no password at rest', () => {
  test('job stores are 0600 in 0700 folders and hold no password; the job view shows none', async () => {
    // Jobs with passwords on every service.
    const hc = await post('healthcheck', { db_uri: sourceUri('felis_catus_core_110_5'), hc_groups: ['meta'] });
    const md = await post('metadata', {
      database_uri: stagingUri('felis_catus_core_110_5'),
      email: 'c@example.org',
      comment: 'x',
      source: 'Handover',
    });
    const ev = await call('event', 'POST', '/jobs', {
      type: 'other',
      genome: 'felis_catus',
      details: { database_uri: stagingUri('felis_catus_core_110_5') },
    });
    expect([hc.status, md.status, ev.status]).toEqual([201, 201, 200]);
    expect(await finished('healthcheck', hc.json.job_id)).toMatchObject({
      status: 'complete',
      input: { db_uri: expect.stringContaining(':***@') },
    });
    expect(await finished('metadata', md.json.job_id)).toMatchObject({ status: 'complete' });
    await waitFor(
      async () =>
        ['complete', 'failed'].includes((await call('event', 'GET', `/jobs/dump/${ev.json.processes[0].job}`)).json.status) || undefined,
      30_000,
      'the dump',
    );
    await attack('passwords in the raw job store files', () => {
      const files = rawFiles(dataDir);
      expect(files.map(([f]) => path.basename(f))).toEqual(
        expect.arrayContaining(['copy-jobs.sqlite', 'copy-jobs.sqlite-wal', 'metadata.sqlite', 'secret.key']),
      );
      for (const [file, bytes] of files) {
        for (const password of [
          source.password,
          staging.password,
          encodeURIComponent(source.password),
          encodeURIComponent(staging.password),
        ]) {
          expect({ file, holds: bytes.includes(password) }).toEqual({ file, holds: false });
        }
      }
    });
    await attack('world-readable job stores and data folders', () => {
      for (const d of [dataDir, path.join(dataDir, 'jobs'), path.join(dataDir, 'dumps')])
        expect([d, (statSync(d).mode & 0o777).toString(8)]).toEqual([d, '700']);
      const stores = readdirSync(path.join(dataDir, 'jobs')).filter((f) => /\.sqlite(-wal|-shm|-journal)?$/.test(f));
      expect(stores.length).toBeGreaterThanOrEqual(10);
      for (const f of [...stores.map((s) => path.join(dataDir, 'jobs', s)), path.join(dataDir, 'secret.key')])
        expect([f, (statSync(f).mode & 0o777).toString(8)]).toEqual([f, '600']);
    });
    for (const [service, list] of [
      ['healthcheck', '/jobs'],
      ['copy', '/jobs'],
      ['metadata', '/jobs'],
    ] as const) {
      const text = JSON.stringify((await call(service, 'GET', list)).json);
      expect(text).not.toContain(source.password);
      expect(text).not.toContain(staging.password);
    }
  });

  test('a password holding @ (or spaces) is hidden whole: in messages, job views, lists, failures and files', async () => {
    await attack('password with @ half shown', async () => {
      expect(safe('mysql://u:hunter@2secret@host/db')).toBe('mysql://u:***@host/db');
      expect(safe('mysql://u:hunter@2secret@host:3306/db_core_1')).toBe('mysql://u:***@host:3306/db_core_1');
      expect(safe('mysql://u:a b@c@host/db')).toBe('mysql://u:***@host/db');
      expect(safe('mysql://u:p/w@d@host/db')).toBe('mysql://u:***@host/db'); // the parser refuses it: up to the last @
      expect(safe('could not reach mysql://u:hunter@2secret@h:1/a_core_1: refused; also mysql+pymysql://v:x@y@z/b')).toBe(
        'could not reach mysql://u:***@h:1/a_core_1: refused; also mysql+pymysql://v:***@z/b',
      );
      expect(safe('mysql://u@host/db')).toBe('mysql://u@host/db');
      expect(safe('sqlite:////data/x@y.sqlite')).toBe('sqlite:////data/x@y.sqlite');
      expect(redact({ a: ['mysql://u:p@q@h/db'], b: { c: 'mysql://u:p@h/db' } })).toEqual({
        a: ['mysql://u:***@h/db'],
        b: { c: 'mysql://u:***@h/db' },
      });
      expect(locate('mysql://u:hunter@2secret@host/db')).toMatchObject({ user: 'u', password: 'hunter@2secret', host: 'host' });

      // Through a service: a healthcheck of a database with such a password (the server refuses the login).
      const uri = `mysql://${staging.user}:hunter@2secret@${staging.host}:${staging.port}/canary_keep`;
      const res = await post('healthcheck', { db_uri: uri, hc_groups: ['meta'] });
      expect(res.status).toBe(201);
      const done = await finished('healthcheck', res.json.job_id);
      expect(done.input.db_uri).toBe(`mysql://${staging.user}:***@${staging.host}:${staging.port}/canary_keep`);
      const shown = JSON.stringify([done, (await call('healthcheck', 'GET', '/jobs')).json, await failure('healthcheck', res.json.job_id)]);
      expect(shown).not.toContain('2secret');
      expect(shown).not.toContain('hunter');
      for (const [file, bytes] of rawFiles(dataDir))
        expect({ file, holds: bytes.includes('2secret') || bytes.includes('hunter') }).toEqual({ file, holds: false });
    });
  });

  test('a job with a sealed password resumes after a restart; with another key it fails, saying why', async () => {
    const crashDir = path.join(dir, 'crash');
    const storeFile = path.join(crashDir, 'jobs', 'healthcheck-jobs.sqlite');
    const input = { db_uri: sourceUri('felis_catus_core_110_5'), hc_groups: ['meta'] };
    // A job a crash left running: its input, password included, sealed with the stack's key file.
    const store = new JobStore(storeFile, stackSealer({ dataDir: crashDir }));
    const { job: crashed } = store.create('healthcheck', input, 'crash-1');
    store.update(crashed.id, { status: 'running' });
    store.close();
    for (const [f, bytes] of rawFiles(crashDir)) expect({ f, holds: bytes.includes(source.password) }).toEqual({ f, holds: false });
    const resumed = await startLocalStack({ sourceRoots: testStackSourceRoots(), dataDir: crashDir, ports: PORTS });
    try {
      await resumed.services.healthcheck.runner.idle();
      expect(resumed.services.healthcheck.store.get(crashed.id)).toMatchObject({
        status: 'complete',
        output: { status: 'passed', results: { DatabaseOpens: { status: 'passed' } } },
      });
    } finally {
      await resumed.close();
    }
    // Another, under a stack started with another key: it cannot be unsealed, and says so.
    const again = new JobStore(storeFile, stackSealer({ dataDir: crashDir }));
    const { job: other } = again.create('healthcheck', input, 'crash-2');
    again.update(other.id, { status: 'running' });
    again.close();
    const rekeyed = await startLocalStack({
      sourceRoots: testStackSourceRoots(),
      dataDir: crashDir,
      ports: PORTS,
      secretKey: 'another-key-0123456789',
    });
    try {
      await rekeyed.services.healthcheck.runner.idle();
      expect(rekeyed.services.healthcheck.store.get(other.id)).toMatchObject({
        status: 'failed',
        failure: expect.stringMatching(/sealed input cannot be opened/),
      });
    } finally {
      await rekeyed.close();
    }
  });

  test('a job store written before sealing loses its plaintext passwords when the stack starts', async () => {
    await attack('plaintext passwords left in an old job store', async () => {
      const oldDir = path.join(dir, 'old');
      mkdirSync(path.join(oldDir, 'jobs'), { recursive: true });
      const file = path.join(oldDir, 'jobs', 'copy-jobs.sqlite');
      const db = new DatabaseSync(file);
      db.exec(`PRAGMA journal_mode = WAL; CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, idem_key TEXT UNIQUE, kind TEXT NOT NULL, input TEXT NOT NULL,
        status TEXT NOT NULL, output TEXT, failure TEXT, progress TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
      db.prepare("INSERT INTO jobs (kind, input, status, failure, created_at, updated_at) VALUES ('copy', ?, 'failed', ?, 'x', 'x')").run(
        JSON.stringify({ source_db_uri: sourceUri('a_core_1'), target_db_uri: stagingUri('a_core_1') }),
        `could not reach ${stagingUri('a_core_1')}`,
      );
      db.close();
      chmodSync(file, 0o644);
      expect(readFileSync(file).includes(staging.password)).toBe(true);
      const s = await startLocalStack({ sourceRoots: testStackSourceRoots(), dataDir: oldDir, ports: PORTS });
      try {
        expect((await call('copy', 'GET', '/jobs/1', undefined, {}, s)).json.input.target_db_uri).toContain(':***@');
        expect(s.services.copy.store.inputOf(s.services.copy.store.get(1)!).target_db_uri).toBe(stagingUri('a_core_1'));
      } finally {
        await s.close();
      }
      for (const [f, bytes] of rawFiles(oldDir)) expect({ f, holds: bytes.includes(staging.password) }).toEqual({ f, holds: false });
      expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    });
  });
});

// ------------------------------------------------------------------ 5. authentication

describe('a token, when configured, is required on every route', () => {
  const TOKEN = 'local-stack-token-0123456789';
  let guarded: LocalStack;
  beforeAll(async () => {
    guarded = await startLocalStack({
      sourceRoots: testStackSourceRoots(),
      dataDir: path.join(dir, 'guarded'),
      ports: PORTS,
      token: TOKEN,
    });
  });
  afterAll(async () => guarded?.close());

  test('no token, a wrong one, or another scheme: 401; the right one: served', async () => {
    const routes: Array<[StackService, string, string, unknown?]> = [
      ['healthcheck', 'POST', '/jobs', { db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')) }],
      ['healthcheck', 'GET', '/jobs'],
      ['healthcheck', 'GET', '/jobs/1'],
      ['healthcheck', 'DELETE', '/jobs/1'],
      ['healthcheck', 'GET', '/health'],
      [
        'copy',
        'POST',
        '/jobs',
        {
          source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
          target_db_uri: sqliteUri(path.join(stagingDir, 'guarded_core_1.sqlite')),
        },
      ],
      ['metadata', 'GET', '/jobs'],
      ['event', 'POST', '/jobs', { type: 'other', genome: 'x' }],
      ['event', 'GET', '/jobs/dump/1'],
      ['event', 'DELETE', '/jobs/dump/1'],
      ['copy', 'GET', '/no/such/route'],
    ];
    for (const [service, method, route, body] of routes) {
      for (const [what, headers] of [
        ['no token', {}],
        ['a wrong token', { authorization: `Bearer ${TOKEN}x` }],
        ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, 10)}` }],
        ['basic auth', { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` }],
      ] as Array<[string, Record<string, string>]>) {
        await attack(`${method} ${service}${route} with ${what}`, async () => {
          const before = jobs(service, guarded);
          const res = await call(service, method, route, body, headers, guarded);
          expect({ status: res.status, error: typeof res.json?.error }).toEqual({ status: 401, error: 'string' });
          expect(jobs(service, guarded)).toBe(before);
        });
      }
    }
    const ok = await call('healthcheck', 'POST', '/jobs', routes[0][3], { authorization: `Bearer ${TOKEN}` }, guarded);
    expect(ok.status).toBe(201);
    expect(
      (await call('healthcheck', 'GET', `/jobs/${ok.json.job_id}`, undefined, { authorization: `bearer ${TOKEN}` }, guarded)).status,
    ).toBe(200);
    expect(
      (await call('event', 'POST', '/jobs', { type: 'nothing', genome: 'x' }, { authorization: `Bearer ${TOKEN}` }, guarded)).status,
    ).toBe(200);
    await expect(
      startLocalStack({ sourceRoots: testStackSourceRoots(), dataDir: path.join(dir, 'short'), ports: PORTS, token: 'short' }),
    ).rejects.toThrow(/at least 16 characters/);
  });
});

// ------------------------------------------------------------------ 5b. open services: loopback only

/** A request with a Host header of our choosing (fetch sets its own), or with none. */
function withHost(
  url: string,
  method: string,
  host: string | undefined,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const u = new URL(url);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method,
        setHost: false,
        headers: {
          ...(host !== undefined ? { host } : {}),
          ...(text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {}),
        },
      },
      (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode!, json: data ? (JSON.parse(data) as Record<string, unknown>) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

describe('open services (no token) answer only requests to a loopback name; other hosts need a token', () => {
  test('a Host that is not localhost, 127.x.x.x or [::1]: 421 and no job, on every service (DNS rebinding)', async () => {
    const refusedHosts = [
      'evil.example',
      'evil.example:4002',
      '127.0.0.1.nip.io',
      'localhost.evil.example',
      'evil-localhost',
      '10.0.0.5',
      '192.168.1.20:4001',
      '0.0.0.0',
      '[::2]',
      '[::ffff:10.0.0.1]',
      '127.0.0.1:4002@evil.example',
      '',
      undefined,
    ];
    const routes: Array<[StackService, string, string, unknown?]> = [
      ['healthcheck', 'POST', '/jobs', { db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')) }],
      [
        'copy',
        'POST',
        '/jobs',
        {
          source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
          target_db_uri: sqliteUri(path.join(stagingDir, 'rebound_core_1.sqlite')),
        },
      ],
      ['copy', 'GET', '/jobs'],
      ['copy', 'DELETE', '/jobs/1'],
      ['metadata', 'GET', '/jobs/1'],
      ['event', 'POST', '/jobs', { type: 'other', genome: 'x' }],
      ['event', 'GET', '/health'],
      ['healthcheck', 'GET', '/no/such/route'],
    ];
    for (const host of refusedHosts) {
      for (const [service, method, route, body] of routes) {
        await attack(`${method} ${service}${route} with Host ${JSON.stringify(host)}`, async () => {
          const before = jobs(service);
          const res = await withHost(`${stack.urls[service]}${route}`, method, host, body);
          // No Host header at all: Node's HTTP server answers 400 itself.
          if (host === undefined) expect(res.status).toBe(400);
          else expect({ status: res.status, error: typeof res.json?.error }).toEqual({ status: 421, error: 'string' });
          expect(jobs(service)).toBe(before);
        });
      }
    }
    for (const host of ['localhost', 'LOCALHOST:4002', 'localhost.', '127.0.0.1', '127.0.0.1:80', '127.1.2.3:9', '[::1]', '[::1]:4003']) {
      expect({ host, status: (await withHost(`${stack.urls.copy}/jobs`, 'GET', host)).status }).toEqual({ host, status: 200 });
    }
    expect(isLoopbackHostHeader('[0:0:0:0:0:0:0:1]:1')).toBe(true);
    expect(isLoopbackHostHeader('127.256.0.1')).toBe(false);
  });

  test('listening on another address than the loopback needs a token; with one, any Host is served to the bearer', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.org']) {
      expect(isLoopbackHost(host)).toBe(false);
      await attack(`services listening on ${host} with no token`, async () => {
        await expect(
          startLocalStack({ sourceRoots: testStackSourceRoots(), dataDir: path.join(dir, 'exposed'), ports: PORTS, host }),
        ).rejects.toThrow(/LOCAL_STACK_HOST .* is not a loopback address.*set LOCAL_STACK_TOKEN/);
      });
    }
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) expect(isLoopbackHost(host)).toBe(true);
    const TOKEN = 'local-stack-token-abcdef0123456789';
    const exposed = await startLocalStack({
      sourceRoots: testStackSourceRoots(),
      dataDir: path.join(dir, 'exposed'),
      ports: PORTS,
      host: '0.0.0.0',
      token: TOKEN,
    });
    try {
      const url = exposed.urls.copy.replace('0.0.0.0', '127.0.0.1');
      const u = new URL(url);
      const get = (host: string, auth?: string) =>
        new Promise<number>((resolve, reject) => {
          const req = http.request(
            { hostname: u.hostname, port: u.port, path: '/jobs', headers: { host, ...(auth ? { authorization: auth } : {}) } },
            (res) => {
              res.resume();
              resolve(res.statusCode!);
            },
          );
          req.on('error', reject);
          req.end();
        });
      expect(await get('services.example.org:4002', `Bearer ${TOKEN}`)).toBe(200);
      expect(await get('services.example.org:4002')).toBe(401);
      expect(await get('localhost')).toBe(401);
    } finally {
      await exposed.close();
    }
  });
});

// ------------------------------------------------------------------ 6. dumps stay in the dumps folder

describe('dumps stay inside the dumps folder', () => {
  test('an event naming a database whose name escapes is refused (400, no job), and nothing outside dumps is removed', async () => {
    const escapes: Array<[string, string, RegExp]> = [
      ['a database file ...sqlite (name ..)', sqliteUri(path.join(dataDir, '...sqlite')), /database name `\.\.` is not an identifier/],
      ['a database file ..sqlite (name .)', sqliteUri(path.join(dataDir, '..sqlite')), /database name `\.` is not an identifier/],
      ['a MariaDB database named ..', `${stagingUri('')}%2e%2e`, /names no database/],
      ['a MariaDB database named ../../x', `${stagingUri('')}..%2F..%2Fx`, /not an identifier/],
      ['an encoded path escape', `sqlite:///${dataDir}/x/..%2F..%2Fservices.sqlite`, /absolute and normal/],
    ];
    for (const [name, uri, message] of escapes) {
      await attack(`dump: ${name}`, async () => {
        const before = jobs('event');
        const res = await call('event', 'POST', '/jobs', { type: 'new_assembly', genome: 'g', details: { database_uri: uri } });
        expect(res).toEqual({ status: 400, json: { error: expect.stringMatching(message) } });
        expect(jobs('event')).toBe(before);
      });
    }
    await attack('dump called directly with a database named ..', async () => {
      writeFileSync(path.join(dataDir, '...sqlite'), '');
      await expect(dumpDatabase(sqliteUri(path.join(dataDir, '...sqlite')), stack.dumpsDir)).rejects.toThrow(/not an identifier/);
      expect(
        readdirSync(path.join(dataDir, 'jobs'))
          .filter((f) => f.endsWith('-jobs.sqlite'))
          .sort(),
      ).toEqual(['copy-jobs.sqlite', 'event-jobs.sqlite', 'healthcheck-jobs.sqlite', 'metadata-jobs.sqlite']);
    });
    await attack('dump over a symbolic link planted in the dumps folder', async () => {
      const link = path.join(stack.dumpsDir, 'homo_sapiens_core_111_1');
      symlinkSync(path.join(elsewhere, 'sub'), link);
      const out = await dumpDatabase(sqliteUri(path.join(upstream, 'homo_sapiens_core_111_1.sqlite')), stack.dumpsDir);
      expect(out.files).toContain('gene.tsv');
      expect(lstatSync(link).isDirectory()).toBe(true);
      expect(readdirSync(path.join(elsewhere, 'sub'))).toEqual(['deep.txt']);
    });
  });
});

// ------------------------------------------------------------------ bounded input: always a 4xx with a message

describe('hostile input gets a 4xx with a message, never a 500', () => {
  const longUri = (kb: number) => `mysql://u:p@${staging.host}:${staging.port}/${'a'.repeat(kb * 1024)}`;
  test('an 80 KB URI: 400 on every service', async () => {
    const cases: Array<[StackService, Record<string, unknown>]> = [
      ['healthcheck', { db_uri: longUri(80) }],
      ['copy', { source_db_uri: sourceUri('felis_catus_core_110_5'), target_db_uri: longUri(80), drop: true }],
      ['copy', { source_db_uri: longUri(80), target_db_uri: stagingUri('x_core_1') }],
      ['metadata', { database_uri: longUri(80) }],
      ['event', { type: 'other', genome: 'g', details: { database_uri: longUri(80) } }],
    ];
    for (const [service, body] of cases) {
      await attack(`80 KB URI to ${service}`, async () => {
        const before = jobs(service);
        const res = await call(service, 'POST', '/jobs', body);
        expect(res).toEqual({ status: 400, json: { error: expect.stringMatching(/longer than 2048 characters/) } });
        expect(jobs(service)).toBe(before);
      });
    }
  });

  test('bodies too large, too deep, of the wrong shape; lists too long; odd headers and ids', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000); // sent as text: too deep for JSON.stringify here
    const cases: Array<[string, StackService, string, string, unknown, Record<string, string>, number]> = [
      ['a 200 KB body', 'copy', 'POST', '/jobs', { source_db_uri: 'x', pad: 'p'.repeat(200 * 1024) }, {}, 413],
      ['a body nested 5000 levels', 'healthcheck', 'POST', '/jobs', deep, {}, 400],
      ['a body nested 5000 levels (event)', 'event', 'POST', '/jobs', `{"type":"other","genome":"g","details":${deep}}`, {}, 400],
      ['a JSON array body', 'copy', 'POST', '/jobs', [1, 2], {}, 400],
      ['a JSON string body', 'metadata', 'POST', '/jobs', '"just a string"', {}, 400],
      ['invalid JSON', 'copy', 'POST', '/jobs', '{"source_db_uri":', {}, 400],
      ['an unsupported content type', 'copy', 'POST', '/jobs', '<x/>', { 'content-type': 'application/xml' }, 415],
      ['a text/plain body', 'copy', 'POST', '/jobs', 'source_db_uri=x', { 'content-type': 'text/plain' }, 400],
      [
        '2000 only_tables',
        'copy',
        'POST',
        '/jobs',
        {
          source_db_uri: sourceUri('felis_catus_core_110_5'),
          target_db_uri: stagingUri('x_core_1'),
          only_tables: Array(2000).fill('gene'),
        },
        {},
        400,
      ],
      [
        'a hostile only_tables entry',
        'copy',
        'POST',
        '/jobs',
        { source_db_uri: sourceUri('felis_catus_core_110_5'), target_db_uri: stagingUri('x_core_1'), only_tables: ['gene`; DROP'] },
        {},
        400,
      ],
      [
        'only_tables not a list',
        'copy',
        'POST',
        '/jobs',
        { source_db_uri: sourceUri('felis_catus_core_110_5'), target_db_uri: stagingUri('x_core_1'), only_tables: 'gene' },
        {},
        400,
      ],
      [
        'drop not a boolean',
        'copy',
        'POST',
        '/jobs',
        { source_db_uri: sourceUri('felis_catus_core_110_5'), target_db_uri: stagingUri('x_core_1'), drop: 'yes' },
        {},
        400,
      ],
      ['a URI that is not a string', 'healthcheck', 'POST', '/jobs', { db_uri: { toString: 'x' } }, {}, 400],
      ['a URI with a bad percent escape', 'healthcheck', 'POST', '/jobs', { db_uri: `${stagingUri('')}%E0%A4%A` }, {}, 400],
      ['a URI of another scheme', 'healthcheck', 'POST', '/jobs', { db_uri: 'file:///etc/passwd' }, {}, 400],
      [
        'hc_names of 5000 items',
        'healthcheck',
        'POST',
        '/jobs',
        { db_uri: stagingUri('x_core_1'), hc_names: Array(5000).fill('MetaKeys') },
        {},
        400,
      ],
      [
        'a 1 KB idempotency key',
        'healthcheck',
        'POST',
        '/jobs',
        { db_uri: stagingUri('x_core_1') },
        { 'idempotency-key': 'k'.repeat(1024) },
        400,
      ],
      ['an event type of 10 KB', 'event', 'POST', '/jobs', { type: 't'.repeat(10_240), genome: 'g' }, {}, 400],
      ['event details that are not an object', 'event', 'POST', '/jobs', { type: 'other', genome: 'g', details: 'x' }, {}, 400],
      ['a job id beyond any integer', 'copy', 'GET', `/jobs/${'9'.repeat(40)}`, undefined, {}, 404],
      ['a job id of 500 characters', 'copy', 'GET', `/jobs/${'1'.repeat(500)}`, undefined, {}, 414],
      ['a negative job id', 'copy', 'DELETE', '/jobs/-1', undefined, {}, 404],
    ];
    for (const [name, service, method, route, body, headers, status] of cases) {
      await attack(`${name} (${service})`, async () => {
        const before = jobs(service);
        const res = await call(service, method, route, body, headers);
        expect({ status: res.status, error: typeof res.json?.error }).toEqual({ status, error: 'string' });
        expect(jobs(service)).toBe(before);
      });
    }
    for (const type of ['constructor', '__proto__', '_comment', 'toString']) {
      await attack(`event type ${type}`, async () => {
        const res = await call('event', 'POST', '/jobs', { type, genome: 'g' });
        expect(res).toMatchObject({ status: 200, json: { processes: [] } });
      });
    }
  });
});

// ------------------------------------------------------------------ the canary

test('after every attack the canary tree, the sources and the canary databases are exactly as they were', async () => {
  expect(await canaryDigest()).toBe(canaryBefore);
  expect(attacks.length).toBeGreaterThan(0);
  expect(attacks.filter((a) => !a.stopped)).toEqual([]);
});
