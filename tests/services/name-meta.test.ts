/**
 * The name and the meta table agree, on the real local stack: a mus_musculus database whose meta
 * says homo_sapiens fails its healthcheck with that reason, and the metadata service refuses it
 * without retiring the current homo_sapiens record (even when no healthcheck ran). SQLite and MariaDB.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mysql from 'mysql2/promise';
import { createDemoDatabase } from '../../services/demo';
import { type LocalStack, startLocalStack } from '../../services/stack';
import { mariadbSettings, mariadbUri } from '../helpers/harness';
import { waitFor } from '../helpers/wait';
import { testStackSourceRoots } from '../helpers/sources';

const source = mariadbSettings('source');
let dir: string;
let stack: LocalStack;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'handover-name-meta-'));
  stack = await startLocalStack({
    sourceRoots: testStackSourceRoots(),
    dataDir: path.join(dir, 'stack'),
    ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
  });
});
afterAll(async () => stack?.close());

interface JobAnswer {
  status: string;
  output?: {
    status?: string;
    results?: Record<string, { status: string; messages: string[] }>;
    events?: Array<{ type: string; genome: string }>;
  };
}
const post = async (service: 'healthcheck' | 'metadata', body: unknown) => {
  const res = await fetch(`${stack.urls[service]}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { job_id: number }).job_id;
};
const finished = (service: 'healthcheck' | 'metadata', id: number) =>
  waitFor(
    async () =>
      ((j: JobAnswer) => (['complete', 'failed'].includes(j.status) ? j : undefined))(
        (await (await fetch(`${stack.urls[service]}/jobs/${id}`)).json()) as JobAnswer,
      ),
    60_000,
    `${service} job ${id}`,
  );
const failures = async (service: 'healthcheck' | 'metadata', id: number) =>
  ((await (await fetch(`${stack.urls[service]}/jobs/${id}?format=failures`)).json()) as { msg: string }).msg;
const records = () => (stack.services.metadata as unknown as { metadata: { all(): Array<Record<string, unknown>> } }).metadata.all();
const metadataJob = (uri: string) =>
  post('metadata', { database_uri: uri, update_type: 'new_assembly', email: 'c@example.org', comment: 'x', source: 'Handover' });

/** A demo database whose meta claims another species (and, with `schemaType`, another schema type). */
async function lying(uri: string, species: string, schemaType?: string) {
  await createDemoDatabase(uri, { genes: 20 });
  const updates = [
    `UPDATE meta SET meta_value = '${species}' WHERE meta_key = 'species.production_name'`,
    ...(schemaType ? [`UPDATE meta SET meta_value = '${schemaType}' WHERE meta_key = 'schema_type'`] : []),
  ];
  if (uri.startsWith('sqlite:')) {
    const db = new DatabaseSync(uri.replace(/^sqlite:\/\//, ''));
    for (const sql of updates) db.exec(sql);
    db.close();
  } else {
    const conn = await mysql.createConnection({
      host: source.host,
      port: source.port,
      user: source.user,
      password: source.password,
      database: uri.split('/').pop(),
    });
    for (const sql of updates) await conn.query(sql);
    await conn.end();
  }
}

const engines: Array<[string, (name: string) => string]> = [
  ['SQLite', (name) => `sqlite:///${dir}/${name}.sqlite`],
  ['MariaDB', (name) => mariadbUri(source, name)],
];

describe.each(engines)('%s', (engine, uriOf) => {
  // Each engine its own species pair, so the records of one do not meet the other's.
  const [human, mouse] = engine === 'SQLite' ? ['homo_sapiens', 'mus_musculus'] : ['pan_troglodytes', 'gorilla_gorilla'];
  const humanName = `${human}_core_110_38`;
  const mouseName = `${mouse}_core_110_39`;

  beforeAll(async () => {
    await createDemoDatabase(uriOf(humanName), { genes: 20 });
    expect(await finished('metadata', await metadataJob(uriOf(humanName)))).toMatchObject({ status: 'complete' });
    expect(records().filter((r) => r.species === human)).toEqual([expect.objectContaining({ name: humanName, current: 1 })]);
  });

  test('a database whose meta names another species fails its healthcheck with the reason', async () => {
    await lying(uriOf(mouseName), human);
    const done = await finished('healthcheck', await post('healthcheck', { db_uri: uriOf(mouseName) }));
    expect(done).toMatchObject({ status: 'complete', output: { status: 'failed' } });
    expect(done.output!.results!.NameMatchesMeta).toEqual({
      status: 'failed',
      messages: [`the name says ${mouse} but meta species.production_name is ${human}`],
    });
  });

  test('the metadata service refuses it (no healthcheck asked) and the other species keeps its current record', async () => {
    await lying(uriOf(mouseName), human);
    const id = await metadataJob(uriOf(mouseName));
    expect(await finished('metadata', id)).toMatchObject({ status: 'failed' });
    expect(await failures('metadata', id)).toContain(
      `${mouseName} is not recorded: the name says ${mouse} but meta species.production_name is ${human}`,
    );
    expect(records().filter((r) => r.species === human)).toEqual([expect.objectContaining({ name: humanName, current: 1 })]);
    expect(records().filter((r) => r.name === mouseName)).toEqual([]);
  });

  test('a schema_type that is not the name type fails the healthcheck and is refused by the metadata service', async () => {
    const name = `${mouse}_funcgen_110_39`;
    await lying(uriOf(name), mouse, 'core');
    const done = await finished('healthcheck', await post('healthcheck', { db_uri: uriOf(name), hc_groups: ['meta'] }));
    expect(done.output!.results!.NameMatchesMeta).toEqual({
      status: 'failed',
      messages: ['the name says funcgen but meta schema_type is core'],
    });
    const id = await metadataJob(uriOf(name));
    expect(await finished('metadata', id)).toMatchObject({ status: 'failed' });
    expect(await failures('metadata', id)).toContain('the name says funcgen but meta schema_type is core');
  });

  test('a matching database passes and is recorded under its own species; the other species is untouched', async () => {
    await createDemoDatabase(uriOf(mouseName), { genes: 20 });
    const checked = await finished('healthcheck', await post('healthcheck', { db_uri: uriOf(mouseName) }));
    expect(checked).toMatchObject({ status: 'complete', output: { status: 'passed' } });
    expect(checked.output!.results!.NameMatchesMeta).toEqual({ status: 'passed', messages: [] });
    const recorded = await finished('metadata', await metadataJob(uriOf(mouseName)));
    expect(recorded.output!.events).toEqual([expect.objectContaining({ type: 'new_assembly', genome: mouse })]);
    expect(records().filter((r) => r.species === human)).toEqual([expect.objectContaining({ name: humanName, current: 1 })]);
    expect(records().filter((r) => r.species === mouse)).toEqual([expect.objectContaining({ name: mouseName, current: 1 })]);
  });
});
