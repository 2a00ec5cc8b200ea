/**
 * Real MariaDB sources with real passwords. The password reaches the job services (they need it) and
 * nowhere else: not the workflow input or history, search attributes, memo, emails, reports or API answers.
 */
import { type Harness, mariadbQuery, mariadbSettings, spec, startHarness } from '../helpers/harness';

let h: Harness;
const m = mariadbSettings();
const server = `mysql://${m.user}:${encodeURIComponent(m.password)}@${m.host}:${m.port}`;
// The staging server (another server: a target is never the source; the fake copy service never connects to it).
const st = mariadbSettings('staging');
const staging = `mysql://${st.user}:${encodeURIComponent(st.password)}@${st.host}:${st.port}`;

beforeAll(async () => {
  await mariadbQuery(`
    CREATE DATABASE IF NOT EXISTS secret_core_110_1; CREATE DATABASE IF NOT EXISTS secret_fail_core_110_1;
    CREATE TABLE IF NOT EXISTS secret_core_110_1.meta (meta_id INT PRIMARY KEY, meta_key VARCHAR(64), meta_value VARCHAR(255));`);
  h = await startHarness({ HANDOVER_STAGING_URI: `${staging}/` });
});
afterAll(async () => h?.stop());

/** Every string in a history, payloads decoded: what anyone reading the history could see. */
function readable(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) readable(v, out);
  return out;
}

async function everythingRecorded(token: string, lockId: string): Promise<string> {
  const parts: string[] = [];
  for (const id of [token, lockId]) {
    const handle = h.client.workflow.getHandle(id);
    parts.push(...readable(await handle.fetchHistory()));
    const description = await handle.describe();
    parts.push(JSON.stringify(description.memo ?? {}), JSON.stringify(description.searchAttributes), ...readable(description.raw));
  }
  return parts.join('\n');
}

test('the password is used for the work but never recorded', async () => {
  h.jobs.scripts.copy.outcome = 'failed';
  h.jobs.scripts.copy.failureMessage = `could not write ${server}/secret_fail_core_110_1 (password ${m.password})`;
  const ok = await h.submit(spec(`${server}/secret_core_110_1`));
  expect(ok.statusCode).toBe(201);
  const done = await h.waitForStatus(ok.json.token, 'failed');
  expect(done.failure!.step).toBe('copy');
  // The failure reason survives, with the password taken out.
  expect(done.failure!.reason).toContain(`could not write mysql://${m.user}:***@${m.host}:${m.port}/secret_fail_core_110_1 (password ***)`);
  expect(done.spec.src_uri).toBe(`mysql://${m.user}@${m.host}:${m.port}/secret_core_110_1`);
  expect(done.spec.tgt_uri).toBe(`mysql://${st.user}@${st.host}:${st.port}/secret_core_110_1`);

  // The services got the real URIs: the password went where it is needed.
  const copyJob = h.jobs.jobsOf('copy')[0];
  expect(h.jobs.jobsOf('healthcheck')[0].input.db_uri).toBe(`${server}/secret_core_110_1`);
  expect(copyJob.input).toMatchObject({ source_db_uri: `${server}/secret_core_110_1`, target_db_uri: `${staging}/secret_core_110_1` });

  const mail = await h.smtp.waitForSubject('secret_core_110_1');
  const api = [
    (await h.app.inject({ method: 'GET', url: `/handovers/${ok.json.token}` })).body,
    (await h.app.inject({ method: 'GET', url: '/handovers' })).body,
    (await h.app.inject({ method: 'GET', url: `/handovers/${ok.json.token}/reports` })).body,
    (await h.app.inject({ method: 'GET', url: `/jobs/${ok.json.token}` })).body,
    (await h.app.inject({ method: 'GET', url: '/jobs' })).body,
    JSON.stringify(h.reportLines),
  ];
  // The reports are searched for real: they name the failure.
  expect(JSON.stringify(h.reportLines)).toContain('could not write');
  const lockId = `handover-lock:mysql:${st.host}:${st.port}/secret_core_110_1`;
  const recorded = await everythingRecorded(ok.json.token, lockId);
  // The search is real: the history holds the database name, in decoded payloads.
  expect(recorded).toContain('secret_core_110_1');
  expect(recorded).toContain('could not write');
  for (const text of [recorded, mail.text ?? '', String(mail.html), ...api]) {
    expect(text).not.toContain(m.password);
    expect(text).not.toContain(encodeURIComponent(m.password));
    expect(text).not.toContain(st.password);
  }
});

test('a MariaDB source that does not exist fails at the checking step, on the real server', async () => {
  const { statusCode, json } = await h.submit(spec(`${server}/absent_core_110_1`));
  expect(statusCode).toBe(201);
  const done = await h.waitForStatus(json.token, 'failed');
  expect(done.failure).toMatchObject({ step: 'checking', kind: 'error' });
  expect(done.failure!.reason).toBe(
    `source database mysql://${m.user}@${m.host}:${m.port}/absent_core_110_1 does not exist on ${m.host}:${m.port}`,
  );
});

test('a wrong password is refused at the checking step, and is not recorded either', async () => {
  const { json } = await h.submit(
    spec(`mysql://${m.user}:WrongPass123@${m.host}:${m.port}/secret_core_110_1`, { tgt_uri: `${staging}/secret_core_110_1` }),
  );
  const done = await h.waitForStatus(json.token, 'failed');
  expect(done.failure).toMatchObject({ step: 'checking', kind: 'error' });
  expect(done.failure!.reason).toContain('refused the login');
  const recorded = await everythingRecorded(json.token, `handover-lock:mysql:${st.host}:${st.port}/secret_core_110_1`);
  expect(recorded).not.toContain('WrongPass123');
});
