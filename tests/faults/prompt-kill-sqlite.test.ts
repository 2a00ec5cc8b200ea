/**
 * A kill stops the work where it stands, and `DELETE /jobs/{id}` answers within seconds (issue #12), with the
 * local stack running as a real child process (the shared part is in prompt-kill.ts, the MariaDB kills in
 * prompt-kill-mariadb.test.ts):
 *
 * (c) A SQLite copy of a ~600 MB single table killed mid-table: the DELETE is answered promptly (the table is
 *     copied by a connection in a child process, which the kill kills: it lands inside the table), the target
 *     is the previous copy, byte for byte, and no temporary file is left.
 * (d) A SQLite copy of the whole ~600 MB file killed as it starts: the DELETE is answered promptly, the target
 *     is the previous copy, byte for byte, and no temporary file is left.
 *
 * Times are printed; only generous bounds are asserted (the machine is shared).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MB, type StackProcess, bigSqliteTable, killStartedStacks } from '../helpers/stack-process';
import { waitFor } from '../helpers/wait';
import { type MariaDbSettings, PROMPT_MS, failure, job, kill, mariadbSettings, post, sha256, startPromptKillStack } from './prompt-kill';

const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-prompt-kill-sqlite-'));
let staging: MariaDbSettings;
let stack: StackProcess;

beforeAll(async () => {
  staging = mariadbSettings('staging');
  if (!staging) throw new Error('the jest global setup did not start the MariaDB servers');
  stack = await startPromptKillStack(dir, staging);
}, 600_000);

afterAll(async () => {
  if (stack) await stack.stop().catch(() => undefined);
  killStartedStacks();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

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
