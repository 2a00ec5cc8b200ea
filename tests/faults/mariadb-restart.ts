/**
 * The shared part of the MariaDB restart tests (issue #12: a MariaDB server, the source or the staging server,
 * restarted in the middle of a copy): mariadb-restart-{staging,source,handover}.test.ts. The copy fails cleanly or
 * completes, never a half-written target in place; and a fault leaves nothing that blocks the same copy submitted again.
 *
 * Each test file starts its own two MariaDB servers (tests/helpers/mariadb.ts, restartable on the same port and data
 * directory) and the local stack in-process with its own staging server as target root (startRestartFixture); the
 * global setup's servers are not touched. The copies' source database is 20 tables of 100,000 rows: a copy takes
 * seconds, and the fault is injected once part of the rows is in the copy's temporary schema (InnoDB's live row counts).
 *
 * Every case prints what it injected and found, and one line
 *   fault: <short name>; handovers or copies: <n>; completed: <n>; failed cleanly: <n>; half-written targets: <n>
 * A target is half-written when it is neither absent (a new target whose copy failed), nor exactly the previous copy
 * (a replacement that failed), nor exactly the source (a copy that completed): per-table row counts and CHECKSUM TABLE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type LocalStack, startLocalStack } from '../../services/stack';
import { type Harness, mariadbUri, startHarness, serviceUrlsEnv } from '../helpers/harness';
import { testSourcesEnv, testStackSourceRoots } from '../helpers/sources';
import { type MariaDb, startMariaDb } from '../helpers/mariadb';
import { FinalAnswer, waitFor } from '../helpers/wait';

export const TABLES = 20;
export const ROWS = 100_000;
export const SOURCE_DB = 'restart_src_core_110_1';
/** The fault is injected once this many rows are in the copy's temporary schema (15 % of the copy). */
export const INJECT_AT = Math.round(TABLES * ROWS * 0.15);
/** A copy that has not ended after this long is hung (generous: the machine is small and shared). */
export const HANG_MS = 10 * 60_000;

let source: MariaDb;
let staging: MariaDb;
let stack: LocalStack;
let h: Harness | undefined;
let base: string;

/** Per table: "rows / checksum"; null when the database does not exist. */
export type DbState = Record<string, string> | null;

export interface Tally {
  fault: string;
  runs: number;
  completed: number;
  failedCleanly: number;
  halfWritten: number;
}

export interface CopyJob {
  id: number;
  status: string;
  progress?: unknown;
  output?: unknown;
  failure?: string;
}

export const rowsOf = (r: unknown) => r as Array<Record<string, unknown>>;
export const tableName = (i: number) => `t${String(i).padStart(2, '0')}`;

export async function dbState(server: MariaDb, db: string): Promise<DbState> {
  if (rowsOf(await server.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [db])).length === 0) return null;
  const tables = rowsOf(
    await server.query(
      "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1",
      [db],
    ),
  );
  const out: Record<string, string> = {};
  for (const { t } of tables as Array<{ t: string }>) {
    const [count] = rowsOf(await server.query(`SELECT COUNT(*) AS n FROM \`${db}\`.\`${t}\``));
    const [sum] = rowsOf(await server.query(`CHECKSUM TABLE \`${db}\`.\`${t}\``));
    out[t] = `${Number(count.n)} rows / checksum ${String(sum.Checksum)}`;
  }
  return out;
}

/** The copy's temporary and backup schemas (handover_tmp_*, handover_old_*) on the staging server. */
export async function workSchemas(): Promise<string[]> {
  return rowsOf(
    await staging.query("SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'handover\\_%' ORDER BY 1"),
  ).map((r) => String(r.s));
}

/** Rows in the copy's temporary schema right now (InnoDB's live per-table counters). */
export async function loadedRows(): Promise<number> {
  const [r] = rowsOf(
    await staging.query(
      "SELECT COALESCE(SUM(NUM_ROWS), 0) AS n FROM information_schema.INNODB_SYS_TABLESTATS WHERE NAME LIKE 'handover\\_tmp\\_%'",
    ),
  );
  return Number(r.n);
}

/** Whether a failure reason says what happened to the server (rather than only which tables failed). */
export const namesCause = (reason?: string) => /lost connection|gone away|shutdown|can't connect|ECONNRE|\b20(06|13)\b/i.test(reason ?? '');

export const summary = (s: DbState) =>
  s === null ? 'absent' : `${Object.keys(s).length} tables, ${Object.values(s).reduce((n, v) => n + parseInt(v, 10), 0)} rows`;

