/** The local job services on their own: contracts, durability, kill, and the metadata store's events. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { databaseExists, openDatabase } from '../../services/db/database';
import { createDemoDatabase } from '../../services/demo';
import { stackSealer } from '../../services/jobs/secrets';
import { type JobStatus, JobStore } from '../../services/jobs/store';
import { type LocalStack, startLocalStack } from '../../services/stack';
import { DatabaseSync } from 'node:sqlite';
import { manyTables, sqliteCounts } from '../helpers/databases';
import { testStackSourceRoots } from '../helpers/sources';
import { mariadbSettings, mariadbUri } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let dir: string;
let stack: LocalStack;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'handover-services-'));
  const staging = mariadbSettings('staging');
  stack = await startLocalStack({
    sourceRoots: testStackSourceRoots(),
    dataDir: path.join(dir, 'stack'),
    ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
    // The default staging folder (<dir>/staging), and the MariaDB staging server.
    targetRoots: [`sqlite:///${dir}/staging/`, `mysql://${staging.host}:${staging.port}/`],
  });
});
afterAll(async () => stack?.close());

/** A job as GET /jobs/{id} answers it; `output` is the service's own once the job has ended (the fields these tests read). */
interface JobAnswer {
  id: number;
  status: JobStatus;
  input: Record<string, unknown>;
  output?: { tables?: Record<string, number>; events?: unknown[] };
  progress?: unknown;
}

const post = async (url: string, body: unknown, key?: string) => {
  const res = await fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
  // 201: {job_id}; a refusal: {error} only.
  return { status: res.status, json: (await res.json()) as { job_id: number; error?: string } };
};
const job = async (url: string, id: number) => (await fetch(`${url}/jobs/${id}`)).json() as Promise<JobAnswer>;
const finished = (url: string, id: number) =>
  waitFor(async () => ((j) => (['complete', 'failed'].includes(j.status) ? j : undefined))(await job(url, id)), 60_000, `job ${id}`);

test('healthcheck: check selection, results per check, 400 for unknown checks, idempotency', async () => {
  const uri = `sqlite:///${dir}/sus_scrofa_core_110_1.sqlite`;
  await createDemoDatabase(uri, { genes: 200 });
  const bad = await post(stack.urls.healthcheck, { db_uri: uri, hc_names: ['Nope'] });
  expect(bad).toEqual({ status: 400, json: { error: expect.stringContaining('hc_names: unknown Nope') } });
  const first = await post(stack.urls.healthcheck, { db_uri: uri, hc_groups: ['meta', 'relations'] }, 'k-1');
  const again = await post(stack.urls.healthcheck, { db_uri: uri }, 'k-1');
  expect(first.status).toBe(201);
  expect(again.json.job_id).toBe(first.json.job_id);
  const done = await finished(stack.urls.healthcheck, first.json.job_id);
  expect(done.output).toEqual({
    db_name: 'sus_scrofa_core_110_1',
    db_uri: uri,
    status: 'passed',
    results: {
      DatabaseOpens: { status: 'passed', messages: [] },
      MetaKeys: { status: 'passed', messages: [] },
      NameMatchesMeta: { status: 'passed', messages: [] },
      ForeignKeys: { status: 'passed', messages: [] },
    },
  });
});

test('a job a crash left running resumes when the service starts again', async () => {
  const uri = `sqlite:///${dir}/ovis_aries_core_110_1.sqlite`;
  await createDemoDatabase(uri, { genes: 100 });
  const jobsDir = path.join(dir, 'crash');
  const store = new JobStore(path.join(jobsDir, 'jobs', 'healthcheck-jobs.sqlite'), stackSealer({ dataDir: jobsDir }));
  const { job: crashed } = store.create('healthcheck', { db_uri: uri }, 'crashed-1');
  store.update(crashed.id, { status: 'running' });
  store.close();
  const other = await startLocalStack({
    sourceRoots: testStackSourceRoots(),
    dataDir: jobsDir,
    ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
  });
  try {
    const done = await finished(other.urls.healthcheck, crashed.id);
    expect(done).toMatchObject({ status: 'complete', output: { status: 'passed' } });
  } finally {
    await other.close();
  }
});

