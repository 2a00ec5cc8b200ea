/** The healthcheck service's checks on real databases: a schema defect is a problem found, and every other check still runs. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { dropDatabase, openDatabase } from '../../services/db/database';
import { createDemoDatabase } from '../../services/demo';
import { runHealthchecks } from '../../services/healthcheck/checks';
import { type LocalStack, startLocalStack } from '../../services/stack';
import { mariadbQuery, mariadbSettings, mariadbUri } from '../helpers/harness';
import { testStackSourceRoots } from '../helpers/sources';
import { waitFor } from '../helpers/wait';

let dir: string;
let stack: LocalStack;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'handover-healthcheck-'));
  stack = await startLocalStack({
    sourceRoots: testStackSourceRoots(),
    dataDir: path.join(dir, 'stack'),
    ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
  });
});
afterAll(async () => stack?.close());

/** A healthcheck job as GET /jobs/{id} answers it (its output: once it has ended). */
interface CheckJob {
  status: string;
  output: { status: string; results: Record<string, { status: string; messages: string[] }> };
}

const check = async (body: Record<string, unknown>) => {
  const res = await fetch(`${stack.urls.healthcheck}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const { job_id } = (await res.json()) as { job_id: number };
  expect(res.status).toBe(201);
  const url = `${stack.urls.healthcheck}/jobs/${job_id}`;
  return waitFor(
    async () => ((j) => (['complete', 'failed'].includes(j.status) ? j : undefined))((await (await fetch(url)).json()) as CheckJob),
    60_000,
    `healthcheck job ${job_id}`,
  );
};
const passed = { status: 'passed', messages: [] };

// The demo schema, with transcript.seq_region_id and the exon table gone: what the core rules name but the database lacks.
const BREAK_SCHEMA = ['ALTER TABLE transcript DROP COLUMN seq_region_id', 'DROP TABLE exon'];
const schemaDefects = {
  db_name: expect.any(String),
  db_uri: expect.any(String),
  status: 'failed',
  results: {
    DatabaseOpens: passed,
    TableIntegrity: passed,
    MetaKeys: passed,
    NameMatchesMeta: passed,
    // Once each, though the exon table is named by a required table and by three relations.
    SchemaMatches: { status: 'failed', messages: ['table exon is missing', 'transcript.seq_region_id is missing'] },
    RequiredTablesNotEmpty: { status: 'failed', messages: ['table exon is missing'] },
    // The relations still checkable are checked; the others are SchemaMatches' report.
    ForeignKeys: passed,
  },
};

test('a healthy core database passes every check, SchemaMatches included; hc_groups knows schema', async () => {
  const uri = `sqlite:///${dir}/bos_taurus_core_110_12.sqlite`;
  await createDemoDatabase(uri, { genes: 100 });
  const all = await check({ db_uri: uri });
  expect(all).toMatchObject({ status: 'complete', output: { status: 'passed' } });
  expect(all.output.results).toEqual({
    DatabaseOpens: passed,
    TableIntegrity: passed,
    MetaKeys: passed,
    NameMatchesMeta: passed,
    SchemaMatches: passed,
    RequiredTablesNotEmpty: passed,
    ForeignKeys: passed,
  });
  const schemaOnly = await check({ db_uri: uri, hc_groups: ['schema'] });
  expect(schemaOnly.output.results).toEqual({ DatabaseOpens: passed, SchemaMatches: passed });
});

test('SQLite: a missing column and a missing table are problems found (SchemaMatches), and the other checks run', async () => {
  const uri = `sqlite:///${dir}/homo_sapiens_core_110_38.sqlite`;
  await createDemoDatabase(uri, { genes: 100 });
  const db = new DatabaseSync(`${dir}/homo_sapiens_core_110_38.sqlite`);
  for (const sql of BREAK_SCHEMA) db.exec(sql);
  db.close();
  const done = await check({ db_uri: uri });
  expect(done.status).toBe('complete');
  expect(done.output).toEqual({ ...schemaDefects, db_name: 'homo_sapiens_core_110_38', db_uri: uri });
});

test('MariaDB: the same defects, the same report; columns() reads information_schema', async () => {
  const source = mariadbSettings('source');
  const name = 'mus_musculus_core_110_39';
  const uri = mariadbUri(source, name);
  await createDemoDatabase(uri, { genes: 100 });
  try {
    const db = await openDatabase(uri);
    try {
      expect(await db.columns('transcript')).toEqual([
        'transcript_id',
        'gene_id',
        'seq_region_id',
        'seq_region_start',
        'seq_region_end',
        'stable_id',
      ]);
      expect(await db.columns("no_such_table' OR '1'='1")).toEqual([]);
    } finally {
      await db.close();
    }
    await mariadbQuery(BREAK_SCHEMA.map((sql) => sql.replace(/(TABLE) (\w+)/, `$1 \`${name}\`.$2`)).join('; '));
    const done = await check({ db_uri: uri });
    expect(done.status).toBe('complete');
    expect(done.output).toEqual({ ...schemaDefects, db_name: name, db_uri: expect.stringContaining(`/${name}`) });
    expect(JSON.stringify(done)).not.toContain(source.password);
  } finally {
    await dropDatabase(uri);
  }
});

test('SQLite columns(): in order, quoted, none for a missing table', async () => {
  const uri = `sqlite:///${dir}/columns_core_110_1.sqlite`;
  await createDemoDatabase(uri, { genes: 10 });
  const db = await openDatabase(uri);
  try {
    expect(await db.columns('exon_transcript')).toEqual(['exon_id', 'transcript_id', 'rank']);
    expect(await db.columns('no such "table"')).toEqual([]);
  } finally {
    await db.close();
  }
});

test('a check that throws fails on its own, with its error; the other checks still run', async () => {
  const uri = `sqlite:///${dir}/sus_scrofa_core_110_2.sqlite`;
  await createDemoDatabase(uri, { genes: 10 });
  const schemasFile = path.join(dir, 'bad-schemas.json');
  writeFileSync(
    schemasFile,
    JSON.stringify({
      core: { required_tables: ['meta'], relations: ['gene.seq_region_id => seq_region'] },
      default: { required_tables: [], relations: [] },
    }),
  );
  const bad = { status: 'failed', messages: ['bad relation "gene.seq_region_id => seq_region" (expected table.column -> table.column)'] };
  expect(await runHealthchecks({ db_uri: uri }, { schemasFile })).toEqual({
    db_name: 'sus_scrofa_core_110_2',
    status: 'failed',
    results: {
      DatabaseOpens: passed,
      TableIntegrity: passed,
      MetaKeys: passed,
      NameMatchesMeta: passed,
      SchemaMatches: bad,
      RequiredTablesNotEmpty: passed,
      ForeignKeys: bad,
    },
  });
});

test('a database that cannot be opened: DatabaseOpens fails and no other check runs, as before', async () => {
  const done = await check({ db_uri: `sqlite:///${dir}/absent_core_110_1.sqlite` });
  expect(done).toMatchObject({ status: 'complete', output: { status: 'failed' } });
  expect(done.output.results).toEqual({ DatabaseOpens: { status: 'failed', messages: [expect.stringContaining('does not exist')] } });
});
