/**
 * Teams moving from Ensembl's handover keep their tools: Ensembl's own Python clients
 * (ensembl-prodinf-core from PyPI, unchanged) drive Handover's Ensembl routes on a real port, and the
 * local job services, against the real Temporal server and a real MariaDB source.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDemoDatabase } from '../../services/demo';
import { type LocalStack, startLocalStack } from '../../services/stack';
import { manyTables } from '../helpers/databases';
import { testStackSourceRoots } from '../helpers/sources';
import { type Harness, mariadbQuery, mariadbSettings, mariadbUri, startHarness } from '../helpers/harness';
import { ensemblClient, ensemblPython } from '../helpers/python';
import { waitFor } from '../helpers/wait';

let python: string;
let h: Harness;
let api: string;
const m = mariadbSettings();
const server = `mysql://${m.user}:${encodeURIComponent(m.password)}@${m.host}:${m.port}`;
const recorded = (db: string) => `mysql://${m.user}@${m.host}:${m.port}/${db}`;
// Unique per run: the Temporal server (and so the list) is shared by every test file.
const contact = `ensembl.${Math.random().toString(36).slice(2, 8)}@example.org`;

beforeAll(async () => {
  python = ensemblPython();
  await mariadbQuery(`
    CREATE DATABASE IF NOT EXISTS bos_taurus_core_110_3; CREATE DATABASE IF NOT EXISTS sus_scrofa_core_110_4;
    CREATE TABLE IF NOT EXISTS bos_taurus_core_110_3.meta (meta_id INT PRIMARY KEY, meta_key VARCHAR(64), meta_value VARCHAR(255));
    CREATE TABLE IF NOT EXISTS sus_scrofa_core_110_4.meta (meta_id INT PRIMARY KEY, meta_key VARCHAR(64), meta_value VARCHAR(255));`);
  // MariaDB sources go to a MariaDB staging server (a copy stays on one engine).
  h = await startHarness({ HANDOVER_STAGING_URI: mariadbUri(mariadbSettings('staging')) });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  api = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}/`;
}, 600_000);
afterAll(async () => h?.stop());

const client = <T = unknown>(command: string, args: Record<string, unknown> = {}) => ensemblClient<T>(python, command, { api, ...args });
const ensemblSpec = (db: string) => ({ src_uri: `${server}/${db}`, contact, comment: 'moved from Ensembl', source: 'Handover' });

test("HandoverClient: submit, list, retrieve, print details and the summary email, on Ensembl's routes", async () => {
  const ok = await client<string>('submit', { spec: ensemblSpec('bos_taurus_core_110_3') });
  expect(ok).toMatchObject({ code: 0, result: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  const token: string = ok.result!;
  // No type in Ensembl's submission: recorded as the update type `other`; the database type comes from the name.
  const done = await h.waitForStatus(token, 'completed');
  expect(done).toMatchObject({
    update_type: 'other',
    database_type: 'core',
    spec: { type: 'other', src_uri: recorded('bos_taurus_core_110_3') },
  });

  h.jobs.scripts.healthcheck.outcome = 'problems';
  const bad = await client<string>('submit', { spec: ensemblSpec('sus_scrofa_core_110_4') });
  await h.waitForStatus(bad.result!, 'failed');

  // Ensembl's rows (api/routes/ensembl.ts): the fields read here.
  const list = await client<Array<{ contact: string; report_time: string }>>('list');
  expect(list.code).toBe(0);
  const mine = list.result!.filter((row) => row.contact === contact);
  expect(mine).toEqual([
    expect.objectContaining({
      handover_token: bad.result,
      src_uri: recorded('sus_scrofa_core_110_4'),
      comment: 'moved from Ensembl',
      current_message: 'Handover failed at the healthcheck step',
    }),
    expect.objectContaining({
      handover_token: token,
      src_uri: recorded('bos_taurus_core_110_3'),
      comment: 'moved from Ensembl',
      current_message: 'Handover successful',
    }),
  ]);
  for (const row of mine) expect(row.report_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);

  const retrieved = await client('retrieve', { token });
  expect(retrieved.result).toEqual([
    expect.objectContaining({
      handover_token: token,
      src_uri: recorded('bos_taurus_core_110_3'),
      contact,
      progress_complete: 5,
      progress_total: 5,
      message: expect.stringMatching(/^Handover successful: bos_taurus_core_110_3 is on staging at /),
    }),
  ]);

  // Their client prints a handover (parsing our report_time) and the summary email (matching our messages).
  const details = await client('details', { token });
  expect(details.log).toMatch(
    new RegExp(
      `^Handover ${api}jobs/${token} \\(${recorded('bos_taurus_core_110_3')}\\) submitted by \\(${contact}\\) - Handover successful: ` +
        `.* on \\d\\d-\\d\\d-\\d{4} \\d\\d:\\d\\d\\.$`,
      'm',
    ),
  );
  const summary = await client('summary', { contact });
  expect(summary.code).toBe(0);
  expect(summary.log).toContain(`Handover ${token} - bos_taurus_core_110_3 : success`);
  expect(summary.log).toContain(`Handover ${bad.result} - sus_scrofa_core_110_4 : failed`);

  // The password went to the job services only.
  expect(JSON.stringify([list.result, retrieved.result, details.log, summary.log])).not.toContain(m.password);
});

test("HandoverClient: a refusal reaches Ensembl's client as its RuntimeError, with the field and the reason", async () => {
  const refused = await client('submit', { spec: ensemblSpec('not_an_ensembl_database') });
  expect(refused.code).not.toBe(0);
  expect(refused.log).toMatch(/RuntimeError: .*'field': 'src_uri'.*is not an Ensembl name/);
  const unknown = await client('retrieve', { token: 'no-such-token' });
  expect(unknown.log).toContain('404 Client Error');
});

describe("RestClient against the local stack's job services", () => {
  let stack: LocalStack;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'handover-ensembl-'));
    stack = await startLocalStack({
      sourceRoots: testStackSourceRoots(),
      dataDir: path.join(dir, 'stack'),
      ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
    });
  });
  afterAll(async () => stack?.close());
  const service = (name: keyof LocalStack['urls']) => `${stack.urls[name]}/`;

  test('submit, retrieve and list a healthcheck job', async () => {
    const uri = `sqlite:///${dir}/ovis_aries_core_110_2.sqlite`;
    await createDemoDatabase(uri, { genes: 200 });
    const submitted = await ensemblClient(python, 'job-submit', {
      service: service('healthcheck'),
      payload: { db_uri: uri, hc_groups: ['meta'] },
    });
    expect(submitted).toMatchObject({ code: 0, result: expect.any(Number) });
    await waitFor(
      async () =>
        (await ensemblClient<{ status: string }>(python, 'job-retrieve', { service: service('healthcheck'), job_id: submitted.result }))
          .result?.status === 'complete',
      30_000,
      'the healthcheck job',
    );
    const job = await ensemblClient(python, 'job-retrieve', { service: service('healthcheck'), job_id: submitted.result });
    expect(job.result).toMatchObject({
      id: submitted.result,
      status: 'complete',
      output: { status: 'passed', results: { MetaKeys: { status: 'passed' } } },
    });
    const listed = await ensemblClient<Array<{ id: number }>>(python, 'job-list', { service: service('healthcheck') });
    expect(listed.result!.map((j) => j.id)).toContain(submitted.result);
  });

  test('kill a running copy and read its failure', async () => {
    const src = `${dir}/big_core_110_2.sqlite`;
    manyTables(src, 1500, 400);
    const target = `${dir}/staging/big_core_110_2.sqlite`;
    const killed = await ensemblClient<{ job_id: number }>(python, 'job-submit-kill', {
      service: service('copy'),
      // Chosen tables: copied one by one, long enough for the kill to land (a whole database is a copy of the file, over at once).
      payload: { source_db_uri: `sqlite:///${src}`, target_db_uri: `sqlite:///${target}`, skip_tables: ['meta'] },
    });
    expect(killed).toMatchObject({ code: 0, result: { status: 'running', killed: true } });
    const failures = await ensemblClient(python, 'job-failures', { service: service('copy'), job_id: killed.result!.job_id });
    expect(failures.result).toEqual({ msg: 'the job was killed' });
    expect(existsSync(target)).toBe(false);
  });
});
