/**
 * Issue #12: a MariaDB server (the source or the staging server) restarted in the middle of a copy. The copy
 * fails cleanly or completes, never a half-written target in place; and a fault leaves nothing that blocks the
 * same copy submitted again.
 *
 * This file starts its own two MariaDB servers (tests/helpers/mariadb.ts, restartable on the same port and data
 * directory) and the local stack in-process with its own staging server as target root; the global setup's servers
 * are not touched. The source database is 20 tables of 100,000 rows: a copy takes seconds, and the fault is
 * injected once part of the rows is in the copy's temporary schema (InnoDB's live row counts say how many).
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
import { createDemoDatabase } from '../../services/demo';
import { type LocalStack, startLocalStack } from '../../services/stack';
import { type Harness, mariadbUri, spec, startHarness, serviceUrlsEnv } from '../helpers/harness';
import { testSourcesEnv, testStackSourceRoots } from '../helpers/sources';
import { type MariaDb, startMariaDb } from '../helpers/mariadb';
import { FinalAnswer, waitFor } from '../helpers/wait';

const TABLES = 20;
const ROWS = 100_000;
const SOURCE_DB = 'restart_src_core_110_1';
/** The fault is injected once this many rows are in the copy's temporary schema (15 % of the copy). */
const INJECT_AT = Math.round(TABLES * ROWS * 0.15);
/** A copy that has not ended after this long is hung (generous: the machine is small and shared). */
const HANG_MS = 10 * 60_000;

let source: MariaDb;
let staging: MariaDb;
let stack: LocalStack;
let h: Harness;
let base: string;

/** Per table: "rows / checksum"; null when the database does not exist. */
type DbState = Record<string, string> | null;

interface Tally {
  fault: string;
  runs: number;
  completed: number;
  failedCleanly: number;
  halfWritten: number;
}

interface CopyJob {
  id: number;
  status: string;
  progress?: unknown;
  output?: unknown;
  failure?: string;
}

const rowsOf = (r: unknown) => r as Array<Record<string, unknown>>;
const tableName = (i: number) => `t${String(i).padStart(2, '0')}`;

async function dbState(server: MariaDb, db: string): Promise<DbState> {
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
async function workSchemas(): Promise<string[]> {
  return rowsOf(
    await staging.query("SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'handover\\_%' ORDER BY 1"),
  ).map((r) => String(r.s));
}

/** Rows in the copy's temporary schema right now (InnoDB's live per-table counters). */
async function loadedRows(): Promise<number> {
  const [r] = rowsOf(
    await staging.query(
      "SELECT COALESCE(SUM(NUM_ROWS), 0) AS n FROM information_schema.INNODB_SYS_TABLESTATS WHERE NAME LIKE 'handover\\_tmp\\_%'",
    ),
  );
  return Number(r.n);
}

/** Whether a failure reason says what happened to the server (rather than only which tables failed). */
const namesCause = (reason?: string) => /lost connection|gone away|shutdown|can't connect|ECONNRE|\b20(06|13)\b/i.test(reason ?? '');

const summary = (s: DbState) =>
  s === null ? 'absent' : `${Object.keys(s).length} tables, ${Object.values(s).reduce((n, v) => n + parseInt(v, 10), 0)} rows`;

async function submitCopy(target: string): Promise<number> {
  const res = await fetch(`${stack.urls.copy}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ source_db_uri: source.uri(SOURCE_DB), target_db_uri: staging.uri(target), drop: true }),
  });
  const body = (await res.json()) as { job_id?: number; error?: string };
  if (res.status !== 201 || body.job_id === undefined) throw new Error(`copy submission refused: ${res.status} ${JSON.stringify(body)}`);
  return body.job_id;
}

async function copyJob(id: number): Promise<CopyJob> {
  const job = (await (await fetch(`${stack.urls.copy}/jobs/${id}`)).json()) as CopyJob;
  if (job.status === 'failed')
    job.failure = ((await (await fetch(`${stack.urls.copy}/jobs/${id}?format=failures`)).json()) as { msg: string }).msg;
  return job;
}

/** Waits for the job to end, complete or failed: one that never ends is a hang, and fails the test. */
const copyEnds = (id: number) =>
  waitFor(
    async () => {
      const job = await copyJob(id);
      return job.status === 'complete' || job.status === 'failed' ? job : undefined;
    },
    HANG_MS,
    `copy job ${id} to end (complete or failed): it hangs`,
  );

/** Waits until the copy is loading rows (INJECT_AT of them in its temporary schema); the job must still be running. */
async function midCopy(id: number): Promise<number> {
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
async function judge(
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

function printTally(t: Tally): void {
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
async function copyCase(
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

beforeAll(async () => {
  [source, staging] = await Promise.all([startMariaDb(), startMariaDb()]);
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
  h = await startHarness({
    ...serviceUrlsEnv(stack.urls),
    HANDOVER_SOURCE_SERVERS: `${testSourcesEnv().HANDOVER_SOURCE_SERVERS},${source.host}:${source.port}`,
    HANDOVER_STAGING_URI: `sqlite:///${stagingDir}/`,
    HANDOVER_STAGING_RULES: JSON.stringify([{ pattern: '^capra_hircus_', staging_uri: mariadbUri(staging) }]),
  });
}, 600_000);

afterAll(async () => {
  await h?.stop();
  await stack?.close();
  await Promise.all([source?.stop(), staging?.stop()]);
  if (base) rmSync(base, { recursive: true, force: true });
}, 120_000);

