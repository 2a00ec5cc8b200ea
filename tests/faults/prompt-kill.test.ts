/**
 * A kill stops the work where it stands, and `DELETE /jobs/{id}` answers within seconds (issue #12), with the
 * local stack running as a real child process and real MariaDB servers (the jest global setup's source and
 * staging servers):
 *
 * (a) MariaDB statements of the job are stopped on the server: a healthcheck whose `CHECK TABLE` waits (on a
 *     table lock the test holds: without `KILL QUERY` it would wait as long as the lock is held), and a dump of
 *     a table of 1.5 million rows killed mid-table. Afterwards `information_schema.PROCESSLIST` shows no
 *     statement, and then no connection, of the job.
 * (b) A MariaDB copy killed while its loader is inserting rows: no loader connection is left on the staging
 *     server, no temporary or backup schema, no client process, and the target holds its previous copy.
 * (c) A SQLite copy of a ~600 MB single table killed mid-table: the DELETE is answered promptly (the table is
 *     copied by a connection in a child process, which the kill kills: it lands inside the table), the target
 *     is the previous copy, byte for byte, and no temporary file is left.
 *
 * Times are printed; only generous bounds are asserted (the machine is shared).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mysql from 'mysql2/promise';
import { workSchemas } from '../../services/copy/copy';
import type { MysqlLocation } from '../../services/db/uri';
import { MB, type StackProcess, bigSqliteTable, killStartedStacks, startStackProcess } from '../helpers/stack-process';
import { waitFor } from '../helpers/wait';

const NAME = 'promptkill_core_110_1';
const TABLE = 'dna_align_feature';
const ROWS = 1_500_000;
/** The generous bound on a DELETE's answer (what is measured is printed). */
const PROMPT_MS = 30_000;

interface MariaDbSettings {
  host: string;
  port: number;
  user: string;
  password: string;
}
/** The servers the jest global setup started (as tests/helpers/harness.ts reads them, without loading the harness). */
const mariadbSettings = (which: 'source' | 'staging') =>
  JSON.parse(process.env[which === 'source' ? 'TEST_MARIADB' : 'TEST_MARIADB_STAGING'] ?? 'null') as MariaDbSettings;
const mariadbUri = (m: MariaDbSettings, database: string) =>
  `mysql://${m.user}:${encodeURIComponent(m.password)}@${m.host}:${m.port}/${database}`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-prompt-kill-'));
let source: MariaDbSettings;
let staging: MariaDbSettings;
let stack: StackProcess;

async function query<T = Record<string, unknown>>(server: MariaDbSettings, sql: string, params: unknown[] = []): Promise<T[]> {
  const conn = await mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
  try {
    return (await conn.query(sql, params))[0] as T[];
  } finally {
    await conn.end();
  }
}

interface Session {
  ID: number;
  DB: string | null;
  COMMAND: string;
  TIME: number;
  STATE: string | null;
  INFO: string | null;
}
/** The server's connections whose default database is `db` (the test's own connection has none). */
const sessionsIn = (server: MariaDbSettings, db: string) =>
  query<Session>(
    server,
    'SELECT ID, DB, COMMAND, TIME, STATE, LEFT(INFO, 60) AS INFO FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> ' +
      'CONNECTION_ID()',
    [db],
  );
const show = (sessions: Session[]) =>
  sessions.length
    ? sessions.map((s) => `#${s.ID} ${s.COMMAND} ${s.STATE ?? ''} ${s.INFO ?? ''}`.replace(/\s+/g, ' ').trim()).join('; ')
    : 'none';

interface JobAnswer {
  id: number;
  status: string;
  progress?: { tables_done?: number; tables?: number; rows?: number } | null;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
const job = async (url: string) => (await fetch(url)).json() as Promise<JobAnswer>;
const failure = async (url: string) => ((await (await fetch(`${url}?format=failures`)).json()) as { msg: string }).msg;

/** DELETEs a job and measures how long the answer took (at most 2 minutes: an answer that never comes fails the test). */
async function kill(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { method: 'DELETE', signal: AbortSignal.timeout(120_000) });
  return { status: res.status, ms: performance.now() - started };
}