export async function submitCopy(target: string): Promise<number> {
  const res = await fetch(`${stack.urls.copy}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ source_db_uri: source.uri(SOURCE_DB), target_db_uri: staging.uri(target), drop: true }),
  });
  const body = (await res.json()) as { job_id?: number; error?: string };
  if (res.status !== 201 || body.job_id === undefined) throw new Error(`copy submission refused: ${res.status} ${JSON.stringify(body)}`);
  return body.job_id;
}

export async function copyJob(id: number): Promise<CopyJob> {
  const job = (await (await fetch(`${stack.urls.copy}/jobs/${id}`)).json()) as CopyJob;
  if (job.status === 'failed')
    job.failure = ((await (await fetch(`${stack.urls.copy}/jobs/${id}?format=failures`)).json()) as { msg: string }).msg;
  return job;
}

/** Waits for the job to end, complete or failed: one that never ends is a hang, and fails the test. */
export const copyEnds = (id: number) =>
  waitFor(
    async () => {
      const job = await copyJob(id);
      return job.status === 'complete' || job.status === 'failed' ? job : undefined;
    },
    HANG_MS,
    `copy job ${id} to end (complete or failed): it hangs`,
  );

/** Waits until the copy is loading rows (INJECT_AT of them in its temporary schema); the job must still be running. */
export async function midCopy(id: number): Promise<number> {
  return waitFor(
    async () => {
      const job = await copyJob(id);
      if (job.status !== 'running' && job.status !== 'submitted')
        throw new FinalAnswer(`copy job ${id} ended (${job.status}) before the fault could be injected`);
      const n = await loadedRows();
      return n >= INJECT_AT ? n : undefined;
    },
    HANG_MS,
    `copy job ${id} to load ${INJECT_AT} rows`,
  );
}

/**
 * Judges a target once its job (or handover) has ended and both servers are up: complete and identical to the
 * source, or failed and the target as it was before (absent, or the previous copy). Anything else is half-written.
 */
export async function judge(
  tally: Tally,
  what: string,
  ended: { complete: boolean; reason?: string },
  target: string,
  before: DbState,
  sourceDb = SOURCE_DB,
): Promise<void> {
  const [src, tgt] = [await dbState(source, sourceDb), await dbState(staging, target)];
  tally.runs++;
  let verdict: string;
  if (ended.complete && isDeepStrictEqual(tgt, src)) {
    tally.completed++;
    verdict = 'completed; the target is identical to the source (row counts and CHECKSUM TABLE of every table)';
  } else if (!ended.complete && isDeepStrictEqual(tgt, before)) {
    tally.failedCleanly++;
    verdict =
      `failed cleanly; ` +
      `the target is ${before === null ? 'absent' : 'the previous copy, unchanged (row counts and CHECKSUM TABLE of every table)'}`;
  } else {
    tally.halfWritten++;
    const differ = (a: DbState, b: DbState) =>
      [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])]
        .filter((t) => a?.[t] !== b?.[t])
        .map((t) => `${t}: ${a?.[t]} vs ${b?.[t]}`);
    verdict =
      `HALF-WRITTEN: ${ended.complete ? 'complete' : 'failed'}, target ${summary(tgt)}; ` +
      `differs from the source in [${differ(tgt, src).slice(0, 5).join('; ')}], ` +
      `from before in [${differ(tgt, before).slice(0, 5).join('; ')}]`;
  }
  console.log(`${tally.fault}: ${what}: ${verdict}${ended.reason ? `\n  reason: ${ended.reason}` : ''}`);
}

export function printTally(t: Tally): void {
  console.log(
    `fault: ${t.fault}; handovers or copies: ${t.runs}; completed: ${t.completed}; failed cleanly: ${t.failedCleanly}; ` +
      `half-written targets: ${t.halfWritten}`,
  );
}

/**
 * One copy case: (optionally) a previous copy in place, then a copy with the fault injected mid-copy, then what is
 * left on staging (after the server is back; after the copy service restarts), then the same copy again, which
 * must complete and leave no work schema.
 */
export async function copyCase(
  fault: string,
  target: string,
  inject: () => Promise<void>,
  opts: { previous?: () => Promise<void> } = {},
): Promise<Tally> {
  const tally: Tally = { fault, runs: 0, completed: 0, failedCleanly: 0, halfWritten: 0 };
  if (opts.previous) await opts.previous();
  const before = await dbState(staging, target);
  console.log(`${fault}: target ${target} before: ${summary(before)}`);

  const id = await submitCopy(target);
  const loaded = await midCopy(id);
  console.log(`${fault}: copy job ${id} running, ${loaded} of ${TABLES * ROWS} rows in its temporary schema; injecting: ${fault}`);
  const injected = Date.now();
  await inject();
  const job = await copyEnds(id);
  console.log(`${fault}: the server is back after ${Date.now() - injected} ms; copy job ${id} ended ${job.status}`);
  await judge(tally, `copy job ${id}`, { complete: job.status === 'complete', reason: job.failure }, target, before);
  if (job.status === 'failed') {
    expect(job.failure).toMatch(/\S/);
    console.log(
      `${fault}: does the failure name its cause (a lost connection, ` +
        `a server gone or shutting down)? ${namesCause(job.failure) ? 'yes' : 'NO'}`,
    );
    expect(namesCause(job.failure)).toBe(true);
    expect(job.failure).not.toMatch(/INSERT INTO|VALUES/); // the client's error line, not the rows it was loading
  }

  // The failed copy's work schema goes once the server is back (the copy service keeps trying to drop it).
  const left = await waitFor(
    async () => ((await workSchemas()).length === 0 ? ([] as string[]) : undefined),
    60_000,
    'the work schemas to be dropped',
  ).catch(() => workSchemas());
  console.log(`${fault}: work schemas on staging after the fault, once the server was back: ${left.join(', ') || 'none'}`);
  expect(left).toEqual([]);

  const previousNow = await dbState(staging, target);
  const retry = await submitCopy(target);
  const again = await copyEnds(retry);
  await judge(
    tally,
    `the same copy again (job ${retry})`,
    { complete: again.status === 'complete', reason: again.failure },
    target,
    previousNow,
  );
  const leftAfter = await workSchemas();
  console.log(`${fault}: work schemas on staging after the retry: ${leftAfter.join(', ') || 'none'}`);
  printTally(tally);

  expect(again).toMatchObject({ status: 'complete' });
  expect(await dbState(staging, target)).toEqual(await dbState(source, SOURCE_DB));
  expect(leftAfter).toEqual([]);
  expect(tally.halfWritten).toBe(0);
  return tally;
}

/**
 * Starts this file's two MariaDB servers, the local stack and (with `harness`) the app; with `copySource`, makes the
 * copies' source database (SOURCE_DB). Each test file starts its own.
 */
export async function startRestartFixture(opts: {
  copySource: boolean;
  harness: boolean;
}): Promise<{ source: MariaDb; staging: MariaDb; h?: Harness }> {
  [source, staging] = await Promise.all([startMariaDb(), startMariaDb()]);
  if (opts.copySource) {
    // 20 tables of 100,000 rows, each different (from MariaDB's sequence engine: fast).
    await source.query(`CREATE DATABASE ${SOURCE_DB}`);
    for (let i = 0; i < TABLES; i++) {
      const t = `${SOURCE_DB}.${tableName(i)}`;
      await source.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, a INT NOT NULL, b VARCHAR(40) NOT NULL, c DOUBLE, KEY (a)) ENGINE=InnoDB`);
      await source.query(
        `INSERT INTO ${t} SELECT seq, (seq * 7919 + ${i}) % 100000, MD5(CONCAT(${i}, '-', seq)), ` +
          `seq / ${i + 3} FROM ${SOURCE_DB}.seq_1_to_${ROWS}`,
      );
    }
  }
  base = mkdtempSync(path.join(os.tmpdir(), 'handover-mariadb-restart-'));
  const stagingDir = path.join(base, 'staging');
  stack = await startLocalStack({
    // This file's own source server (restarted by the tests) is allowed beside the global ones.
    sourceRoots: [...testStackSourceRoots(), `mysql://${source.host}:${source.port}/`],
    dataDir: path.join(base, 'services'),
    ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
    passwords: { [`${staging.user}@${staging.host}:${staging.port}`]: staging.password },
    targetRoots: [`sqlite:///${stagingDir}/`, `mysql://${staging.host}:${staging.port}/`],
  });
  if (opts.harness)
    h = await startHarness({
      ...serviceUrlsEnv(stack.urls),
      HANDOVER_SOURCE_SERVERS: `${testSourcesEnv().HANDOVER_SOURCE_SERVERS},${source.host}:${source.port}`,
      HANDOVER_STAGING_URI: `sqlite:///${stagingDir}/`,
      HANDOVER_STAGING_RULES: JSON.stringify([{ pattern: '^capra_hircus_', staging_uri: mariadbUri(staging) }]),
    });
  return { source, staging, h };
}

export async function stopRestartFixture(): Promise<void> {
  await h?.stop();
  await stack?.close();
  await Promise.all([source?.stop(), staging?.stop()]);
  if (base) rmSync(base, { recursive: true, force: true });
}
