/**
 * The shared part of the prompt-kill tests (issue #12: a kill stops the work where it stands, and `DELETE /jobs/{id}`
 * answers within seconds): prompt-kill-mariadb.test.ts (MariaDB statements and a MariaDB copy) and
 * prompt-kill-sqlite.test.ts (SQLite copies). Both run the local stack as a real child process, with the jest global
 * setup's source and staging MariaDB servers; each test file starts its own stack in its own temporary directory.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { type StackProcess, startStackProcess } from '../helpers/stack-process';

export const NAME = 'promptkill_core_110_1';
export const TABLE = 'dna_align_feature';
export const ROWS = 1_500_000;
/** The generous bound on a DELETE's answer (what is measured is printed). */
export const PROMPT_MS = 30_000;

export interface MariaDbSettings {
  host: string;
  port: number;
  user: string;
  password: string;
}
/** The servers the jest global setup started (as tests/helpers/harness.ts reads them, without loading the harness). */
export const mariadbSettings = (which: 'source' | 'staging') =>
  JSON.parse(process.env[which === 'source' ? 'TEST_MARIADB' : 'TEST_MARIADB_STAGING'] ?? 'null') as MariaDbSettings;
export const mariadbUri = (m: MariaDbSettings, database: string) =>
  `mysql://${m.user}:${encodeURIComponent(m.password)}@${m.host}:${m.port}/${database}`;

export async function query<T = Record<string, unknown>>(server: MariaDbSettings, sql: string, params: unknown[] = []): Promise<T[]> {
  const conn = await mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
  try {
    return (await conn.query(sql, params))[0] as T[];
  } finally {
    await conn.end();
  }
}

export interface Session {
  ID: number;
  DB: string | null;
  COMMAND: string;
  TIME: number;
  STATE: string | null;
  INFO: string | null;
}
/** The server's connections whose default database is `db` (the test's own connection has none). */
export const sessionsIn = (server: MariaDbSettings, db: string) =>
  query<Session>(
    server,
    'SELECT ID, DB, COMMAND, TIME, STATE, LEFT(INFO, 60) AS INFO FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> ' +
      'CONNECTION_ID()',
    [db],
  );
export const show = (sessions: Session[]) =>
  sessions.length
    ? sessions.map((s) => `#${s.ID} ${s.COMMAND} ${s.STATE ?? ''} ${s.INFO ?? ''}`.replace(/\s+/g, ' ').trim()).join('; ')
    : 'none';

export interface JobAnswer {
  id: number;
  status: string;
  progress?: { tables_done?: number; tables?: number; rows?: number } | null;
}

export async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
export const job = async (url: string) => (await fetch(url)).json() as Promise<JobAnswer>;
export const failure = async (url: string) => ((await (await fetch(`${url}?format=failures`)).json()) as { msg: string }).msg;

/** DELETEs a job and measures how long the answer took (at most 2 minutes: an answer that never comes fails the test). */
export async function kill(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { method: 'DELETE', signal: AbortSignal.timeout(120_000) });
  return { status: res.status, ms: performance.now() - started };
}

/** Direct children of a process (a copy that ran client programs would show them here). */
export function childrenOf(pid: number): string[] {
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

export const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The local stack of a test file, in `dir`: it may copy into `dir`/staging and into the staging MariaDB server. */
export async function startPromptKillStack(dir: string, staging: MariaDbSettings): Promise<StackProcess> {
  mkdirSync(path.join(dir, 'staging'), { recursive: true });
  return startStackProcess(path.join(dir, 'stack'), {
    LOCAL_STACK_TARGET_ROOTS: `sqlite:///${dir}/staging/,mysql://${staging.host}:${staging.port}/`,
  });
}

/** A big table on the source: 1.5 million rows of about 270 bytes (no secondary index: quick to make). */
export async function makeBigTable(source: MariaDbSettings): Promise<void> {
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
}
