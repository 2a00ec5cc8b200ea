/**
 * A SQLite file that never opens cannot freeze the local stack (issue #19, item 3): the check that a source is
 * a regular file comes before SQLite opens it, and a FIFO swapped in between the two would hold whatever
 * opens it forever. Every SQLite connection of the local stack lives in a child process
 * (services/db/sqlite-process.ts), so here, on real FIFOs and real files:
 * - an open of a FIFO fails after its deadline while this process's event loop keeps running, and its child is gone;
 * - a process whose open hung still exits (a worker thread stuck in open() kept `process.exit()` from returning);
 * - a long statement is abandoned at once, the event loop free throughout;
 * - bigints and BLOBs come back as SQLite stored them, and a statement's error is the caller's.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SqliteConnection } from '../../services/db/sqlite-process';
import { waitFor } from '../helpers/wait';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sqlite-open-'));
const fifo = path.join(dir, 'swapped_core_110_1.sqlite');
execFileSync('mkfifo', [fifo]);

/** The longest gap between ticks of a 10 ms interval while `work` runs: how free the event loop stayed. */
async function longestGap(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(tick);
  }
  return longest;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('an open of a FIFO fails after its deadline, the event loop running meanwhile, and leaves no process behind', async () => {
  const before = childPids();
  let error: Error | undefined;
  const gap = await longestGap(async () => {
    error = await SqliteConnection.open(fifo, { readOnly: true, timeoutMs: 1500 }).then(
      () => undefined,
      (err: Error) => err,
    );
  });
  console.log(`found: the open failed with "${error?.message}"; the longest pause of the event loop meanwhile: ${gap.toFixed(0)} ms`);
  expect(error?.message).toMatch(/did not open within 1.5 s/);
  expect(gap).toBeLessThan(1000); // (it was blocked for good when SQLite opened on the event loop)
  // Its child was SIGKILLed (and is gone once the kernel has let it go).
  await waitFor(() => childPids().filter((pid) => !before.includes(pid) && alive(pid)).length === 0, 10_000, 'the child to be gone');
});

test('a process whose SQLite open hung still exits', async () => {
  const script =
    `
    const { SqliteConnection } = require(${JSON.stringify(path.resolve(__dirname, '../../services/db/sqlite-process.ts'))});
    SqliteConnection.open(${JSON.stringify(fifo)}, { readOnly: true, timeoutMs: 500 }).catch((err) => { console.log(err.message); ` +
    `process.exit(0); });
  `;
  const started = Date.now();
  const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', '-e', script], { timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout }),
    );
    child.stdin?.end();
  });
  console.log(`found: exited with ${out.code} after ${Date.now() - started} ms, saying "${out.stdout.trim()}"`);
  expect(out.stdout).toMatch(/did not open within 0.5 s/);
  expect(out.code).toBe(0);
});

test('a long statement is abandoned at once, the event loop free while it runs', async () => {
  const file = path.join(dir, 'long_core_110_1.sqlite');
  new DatabaseSync(file).close();
  const db = await SqliteConnection.open(file, { readOnly: true });
  // Counts to ten billion: minutes of SQLite's time.
  const running = db.get('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000000000) SELECT count(*) FROM n');
  let abandonedIn = 0;
  const gap = await longestGap(async () => {
    await new Promise((r) => setTimeout(r, 500));
    const t = performance.now();
    db.terminate(new Error('the job was killed'));
    await expect(running).rejects.toThrow('the job was killed');
    abandonedIn = performance.now() - t;
    await db.gone;
  });
  console.log(`found: abandoned in ${abandonedIn.toFixed(0)} ms; the longest pause of the event loop meanwhile: ${gap.toFixed(0)} ms`);
  expect(abandonedIn).toBeLessThan(1000);
  expect(gap).toBeLessThan(1000);
});

test('values come back as stored, and errors are the caller’s', async () => {
  const file = path.join(dir, 'values_core_110_1.sqlite');
  const setup = new DatabaseSync(file);
  setup.exec(
    "CREATE TABLE t (a INTEGER, b BLOB, c TEXT); INSERT INTO t VALUES (9007199254740993, x'00ff', 'x'), (2, NULL, 'y'), (3, NULL, 'z');",
  );
  setup.close();
  const db = await SqliteConnection.open(file, { readOnly: true });
  try {
    expect(await db.all('SELECT a, b FROM t WHERE c = ?', ['x'], true)).toEqual([{ a: 9007199254740993n, b: new Uint8Array([0, 255]) }]);
    const rows: unknown[] = [];
    for await (const row of db.rows<{ c: string }>('SELECT c FROM t ORDER BY c', 2)) rows.push(row.c);
    expect(rows).toEqual(['x', 'y', 'z']);
    // Left early: the cursor is reset, the connection usable.
    for await (const row of db.rows('SELECT c FROM t', 1)) {
      expect(row).toBeDefined();
      break;
    }
    await expect(db.all('SELECT * FROM nowhere')).rejects.toThrow('no such table: nowhere');
    await expect(db.run("INSERT INTO t VALUES (4, NULL, 'w')")).rejects.toThrow(/readonly/);
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 3 });
  } finally {
    await db.close();
  }
  writeFileSync(path.join(dir, 'junk_core_110_1.sqlite'), 'not a database, '.repeat(20));
  const junk = await SqliteConnection.open(path.join(dir, 'junk_core_110_1.sqlite'), {
    readOnly: true,
    setup: ['PRAGMA trusted_schema = OFF'],
  }).catch((err: Error) => err);
  expect(junk).toBeInstanceOf(Error);
  expect((junk as Error).message).toMatch(/not a database/);
});

/** This process's children now. */
function childPids(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
