/**
 * Whole handovers through the local stack on the real Temporal server: real checks, a real copy,
 * a real metadata store, real dump files. SQLite and MariaDB (a source server and a staging server).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { databaseExists } from '../../services/db/database';
import { createDemoDatabase } from '../../services/demo';
import { type LocalStack, startLocalStack } from '../../services/stack';
import { type Harness, type MariaDbSettings, mariadbSettings, mariadbUri, spec, startHarness, serviceUrlsEnv } from '../helpers/harness';
import { testStackSourceRoots } from '../helpers/sources';
import { sqliteCounts } from '../helpers/databases';
import { waitFor } from '../helpers/wait';

const source = mariadbSettings('source');
const staging = mariadbSettings('staging');
let stack: LocalStack;
let h: Harness;
/** The staging folder: the handover's HANDOVER_STAGING_URI, and one of the copy service's target roots. */
let stagingDir: string;

beforeAll(async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'handover-stack-'));
  stagingDir = path.join(base, 'staging');
  stack = await startLocalStack({
    sourceRoots: testStackSourceRoots(),
    dataDir: path.join(base, 'services'),
    ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
    passwords: { [`${staging.user}@${staging.host}:${staging.port}`]: staging.password },
    // The copy service writes only here: the staging folder and the MariaDB staging server.
    targetRoots: [`sqlite:///${stagingDir}/`, `mysql://${staging.host}:${staging.port}/`],
  });
  h = await startHarness({
    ...serviceUrlsEnv(stack.urls),
    HANDOVER_STAGING_URI: `sqlite:///${stagingDir}/`,
    // MariaDB databases go to the MariaDB staging server (a target must be on a configured staging place).
    HANDOVER_STAGING_RULES: JSON.stringify([{ pattern: '^(danio_rerio|ovis_aries)_', staging_uri: mariadbUri(staging) }]),
  });
});
afterAll(async () => {
  await h?.stop();
  await stack?.close();
});

async function mysqlCounts(m: MariaDbSettings, database: string): Promise<Record<string, number>> {
  const conn = await mysql.createConnection({ host: m.host, port: m.port, user: m.user, password: m.password, database });
  try {
    const [tables] = await conn.query('SHOW TABLES');
    const counts: Record<string, number> = {};
    for (const row of tables as Array<Record<string, string>>) {
      const t = Object.values(row)[0];
      counts[t] = Number(((await conn.query(`SELECT count(*) AS n FROM \`${t}\``))[0] as Array<{ n: number }>)[0].n);
    }
    return counts;
  } finally {
    await conn.end();
  }
}

/** Recorded by the metadata service, and dumped by the event service's dump job (which runs on after the event step). */
async function expectRecordedAndDumped(name: string, token: string) {
  const record = (stack.services.metadata as unknown as { metadata: { all(): Array<Record<string, unknown>> } }).metadata
    .all()
    .find((r) => r.name === name);
  expect(record).toMatchObject({ name, type: 'core', update_type: 'new_genebuild', token, contact: 'curator@example.org', current: 1 });
  const folder = path.join(stack.dumpsDir, name);
  await waitFor(() => existsSync(path.join(folder, 'CHECKSUMS')), 30_000, `the dump of ${name}`);
  expect(readFileSync(path.join(folder, 'CHECKSUMS'), 'utf8')).toMatch(/^[0-9a-f]{64} {2}gene\.tsv$/m);
  expect(readFileSync(path.join(folder, 'gene.tsv'), 'utf8').split('\n')[0]).toBe(
    'gene_id\tseq_region_id\tseq_region_start\tseq_region_end\tbiotype\tstable_id',
  );
}

test('a SQLite database: checked, copied with identical row counts, recorded, dumped', async () => {
  const src = `sqlite:///${h.dir}/mus_musculus_core_110_39.sqlite`;
  const counts = await createDemoDatabase(src, { genes: 3000, assembly: 'GRCm39' });
  const { statusCode, json } = await h.submit(spec(src));
  expect(statusCode).toBe(201);
  const done = await h.waitForStatus(json.token, 'completed', 120_000);
  expect(done.events).toEqual([expect.objectContaining({ type: 'new_assembly', genome: 'mus_musculus' })]);
  expect(sqliteCounts(`${stagingDir}/mus_musculus_core_110_39.sqlite`)).toEqual(counts);
  expect(counts.exon).toBe(9000);
  await expectRecordedAndDumped('mus_musculus_core_110_39', json.token);
});