test('copy: a SQLite copy of chosen tables killed while it runs leaves no partial target (nor its temporary file)', async () => {
  const src = `${dir}/big_core_110_1.sqlite`;
  manyTables(src, 1500, 400); // about 300 ms of copying table by table here; the kill follows the submission within milliseconds
  const target = `${dir}/staging/big_core_110_1.sqlite`;
  // skip_tables: the tables are copied one by one (without it the copy is a copy of the file, over in milliseconds).
  const { json } = await post(stack.urls.copy, {
    source_db_uri: `sqlite:///${src}`,
    target_db_uri: `sqlite:///${target}`,
    skip_tables: ['meta'],
  });
  expect((await job(stack.urls.copy, json.job_id)).status).toBe('running');
  const kill = await fetch(`${stack.urls.copy}/jobs/${json.job_id}?kill=1`, { method: 'DELETE' });
  expect(kill.status).toBe(204);
  const done = await job(stack.urls.copy, json.job_id);
  expect(done.status).toBe('failed');
  expect(await (await fetch(`${stack.urls.copy}/jobs/${json.job_id}?format=failures`)).json()).toEqual({ msg: 'the job was killed' });
  expect(existsSync(target)).toBe(false);
  expect(readdirSync(`${dir}/staging`).filter((f) => f.includes('big_core_110_1'))).toEqual([]);
});

test('copy: every table of a SQLite database is a copy of the file; in WAL mode the commits still in its -wal file come too', async () => {
  const src = `${dir}/wal_core_110_1.sqlite`;
  const writer = new DatabaseSync(src);
  try {
    // A writer that keeps the database open and never checkpoints: the rows live only in the -wal file.
    writer.exec('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0');
    writer.exec(
      "CREATE TABLE meta (meta_id INTEGER PRIMARY KEY, meta_key TEXT, meta_value TEXT); INSERT INTO meta VALUES (1, 'schema_version', " +
        "'110')",
    );
    writer.exec(
      'CREATE TABLE gene (gene_id INTEGER PRIMARY KEY, stable_id TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n ' +
        "WHERE i < 5000) INSERT INTO gene SELECT i, 'G' || i FROM n",
    );
    expect(statSync(`${src}-wal`).size).toBeGreaterThan(0);
    const target = `${dir}/staging/wal_core_110_1.sqlite`;
    const { json } = await post(stack.urls.copy, { source_db_uri: `sqlite:///${src}`, target_db_uri: `sqlite:///${target}` });
    expect(await finished(stack.urls.copy, json.job_id)).toMatchObject({ status: 'complete', output: { tables: { meta: 1, gene: 5000 } } });
    expect(sqliteCounts(target)).toEqual({ meta: 1, gene: 5000 });
    // A rollback-journal source: the copy is the source's bytes.
    const plain = `${dir}/plain_core_110_1.sqlite`;
    await createDemoDatabase(`sqlite:///${plain}`, { genes: 100 });
    const plainTarget = `${dir}/staging/plain_core_110_1.sqlite`;
    const second = await post(stack.urls.copy, { source_db_uri: `sqlite:///${plain}`, target_db_uri: `sqlite:///${plainTarget}` });
    expect(await finished(stack.urls.copy, second.json.job_id)).toMatchObject({ status: 'complete' });
    expect(readFileSync(plainTarget).equals(readFileSync(plain))).toBe(true);
  } finally {
    writer.close();
  }
});