/** Direct children of a process (a copy that ran client programs would show them here). */
function childrenOf(pid: number): string[] {
  const out: string[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) {
      try {
        out.push(`${child}:${readFileSync(`/proc/${child}/comm`, 'utf8').trim()}`);
      } catch {
        // gone meanwhile
      }
    }
  }
  return out;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
  source = mariadbSettings('source');
  staging = mariadbSettings('staging');
  if (!source || !staging) throw new Error('the jest global setup did not start the MariaDB servers');
  // A big table on the source: 1.5 million rows of about 270 bytes (no secondary index: quick to make).
  const conn = await mysql.createConnection({
    host: source.host,
    port: source.port,
    user: source.user,
    password: source.password,
    multipleStatements: true,
  });
  try {
    await conn.query(
      `DROP DATABASE IF EXISTS ${NAME}; CREATE DATABASE ${NAME}; USE ${NAME};
      CREATE TABLE meta (meta_id INT PRIMARY KEY, species_id INT, meta_key VARCHAR(64), meta_value VARCHAR(255));
      INSERT INTO meta VALUES (1, NULL, 'schema_version', '110'), (2, 1, 'species.production_name', 'promptkill');
      CREATE TABLE ${TABLE} (id INT AUTO_INCREMENT PRIMARY KEY, seq_region_id INT NOT NULL, seq_region_start INT NOT NULL, ` +
        `seq_region_end INT NOT NULL,
        hit_name VARCHAR(40) NOT NULL, cigar_line TEXT) ENGINE=InnoDB;
      INSERT INTO ${TABLE} (seq_region_id, seq_region_start, seq_region_end, hit_name, cigar_line)
        SELECT seq % 5000, seq * 7 % 100000000, seq * 7 % 100000000 + 500, MD5(seq), REPEAT(CONCAT(seq % 90 + 10, 'M'), ` +
        `60) FROM seq_1_to_${ROWS};`,
    );
  } finally {
    await conn.end();
  }
  mkdirSync(path.join(dir, 'staging'), { recursive: true });
  stack = await startStackProcess(path.join(dir, 'stack'), {
    LOCAL_STACK_TARGET_ROOTS: `sqlite:///${dir}/staging/,mysql://${staging.host}:${staging.port}/`,
  });
}, 600_000);

afterAll(async () => {
  if (stack) await stack.stop().catch(() => undefined);
  killStartedStacks();
  rmSync(dir, { recursive: true, force: true });
  if (source) await query(source, `DROP DATABASE IF EXISTS ${NAME}`).catch(() => undefined);
  if (staging) await query(staging, `DROP DATABASE IF EXISTS ${NAME}`).catch(() => undefined);
}, 120_000);

test(
  '(a) a MariaDB healthcheck whose CHECK TABLE is waiting: ' + 'the DELETE answers in seconds and the statement is gone from the server',
  async () => {
    // The test holds a write lock on the table: the job's CHECK TABLE waits for it, a statement that runs as long as the lock is held.
    const lock = await mysql.createConnection({ host: source.host, port: source.port, user: source.user, password: source.password });
    try {
      await lock.query(`LOCK TABLES ${NAME}.${TABLE} WRITE`);
      const submitted = await post(`${stack.urls.healthcheck}/jobs`, { db_uri: mariadbUri(source, NAME), hc_names: ['TableIntegrity'] });
      expect(submitted.status).toBe(201);
      const url = `${stack.urls.healthcheck}/jobs/${submitted.json.job_id as number}`;
      const waiting = await waitFor(
        async () => (await sessionsIn(source, NAME)).find((s) => s.COMMAND === 'Query' && /^CHECK TABLE/.test(s.INFO ?? '')),
        60_000,
        'the healthcheck to be running CHECK TABLE',
      );
      await new Promise((r) => setTimeout(r, 1000)); // it has been waiting a while: nothing ends it but the kill
      const still = (await sessionsIn(source, NAME)).find((s) => s.ID === waiting.ID);
      console.log(
        `injected: LOCK TABLES ${TABLE} WRITE held by the test; healthcheck job ${submitted.json.job_id as number} ` +
          `runs: ${show(still ? [still] : [])}; then DELETE ${url}?kill=1`,
      );
      expect(still?.INFO).toMatch(/^CHECK TABLE/);

      const answer = await kill(`${url}?kill=1`);
      const right = await sessionsIn(source, NAME);
      const closed = await waitFor(
        async () => ((await sessionsIn(source, NAME)).length === 0 ? true : undefined),
        10_000,
        'the job to close its connection',
      ).catch(() => false);
      const ended = await job(url);
      const msg = await failure(url);
      console.log(
        `found: DELETE answered ${answer.status} in ${(answer.ms / 1000).toFixed(2)} s while the lock was still held; ` +
          `the job's connections in PROCESSLIST right after: ${show(right)}; all closed within 10 s: ${closed}; ` +
          `job ${ended.status} ("${msg}")`,
      );
      expect(answer.status).toBe(204);
      expect(answer.ms).toBeLessThan(PROMPT_MS);
      expect(right.filter((s) => s.COMMAND !== 'Sleep')).toEqual([]);
      expect(closed).toBe(true);
      expect(ended.status).toBe('failed');
      expect(msg).toBe('the job was killed');
    } finally {
      await lock.query('UNLOCK TABLES').catch(() => undefined);
      await lock.end();
    }
  },
  300_000,
);

