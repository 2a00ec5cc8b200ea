/** Admission rules: each refuses what it should (with a reason, recorded as `rejected`) and admits what it should. */
import { existsSync } from 'node:fs';
import { createDemoDatabase } from '../../services/demo';
import { type Harness, spec, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ HANDOVER_RELEASE: '110', HANDOVER_ALLOWED_TYPES: 'core,variation', HANDOVER_STAGING_RULES: '[]' });
});
afterAll(async () => h?.stop());

async function expectRejected(src: string, field: string, message: string) {
  const before = h.jobs.submissions.length;
  const res = await h.submit(spec(src));
  expect(res.statusCode).toBe(422);
  expect(res.json).toEqual({ error: 'handover refused', issues: [{ field, message }], token: expect.any(String) });
  const recorded = await h.waitForStatus(res.json.token, 'rejected');
  expect(recorded.failure).toEqual({ step: 'checking', kind: 'rejected', reason: `${field}: ${message}` });
  const list = (await h.app.inject({ method: 'GET', url: '/handovers?status=rejected' })).json().handovers;
  expect(list.map((r: { token: string }) => r.token)).toContain(res.json.token);
  expect(h.jobs.submissions.length).toBe(before);
}

test('an unknown database name is refused', async () => {
  await expectRejected(
    h.sqliteSource('my_scratch_db'),
    'src_uri',
    'database name my_scratch_db is not an Ensembl name (<species>_<type>_<release>_<assembly>, ' +
      'ensembl_compara_<release> or ensembl_ancestral_<release>)',
  );
});

test('a database type whose window is not open is refused (the type comes from the name)', async () => {
  await expectRejected(
    h.sqliteSource('danio_rerio_rnaseq_110_11'),
    'src_uri',
    'rnaseq databases are not being handed over now (open: core, variation)',
  );
  const list = (await h.app.inject({ method: 'GET', url: '/handovers?status=rejected&database=danio_rerio_rnaseq_110_11' })).json()
    .handovers;
  expect(list).toEqual([expect.objectContaining({ type: 'rnaseq', update_type: 'new_genebuild' })]);
});

test('a source of another release is refused at the checking step, told by email', async () => {
  const src = `sqlite:///${h.dir}/danio_rerio_core_109_11.sqlite`;
  await createDemoDatabase(src, { genes: 10 });
  const { statusCode, json } = await h.submit(spec(src));
  expect(statusCode).toBe(201);
  const done = await h.waitForStatus(json.token, 'rejected');
  expect(done.failure).toEqual({
    step: 'checking',
    kind: 'rejected',
    reason: "the source's meta.schema_version is 109, but release 110 is being handed over",
  });
  const mail = await h.smtp.waitForSubject('danio_rerio_core_109_11');
  expect(mail.subject).toBe(
    "Handover of danio_rerio_core_109_11 refused: the source's meta.schema_version is 109, but release 110 is being handed over",
  );
});

test('admitted: an Ensembl name of an open type and the right release completes', async () => {
  const { statusCode, json } = await h.submit(spec(h.sqliteSource('danio_rerio_variation_110_11'), { type: 'patch' }));
  expect(statusCode).toBe(201);
  expect(await h.waitForStatus(json.token, 'completed')).toMatchObject({ database_type: 'variation', update_type: 'patch' });
  expect((await h.app.inject({ method: 'GET', url: '/admission' })).json()).toEqual({
    open: true,
    allowed_types: ['core', 'variation'],
    update_types: ['new_assembly', 'new_genebuild', 'patch', 'other'],
    release: '110',
  });
});

describe('staging by rule, and a closed window', () => {
  let other: Harness;
  afterEach(async () => other?.stop());

  test('a per-pattern rule picks the staging server', async () => {
    other = await startHarness({
      HANDOVER_STAGING_RULES: JSON.stringify([{ pattern: '_variation_', staging_uri: `sqlite:///${h.dir}/variation-staging/` }]),
    });
    const src = other.sqliteSource('sus_scrofa_variation_110_11');
    const { json } = await other.submit(spec(src));
    const done = await other.waitForStatus(json.token, 'completed');
    expect(done.spec.tgt_uri).toBe(`sqlite:///${h.dir}/variation-staging/sus_scrofa_variation_110_11.sqlite`);
    const core = await other.submit(spec(other.sqliteSource('sus_scrofa_core_110_11')));
    expect((await other.waitForStatus(core.json.token, 'completed')).spec.tgt_uri).toBe(
      `sqlite:///${other.dir}/staging/sus_scrofa_core_110_11.sqlite`,
    );
  });

  test('no open types: "handover is closed" (403), recorded too', async () => {
    other = await startHarness({ HANDOVER_ALLOWED_TYPES: '' });
    expect((await other.app.inject({ method: 'GET', url: '/admission' })).json()).toMatchObject({
      open: false,
      allowed_types: [],
      release: null,
    });
    const res = await other.submit(spec(other.sqliteSource('sus_scrofa_core_110_12')));
    expect(res.statusCode).toBe(403);
    expect(res.json).toMatchObject({ error: 'handover is closed', issues: [{ field: 'src_uri', message: 'handover is closed' }] });
    await other.waitForStatus(res.json.token, 'rejected');
    expect(existsSync(`${other.dir}/staging/sus_scrofa_core_110_12.sqlite`)).toBe(false);
  });
});
