/**
 * A dump's memory is flat whatever the size of a table (issue #12). The local stack runs as a real child
 * process (`node --import tsx services/main.ts`, so its pid is the services' own process); a SQLite
 * database with one table of about 300 MB is dumped through the event service, and the process's peak
 * resident memory (VmHWM in /proc/<pid>/status) must stay below 200 MB. Holding the table in memory (as
 * `SELECT *` into an array did) takes well over that. The TSV is checked against the source row by row:
 * its line count, and its sha256 against one the test computes itself from the rows, and against CHECKSUMS.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MB, bigSqliteTable, killStartedStacks, processMemory, startStackProcess } from '../helpers/stack-process';
import { waitFor } from '../helpers/wait';

const dirs: string[] = [];
afterAll(() => {
  killStartedStacks();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const LIMIT = 200 * MB;

/**
 * The TSV the dump must write for a table, as the test reads the format: its sha256 and line count, from the rows as node:sqlite gives
 * them.
 */
function expectedTsv(file: string, table: string): { sha256: string; lines: number } {
  const escape = (v: string | number | bigint | Uint8Array | null) =>
    v === null ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  const db = new DatabaseSync(file, { readOnly: true });
  const hash = createHash('sha256');
  let lines = 0;
  let columns: string[] | undefined;
  let chunk = '';
  try {
    for (const row of db.prepare(`SELECT * FROM "${table}"`).iterate()) {
      if (!columns) {
        columns = Object.keys(row);
        chunk += columns.join('\t') + '\n';
        lines++;
      }
      chunk += columns.map((c) => escape(row[c])).join('\t') + '\n';
      lines++;
      if (chunk.length > MB) {
        hash.update(chunk);
        chunk = '';
      }
    }
  } finally {
    db.close();
  }
  if (!columns) {
    chunk += '\n';
    lines++;
  }
  hash.update(chunk);
  return { sha256: hash.digest('hex'), lines };
}

/** A file's sha256 and its number of lines (newline bytes), read as a stream. */
async function fileFacts(file: string): Promise<{ sha256: string; lines: number; bytes: number }> {
  const hash = createHash('sha256');
  let lines = 0;
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: MB })) {
    const buf = chunk as Buffer;
    hash.update(buf);
    bytes += buf.length;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++;
  }
  return { sha256: hash.digest('hex'), lines, bytes };
}

test('a dump of a 300 MB table keeps the services process below 200 MB of memory, and its TSV and checksum are right', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-dump-memory-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'upstream'));
  const file = path.join(dir, 'upstream', 'dumpmem_core_110_1.sqlite');
  const { rows, fileBytes } = bigSqliteTable(file, 300 * MB);
  console.log(
    `injected: a SQLite database ${path.basename(file)} of ${(fileBytes / MB).toFixed(0)} MB, ` +
      `table feature with ${rows} rows (1000-character payload each); dumped by the event service of the local stack running as its own ` +
      `process`,
  );

  const stack = await startStackProcess(path.join(dir, 'stack'));
  const idle = processMemory(stack.pid);
  const res = await fetch(`${stack.urls.event}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'other', genome: 'dumpmem', details: { database_uri: `sqlite:///${file}` } }),
  });
  const answer = (await res.json()) as { processes: Array<{ process: string; job: number }> };
  expect(res.status).toBe(200);
  expect(answer.processes).toEqual([{ process: 'dump', job: expect.any(Number) }]);
  const id = answer.processes[0].job;
  const started = Date.now();
  let highest = 0; // VmRSS sampled while the dump runs, to print alongside the peak
  const done = await waitFor(
    async () => {
      highest = Math.max(highest, processMemory(stack.pid).current);
      const job = (await (await fetch(`${stack.urls.event}/jobs/dump/${id}`)).json()) as {
        status: string;
        output?: { folder: string; files: string[] };
      };
      return ['complete', 'failed'].includes(job.status) ? job : undefined;
    },
    600_000,
    'the dump to end',
  );
  const seconds = (Date.now() - started) / 1000;
  const memory = processMemory(stack.pid);
  expect(stack.alive()).toBe(true);
  await stack.stop();

  const folder = path.join(dir, 'stack', 'dumps', 'dumpmem_core_110_1');
  const tsv = path.join(folder, 'feature.tsv');
  const facts = await fileFacts(tsv);
  const expected = expectedTsv(file, 'feature');
  const sums = Object.fromEntries(
    readFileSync(path.join(folder, 'CHECKSUMS'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => line.split('  ').reverse()),
  ) as Record<string, string>;
  console.log(
    `found: job ${id} ${done.status} in ${seconds.toFixed(1)} s; services process ${stack.pid}: ` +
      `peak RSS (VmHWM) ${(memory.peak / MB).toFixed(1)} MB (idle before the dump ${(idle.current / MB).toFixed(1)} MB, ` +
      `highest VmRSS sampled during it ${(highest / MB).toFixed(1)} MB; limit ${LIMIT / MB} MB); ` +
      `feature.tsv ${(facts.bytes / MB).toFixed(0)} MB, ${facts.lines} lines (expected ${expected.lines}: ${rows} rows + header), ` +
      `sha256 ${facts.sha256.slice(0, 16)}… (expected from the rows ${expected.sha256.slice(0, 16)}…, ` +
      `CHECKSUMS ${sums['feature.tsv']?.slice(0, 16)}…)`,
  );
  expect(done.status).toBe('complete');
  expect(done.output?.files).toEqual(['feature.tsv', 'meta.tsv', 'CHECKSUMS']);
  expect(readdirSync(folder).sort()).toEqual(['CHECKSUMS', 'feature.tsv', 'meta.tsv']);
  expect(memory.peak).toBeLessThan(LIMIT);
  expect(facts.lines).toBe(rows + 1);
  expect(expected.lines).toBe(rows + 1);
  expect(facts.sha256).toBe(expected.sha256);
  expect(sums['feature.tsv']).toBe(facts.sha256);
  expect(sums['meta.tsv']).toBe((await fileFacts(path.join(folder, 'meta.tsv'))).sha256);
  expect(sums['meta.tsv']).toBe(expectedTsv(file, 'meta').sha256);
}, 900_000);