test(
  '(a) a MariaDB dump of a table of 1.5 million rows killed mid-table: the DELETE answers in seconds, ' +
    'no statement is left on the server',
  async () => {
    const submitted = await post(`${stack.urls.event}/jobs`, {
      type: 'other',
      genome: 'promptkill',
      details: { database_uri: mariadbUri(source, NAME) },
    });
    expect(submitted.status).toBe(200);
    const id = (submitted.json.processes as Array<{ job: number }>)[0].job;
    const url = `${stack.urls.event}/jobs/dump/${id}`;
    const tsv = path.join(dir, 'stack', 'dumps', NAME, `${TABLE}.tsv`);
    const midway = await waitFor(
      async () => {
        const j = await job(url);
        if (j.status !== 'running') throw new Error(`the dump ended (${j.status}) before it could be killed`);
        return existsSync(tsv) && statSync(tsv).size > 4 * MB ? statSync(tsv).size : undefined;
      },
      120_000,
      'the dump to be writing the big table',
    );
    const during = await sessionsIn(source, NAME);
    console.log(
      `injected: DELETE ${url} while the dump of ${TABLE} (${ROWS} rows) is ${(midway / MB).toFixed(1)} MB into its TSV; ` +
        `the job's statement then: ${show(during)}`,
    );

    const answer = await kill(url);
    const right = await sessionsIn(source, NAME);
    const closed = await waitFor(
      async () => ((await sessionsIn(source, NAME)).length === 0 ? true : undefined),
      10_000,
      'the job to close its connection',
    ).catch(() => false);
    const ended = await job(url);
    const written = statSync(tsv).size;
    const lines = readFileSync(tsv, 'utf8').split('\n').length - 1;
    console.log(
      `found: DELETE answered ${answer.status} in ${(answer.ms / 1000).toFixed(2)} s; the job's connections in PROCESSLIST right ` +
        `after: ${show(right)}; all closed within 10 s: ${closed}; job ${ended.status}; the TSV stopped at ${(written / MB).toFixed(1)} ` +
        `MB (${lines} lines of ${ROWS + 1}), no CHECKSUMS: ${!existsSync(path.join(path.dirname(tsv), 'CHECKSUMS'))}`,
    );
    expect(answer.status).toBe(204);
    expect(answer.ms).toBeLessThan(PROMPT_MS);
    expect(right.filter((s) => s.COMMAND !== 'Sleep')).toEqual([]);
    expect(closed).toBe(true);
    expect(ended.status).toBe('failed');
    expect(lines).toBeLessThan(ROWS + 1);
    expect(existsSync(path.join(path.dirname(tsv), 'CHECKSUMS'))).toBe(false);
  },
  300_000,
);

