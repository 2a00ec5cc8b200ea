/**
 * A kill stops the work where it stands, and `DELETE /jobs/{id}` answers within seconds (issue #12), with the
 * local stack running as a real child process and real MariaDB servers (the jest global setup's source and
 * staging servers); the shared part is in prompt-kill.ts, the SQLite copies in prompt-kill-sqlite.test.ts:
 *
 * (a) MariaDB statements of the job are stopped on the server: a healthcheck whose `CHECK TABLE` waits (on a
 *     table lock the test holds: without `KILL QUERY` it would wait as long as the lock is held), and a dump of
 *     a table of 1.5 million rows killed mid-table. Afterwards `information_schema.PROCESSLIST` shows no
 *     statement, and then no connection, of the job.
 * (b) A MariaDB copy killed while its loader is inserting rows: no loader connection is left on the staging
 *     server, no temporary or backup schema, no client process, and the target holds its previous copy.
 *
 * Times are printed; only generous bounds are asserted (the machine is shared).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { workSchemas } from '../../services/copy/copy';
import type { MysqlLocation } from '../../services/db/uri';
import { MB, type StackProcess, killStartedStacks } from '../helpers/stack-process';
import { waitFor } from '../helpers/wait';
import {
  type MariaDbSettings,
  NAME,
  PROMPT_MS,
  ROWS,
  TABLE,
  childrenOf,
  failure,
  job,
  kill,
  makeBigTable,
  mariadbSettings,
  mariadbUri,
  post,
  query,
  sessionsIn,
  show,
  startPromptKillStack,
} from './prompt-kill';

const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-prompt-kill-mariadb-'));
let source: MariaDbSettings;
let staging: MariaDbSettings;
let stack: StackProcess;

beforeAll(async () => {
  source = mariadbSettings('source');
  staging = mariadbSettings('staging');
  if (!source || !staging) throw new Error('the jest global setup did not start the MariaDB servers');
  await makeBigTable(source);
  stack = await startPromptKillStack(dir, staging);
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