test(
  'the staging server SIGKILLed mid-copy and restarted: the copy fails cleanly or completes; ' + 'the same copy again completes',
  async () => {
    await copyCase('staging SIGKILL mid-copy', 'restart_staging_kill', () => staging.restart({ signal: 'SIGKILL', downMs: 2000 }));
  },
  1_800_000,
);

test(
  'the staging server restarted (SIGTERM) mid-copy, back at once: the copy fails cleanly or completes; ' + 'the same copy again completes',
  async () => {
    await copyCase('staging SIGTERM mid-copy', 'restart_staging_term', () => staging.restart({ signal: 'SIGTERM' }));
  },
  1_800_000,
);

test('the source server restarted (SIGTERM) mid-copy: the copy fails cleanly or completes; the same copy again completes', async () => {
  await copyCase('source SIGTERM mid-copy', 'restart_source_term', () => source.restart({ signal: 'SIGTERM', downMs: 2000 }));
}, 1_800_000);

test('the source server SIGKILLed mid-copy and restarted: the copy fails cleanly or completes; the same copy again completes', async () => {
  await copyCase('source SIGKILL mid-copy', 'restart_source_kill', () => source.restart({ signal: 'SIGKILL', downMs: 2000 }));
}, 1_800_000);

test('a copy replacing a previous copy, staging SIGKILLed mid-copy: the previous copy stays exactly as it was', async () => {
  const target = 'restart_replace';
  await copyCase('staging SIGKILL mid-replacement', target, () => staging.restart({ signal: 'SIGKILL', downMs: 2000 }), {
    async previous() {
      const first = await copyEnds(await submitCopy(target));
      expect(first).toMatchObject({ status: 'complete' });
      // The source then changes, so the previous copy, the new one and a mixture of the two all differ.
      await source.query(`UPDATE ${SOURCE_DB}.${tableName(0)} SET b = 'changed since the previous copy' WHERE id <= 1000`);
      await source.query(`DELETE FROM ${SOURCE_DB}.${tableName(TABLES - 1)} WHERE id % 10 = 0`);
    },
  });
}, 1_800_000);

test(
  'a whole handover, the staging server SIGKILLed during its copy: it fails cleanly with an email (or completes); restarted, ' +
    'it completes',
  async () => {
    const name = 'capra_hircus_core_110_1';
    const tally: Tally = { fault: 'staging SIGKILL mid-handover', runs: 0, completed: 0, failedCleanly: 0, halfWritten: 0 };
    const counts = await createDemoDatabase(source.uri(name), { genes: 150_000 });
    console.log(`${tally.fault}: source ${name}: ${JSON.stringify(counts)}`);
    const target = mariadbUri(staging, name);
    const { statusCode, json } = await h.submit(spec(source.uri(name), { tgt_uri: target }));
    expect(statusCode).toBe(201);
    const loaded = await waitFor(
      async () => {
        const p = await h.progress(json.token);
        if (p.status !== 'running')
          throw new FinalAnswer(`handover ended ${p.status} before its copy was loading rows: ${JSON.stringify(p.failure)}`);
        if (p.step !== 'copy') return undefined;
        const n = await loadedRows();
        return n >= 50_000 ? n : undefined;
      },
      HANG_MS,
      'the handover to be copying rows',
    );
    console.log(
      `${tally.fault}: handover ${json.token} copying, ${loaded} rows in the temporary schema; injecting: staging SIGKILL, 2 s down`,
    );
    await staging.restart({ signal: 'SIGKILL', downMs: 2000 });
    const ended = await waitFor(
      async () => {
        const p = await h.progress(json.token);
        return p.status === 'running' ? undefined : p;
      },
      HANG_MS,
      `handover ${json.token} to end: it hangs`,
    );
    console.log(`${tally.fault}: handover ${json.token} ended ${ended.status}${ended.failure ? `: ${JSON.stringify(ended.failure)}` : ''}`);
    let reason: string | undefined;
    if (ended.status === 'failed') {
      const mail = await h.smtp.waitForSubject(name, 60_000);
      const rows = /\(\d+,[^()\n]*'ENS[A-Z]\d+'\)/; // a row of gene, transcript or exon, as the dump writes it
      reason =
        `${ended.failure?.reason}\n  email: "${mail.subject}"; it names the cause: ${namesCause(mail.text) ? 'yes' : 'NO'}; ` +
        `it quotes rows of the source: ${rows.test(mail.text ?? '') ? 'YES' : 'no'}`;
      expect(mail.subject).toMatch(/failed/);
      expect(ended.failure).toMatchObject({ step: 'copy' });
    } else {
      expect(ended.status).toBe('completed');
    }
    await judge(tally, `handover ${json.token}`, { complete: ended.status === 'completed', reason }, name, null, name);
    console.log(`${tally.fault}: work schemas on staging after the fault: ${(await workSchemas()).join(', ') || 'none'}`);

    if (ended.status === 'failed') {
      const res = await h.app.inject({ method: 'POST', url: `/handovers/${json.token}/restart`, payload: {} });
      expect(res.statusCode).toBe(201);
      const restarted = res.json<{ token: string }>().token;
      const before = await dbState(staging, name);
      const done = await h.waitForStatus(restarted, 'completed', HANG_MS);
      await judge(tally, `the handover restarted (${restarted}, ${done.status})`, { complete: true }, name, before, name);
      console.log(`${tally.fault}: work schemas on staging after the restarted handover: ${(await workSchemas()).join(', ') || 'none'}`);
      expect(await workSchemas()).toEqual([]);
    }
    printTally(tally);
    expect(tally.halfWritten).toBe(0);
  },
  1_800_000,
);