test(
  '(b) a MariaDB copy killed mid-load: no loader connection, schema or client process is left, ' + 'and the target keeps its previous copy',
  async () => {
    const target: MysqlLocation = {
      engine: 'mysql',
      name: NAME,
      host: staging.host,
      port: staging.port,
      user: staging.user,
      password: staging.password,
    };
    const { temp, backup } = workSchemas(target);
    // The previous copy on staging: one table the new copy does not have.
    await query(staging, `DROP DATABASE IF EXISTS ${NAME}`);
    await query(staging, `CREATE DATABASE ${NAME}`);
    await query(staging, `CREATE TABLE ${NAME}.previous_copy (id INT PRIMARY KEY, note VARCHAR(40))`);
    await query(staging, `INSERT INTO ${NAME}.previous_copy VALUES (1, 'the previous copy'), (2, 'kept'), (3, 'whole')`);
    const previous = await query(staging, `SELECT * FROM ${NAME}.previous_copy ORDER BY id`);

    const submitted = await post(`${stack.urls.copy}/jobs`, {
      source_db_uri: mariadbUri(source, NAME),
      target_db_uri: mariadbUri(staging, NAME),
      drop: true,
    });
    expect(submitted.status).toBe(201);
    const url = `${stack.urls.copy}/jobs/${submitted.json.job_id as number}`;
    const loading = await waitFor(
      async () => {
        const j = await job(url);
        if (j.status !== 'running') throw new Error(`the copy ended (${j.status}) before it could be killed mid-load`);
        return (await sessionsIn(staging, temp.name)).find((s) => s.COMMAND === 'Query' && /^(INSERT INTO|LOAD DATA)/i.test(s.INFO ?? ''));
      },
      180_000,
      `the loader to be inserting into ${temp.name}`,
    );
    const clients = childrenOf(stack.pid).filter((c) => /mariadb|mysql/.test(c));
    const answer = await kill(`${url}?kill=1`);
    console.log(
      `injected: DELETE ${url}?kill=1 as soon as the loader was seen inserting into ${temp.name} (${show([loading])}); ` +
        `the service's client processes then: ${clients.join(', ') || 'none'}`,
    );
    const loaders = await sessionsIn(staging, temp.name);
    const schemas = (
      await query<{ name: string }>(
        staging,
        "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'handover\\_%'",
      )
    ).map((r) => r.name);
    const tables = (
      await query<{ name: string }>(
        staging,
        'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
        [NAME],
      )
    ).map((r) => r.name);
    const kept = await query(staging, `SELECT * FROM ${NAME}.previous_copy ORDER BY id`);
    const left = childrenOf(stack.pid).filter((c) => /mariadb|mysql/.test(c));
    const ended = await job(url);
    console.log(
      `found: DELETE answered ${answer.status} in ${(answer.ms / 1000).toFixed(2)} s; loader connections in ${temp.name} right ` +
        `after: ${show(loaders)}; handover_ schemas on staging: ${schemas.join(', ') || 'none'}; ` +
        `target tables: ${tables.join(', ')} (${kept.length} rows, as before: ${JSON.stringify(kept) === JSON.stringify(previous)}); ` +
        `client processes left: ${left.join(', ') || 'none'}; job ${ended.status}`,
    );
    expect(answer.status).toBe(204);
    expect(answer.ms).toBeLessThan(PROMPT_MS);
    expect(loaders).toEqual([]);
    expect(schemas.filter((s) => s === temp.name || s === backup.name)).toEqual([]);
    expect(tables).toEqual(['previous_copy']);
    expect(kept).toEqual(previous);
    expect(left).toEqual([]);
    expect(ended.status).toBe('failed');
    expect(await failure(url)).toBe('the job was killed');
  },
  600_000,
);