test('a MariaDB database onto a MariaDB staging server, passwords and all', async () => {
  const name = 'danio_rerio_core_110_11';
  const counts = await createDemoDatabase(mariadbUri(source, name), { genes: 2500, assembly: 'GRCz11' });
  const { statusCode, json } = await h.submit(spec(mariadbUri(source, name), { tgt_uri: mariadbUri(staging, name) }));
  expect(statusCode).toBe(201);
  const done = await h.waitForStatus(json.token, 'completed', 120_000);
  expect(await mysqlCounts(staging, name)).toEqual(counts);
  await expectRecordedAndDumped(name, json.token);
  const mail = await h.smtp.waitForSubject(name);
  expect(mail.text).toContain(`has been copied to mysql://${staging.user}@${staging.host}:${staging.port}/${name}`);
  expect(JSON.stringify(done)).not.toContain(staging.password);
});

test('a database that fails its checks: the email lists the failing checks and why', async () => {
  const src = `sqlite:///${h.dir}/gallus_gallus_core_110_7.sqlite`;
  await createDemoDatabase(src, { genes: 500, omitMeta: ['species.production_name'], orphanTranscripts: 4 });
  const { json } = await h.submit(spec(src));
  const done = await h.waitForStatus(json.token, 'failed', 120_000);
  expect(done.failure).toMatchObject({ step: 'healthcheck', kind: 'problems' });
  expect(done.failure!.checks).toEqual(
    expect.arrayContaining([
      { check: 'MetaKeys', messages: ['meta key species.production_name is missing'] },
      { check: 'ForeignKeys', messages: ['4 row(s) of transcript.gene_id point to no gene.gene_id'] },
    ]),
  );
  const mail = await h.smtp.waitForSubject('gallus_gallus_core_110_7');
  expect(mail.subject).toBe('Handover of gallus_gallus_core_110_7 failed: healthchecks found problems');
  expect(mail.text).toContain('MetaKeys: meta key species.production_name is missing');
  expect(mail.text).toContain('ForeignKeys: 4 row(s) of transcript.gene_id point to no gene.gene_id');
  expect(existsSync(`${stagingDir}/gallus_gallus_core_110_7.sqlite`)).toBe(false);
});

test('a service restarted during the handover: no job lost, the handover completes', async () => {
  const src = `sqlite:///${h.dir}/bos_taurus_core_110_13.sqlite`;
  await createDemoDatabase(src, { genes: 1000 });
  const { json } = await h.submit(spec(src));
  // Wait for a fact that stays true (the metadata job is on the timeline), not for the step itself: a quick metadata
  // job can pass its step between two looks. The restart then comes while or after that job runs: either way it must
  // be neither lost nor submitted twice.
  await waitFor(
    async () => (await h.progress(json.token)).timeline.find((t) => t.step === 'metadata')?.jobs.length || undefined,
    120_000,
    'the metadata job',
  );
  await stack.restart('metadata');
  const done = await h.waitForStatus(json.token, 'completed', 120_000);
  const metadataJobs = done.timeline.find((t) => t.step === 'metadata')!.jobs;
  expect(metadataJobs).toHaveLength(1);
  // The job is still readable from the restarted service's store.
  const res = await fetch(`${stack.urls.metadata}/jobs/${metadataJobs[0].id}`);
  expect((await res.json()).status).toBe('complete');
});

test('cancelled during the copy: the copy is killed and no partial target is left', async () => {
  // MariaDB, large enough that the dump runs for seconds: the cancel lands mid-copy with room to spare.
  const name = 'ovis_aries_core_110_2';
  await createDemoDatabase(mariadbUri(source, name), { genes: 150_000 });
  const { json } = await h.submit(spec(mariadbUri(source, name), { tgt_uri: mariadbUri(staging, name) }));
  await waitFor(async () => (await h.progress(json.token)).step === 'copy' || undefined, 120_000, 'the copy step');
  await h.app.inject({ method: 'POST', url: `/handovers/${json.token}/cancel`, payload: { by: 'tester', reason: 'changed my mind' } });
  const done = await h.waitForStatus(json.token, 'cancelled', 60_000);
  const copyJob = done.timeline.find((t) => t.step === 'copy')!.jobs[0];
  const job = await (await fetch(`${stack.urls.copy}/jobs/${copyJob.id}`)).json();
  expect(job.status).toBe('failed');
  expect(await databaseExists(mariadbUri(staging, name))).toBe(false);
});