test(
  'copy: MariaDB to MariaDB, only_tables honoured, a killed copy leaves the previous copy as it was, ' +
    'existing targets kept unless drop',
  async () => {
    const [source, staging] = [mariadbSettings('source'), mariadbSettings('staging')];
    const name = 'felis_catus_core_110_9';
    await createDemoDatabase(mariadbUri(source, name), { genes: 60_000 });
    const body = { source_db_uri: mariadbUri(source, name), target_db_uri: mariadbUri(staging, name) };

    const partial = await post(stack.urls.copy, { ...body, only_tables: ['meta', 'gene'] });
    const partialDone = await finished(stack.urls.copy, partial.json.job_id);
    expect(partialDone.output!.tables).toEqual({ gene: 60_000, meta: 5 });
    expect(partialDone.input.target_db_uri).not.toContain(staging.password);

    const refused = await finished(stack.urls.copy, (await post(stack.urls.copy, body)).json.job_id);
    expect(refused.status).toBe('failed');
    expect(await (await fetch(`${stack.urls.copy}/jobs/${refused.id}?format=failures`)).json()).toEqual({
      msg: `target database ${name} exists; submit with drop to replace it`,
    });

    const killed = await post(stack.urls.copy, { ...body, drop: true });
    // The kill follows the submission at once; the copy itself takes over a second here.
    expect((await job(stack.urls.copy, killed.json.job_id)).status).toBe('running');
    expect((await fetch(`${stack.urls.copy}/jobs/${killed.json.job_id}?kill=1`, { method: 'DELETE' })).status).toBe(204);
    expect((await job(stack.urls.copy, killed.json.job_id)).status).toBe('failed');
    // The previous copy (meta and gene only) is untouched, and the killed copy's temporary schema is gone.
    expect(await databaseExists(body.target_db_uri)).toBe(true);
    const staged = await openDatabase(body.target_db_uri);
    try {
      expect(await staged.tables()).toEqual(['gene', 'meta']);
      expect([await staged.count('gene'), await staged.count('meta')]).toEqual([60_000, 5]);
    } finally {
      await staged.close();
    }
    const conn = await mysql.createConnection({ host: staging.host, port: staging.port, user: staging.user, password: staging.password });
    try {
      const [schemas] = await conn.query(
        "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'handover\\_%'",
      );
      expect(schemas).toEqual([]);
    } finally {
      await conn.end();
    }
  },
);

test('metadata: new_assembly, then new_genebuild superseding it, then other', async () => {
  const submit = async (name: string, genebuild: string) => {
    const uri = `sqlite:///${dir}/${name}.sqlite`;
    await createDemoDatabase(uri, { genes: 50, genebuild, assembly: 'ARS1' });
    const { json } = await post(
      stack.urls.metadata,
      { database_uri: uri, email: 'c@example.org', comment: 'x', source: 'Handover' },
      `tok-${name}:metadata`,
    );
    return (await finished(stack.urls.metadata, json.job_id)).output!.events![0];
  };
  expect(await submit('capra_hircus_core_110_1', '2025-01')).toMatchObject({
    type: 'new_assembly',
    genome: 'capra_hircus',
    details: { current_database_list: [] },
  });
  expect(await submit('capra_hircus_core_111_1', '2026-02')).toMatchObject({
    type: 'new_genebuild',
    details: { current_database_list: ['capra_hircus_core_110_1'] },
  });
  expect(await submit('capra_hircus_core_112_1', '2026-02')).toMatchObject({
    type: 'other',
    details: { current_database_list: ['capra_hircus_core_111_1'] },
  });
  const records = (stack.services.metadata as unknown as { metadata: { all(): Array<Record<string, unknown>> } }).metadata
    .all()
    .filter((r) => r.species === 'capra_hircus');
  expect(records.map((r) => [r.name, r.release, r.assembly, r.token, r.current])).toEqual([
    ['capra_hircus_core_110_1', 110, 'ARS1', 'tok-capra_hircus_core_110_1', 0],
    ['capra_hircus_core_111_1', 111, 'ARS1', 'tok-capra_hircus_core_111_1', 0],
    ['capra_hircus_core_112_1', 112, 'ARS1', 'tok-capra_hircus_core_112_1', 1],
  ]);
});