test(
  '(c) a SQLite copy of a 600 MB table killed mid-table: the DELETE answers promptly, the target is the previous copy, ' +
    'no temporary file is left',
  async () => {
    const upstream = path.join(dir, 'upstream');
    mkdirSync(upstream, { recursive: true });
    const src = path.join(upstream, 'bigcopy_core_110_1.sqlite');
    const { rows, fileBytes } = bigSqliteTable(src, 600 * MB);
    const stagingDir = path.join(dir, 'staging');
    const target = path.join(stagingDir, 'bigcopy_core_110_1.sqlite');
    const previous = new DatabaseSync(target);
    previous.exec(
      "CREATE TABLE previous_copy (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO previous_copy VALUES (1, 'the previous copy');",
    );
    previous.close();
    const before = sha256(target);

    // only_tables: table by table, INSERT ... SELECT in a child process (a copy of every table is a copy of the file: (d)).
    const submitted = await post(`${stack.urls.copy}/jobs`, {
      source_db_uri: `sqlite:///${src}`,
      target_db_uri: `sqlite:///${target}`,
      drop: true,
      only_tables: ['feature', 'meta'],
    });
    expect(submitted.status).toBe(201);
    const url = `${stack.urls.copy}/jobs/${submitted.json.job_id as number}`;
    // While the copy runs: how long the copy service takes to answer GET /health (its event loop's freedom).
    let polling = true;
    let slowest = 0;
    const poller = (async () => {
      while (polling) {
        const t = performance.now();
        await fetch(`${stack.urls.copy}/health`).catch(() => undefined);
        slowest = Math.max(slowest, performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const tempFile = () => {
      const folder = readdirSync(stagingDir).find((e) => e.startsWith('.bigcopy_core_110_1.sqlite.copying-'));
      const file = folder && path.join(stagingDir, folder, 'bigcopy_core_110_1.sqlite');
      return file && existsSync(file) ? statSync(file).size : undefined;
    };
    const midway = await waitFor(
      async () => {
        const j = await job(url);
        if (j.status !== 'running') throw new Error(`the copy ended (${j.status}) before it could be killed mid-table`);
        const size = tempFile();
        return size !== undefined && size > fileBytes / 10 ? size : undefined;
      },
      180_000,
      'the copy to be a tenth into the big table',
    );
    console.log(
      `injected: a SQLite source of ${(fileBytes / MB).toFixed(0)} MB (table feature: ${rows} rows, copied first; ` +
        `then meta) over a previous copy; DELETE ${url}?kill=1 when the temporary file was ${(midway / MB).toFixed(0)} MB`,
    );
    const answer = await kill(`${url}?kill=1`);
    polling = false;
    await poller;
    const ended = await job(url);
    const entries = readdirSync(stagingDir).filter((e) => e.includes('bigcopy_core_110_1'));
    const after = sha256(target);
    console.log(
      `found: DELETE answered ${answer.status} in ${(answer.ms / 1000).toFixed(2)} s; slowest GET /health of the copy service during the ` +
        `copy ${(slowest / 1000).toFixed(2)} s; job ${ended.status}, progress ${JSON.stringify(ended.progress ?? null)} (the kill landed ` +
        `inside the big table: ${(ended.progress?.tables_done ?? 0) === 0}); staging entries: ${entries.join(', ')}; ` +
        `target unchanged: ${after === before}`,
    );
    expect(answer.status).toBe(204);
    expect(answer.ms).toBeLessThan(PROMPT_MS);
    expect(ended.status).toBe('failed');
    expect(await failure(url)).toBe('the job was killed');
    // The first table (feature) had not been copied whole: the kill landed inside it.
    expect(ended.progress?.tables_done ?? 0).toBe(0);
    expect(entries).toEqual(['bigcopy_core_110_1.sqlite']);
    expect(after).toBe(before);
  },
  600_000,
);

test(
  '(d) a SQLite copy of the whole 600 MB file killed as it starts: the DELETE answers promptly, the target is the previous copy, ' +
    'no temporary file is left',
  async () => {
    const upstream = path.join(dir, 'upstream');
    mkdirSync(upstream, { recursive: true });
    const src = path.join(upstream, 'bigfile_core_110_1.sqlite');
    const { fileBytes } = bigSqliteTable(src, 600 * MB);
    const stagingDir = path.join(dir, 'staging');
    const target = path.join(stagingDir, 'bigfile_core_110_1.sqlite');
    const previous = new DatabaseSync(target);
    previous.exec(
      "CREATE TABLE previous_copy (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO previous_copy VALUES (1, 'the previous copy');",
    );
    previous.close();
    const before = sha256(target);

    const submitted = await post(`${stack.urls.copy}/jobs`, {
      source_db_uri: `sqlite:///${src}`,
      target_db_uri: `sqlite:///${target}`,
      drop: true,
    });
    expect(submitted.status).toBe(201);
    const url = `${stack.urls.copy}/jobs/${submitted.json.job_id as number}`;
    const answer = await kill(`${url}?kill=1`);
    const ended = await job(url);
    const entries = readdirSync(stagingDir).filter((e) => e.includes('bigfile_core_110_1'));
    const after = sha256(target);
    console.log(
      `injected: DELETE ${url}?kill=1 right after submitting a whole-file copy of ${(fileBytes / MB).toFixed(0)} MB; found: ` +
        `answered ${answer.status} in ${(answer.ms / 1000).toFixed(2)} s; job ${ended.status}; staging entries: ${entries.join(', ')}; ` +
        `target unchanged: ${after === before}`,
    );
    expect(answer.status).toBe(204);
    expect(answer.ms).toBeLessThan(PROMPT_MS);
    expect(ended.status).toBe('failed'); // not complete: the kill landed while the file was being copied
    expect(await failure(url)).toBe('the job was killed');
    expect(entries).toEqual(['bigfile_core_110_1.sqlite']);
    expect(after).toBe(before);
  },
  600_000,
);
