/**
 * `type` is the kind of update (new_assembly, new_genebuild, patch, other), on the real Temporal server:
 * recorded, passed to the metadata service as `update_type`, searchable; the database type comes from
 * the name. Also: cancel and restart as people type them (no body).
 */
import { timingsFrom } from '../../common/config';
import { type HandoverInput, LOCK_WORKFLOW, searchAttributes } from '../../vocabulary';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());
beforeEach(() => h.jobs.reset());

const list = async (query: string) =>
  (await h.app.inject({ method: 'GET', url: `/handovers?${query}` })).json().handovers as Array<Record<string, string>>;

test('each default update type completes, reaches the metadata service as update_type, and is searchable', async () => {
  const types = ['new_assembly', 'new_genebuild', 'patch', 'other'];
  const submitted = await Promise.all(
    types.map(async (type, i) => {
      // Case-insensitive, recorded in lower case.
      const res = await h.submit(
        spec(h.sqliteSource(`update_${i}_core_110_1`), { type: i === 1 ? 'NEW_GENEBUILD' : type, contact: 'updates@example.org' }),
      );
      expect(res.statusCode).toBe(201);
      return res.json.token;
    }),
  );
  for (const [i, token] of submitted.entries()) {
    const done = await h.waitForStatus(token, 'completed');
    expect(done).toMatchObject({ update_type: types[i], database_type: 'core', spec: { type: types[i] } });
    const metadataJob = h.jobs.jobsOf('metadata').find((j) => j.key === `${token}:metadata`);
    expect(metadataJob?.input).toMatchObject({ update_type: types[i], database_uri: done.spec.tgt_uri, source: 'Handover' });
    // Temporal's own view: both types as search attributes (the Web UI and `temporal workflow list` filter on them).
    const described = await h.client.workflow.getHandle(token).describe();
    expect(described.typedSearchAttributes.get(searchAttributes.updateType)).toBe(types[i]);
    expect(described.typedSearchAttributes.get(searchAttributes.type)).toBe('core');
  }
  for (const [i, type] of types.entries()) {
    // (Visibility is eventually consistent: the last upserts may take a moment to show.)
    const rows = await waitFor(
      async () => {
        const found = await list(`update_type=${type}&contact=updates@example.org&status=completed`);
        return found.length === 1 && found;
      },
      10_000,
      `the list filtered by update_type=${type}`,
    );
    expect(rows).toEqual([expect.objectContaining({ token: submitted[i], update_type: type, type: 'core' })]);
  }
  const mail = await h.smtp.waitForSubject('update_2_core_110_1');
  expect(mail.text).toContain('Update type: patch');
  expect(mail.text).toContain('Database type: core');
  // The email links to the handover's web page, not to the JSON.
  expect(mail.text).toContain(`http://handover.test/ui/handover.html?token=${submitted[2]}`);
  expect(mail.text).not.toContain(`http://handover.test/handovers/${submitted[2]}`);
});

test(
  'an unknown update type, or a database type where the update type goes, is a 400 naming the accepted values; ' + 'nothing starts',
  async () => {
    const before = (await list('limit=1000')).length;
    const submissions = h.jobs.submissions.length;
    for (const type of ['core', 'hotfix', '', 'x'.repeat(5000)]) {
      const res = await h.submit(spec(h.sqliteSource('update_bad_core_110_1'), { type }));
      expect(res.statusCode).toBe(400);
      expect(res.json.issues).toEqual([{ field: 'type', message: 'must be one of new_assembly, new_genebuild, patch, other' }]);
    }
    const batch = await h.app.inject({
      method: 'POST',
      url: '/batches',
      payload: { contact: 'b@example.org', handovers: [{ src_uri: h.sqliteSource('update_batch_core_110_1'), comment: 'no type' }] },
    });
    expect(batch.statusCode).toBe(400);
    expect(batch.json().issues).toEqual([{ field: 'handovers.0.type', message: 'is required' }]);
    expect((await list('limit=1000')).length).toBe(before);
    expect(h.jobs.submissions).toHaveLength(submissions);
  },
);

test('HANDOVER_UPDATE_TYPES sets the accepted list', async () => {
  const other = await startHarness({ HANDOVER_UPDATE_TYPES: 'rebuild,other' });
  try {
    const refused = await other.submit(spec(other.sqliteSource('update_cfg_core_110_1'), { type: 'patch' }));
    expect(refused.json.issues).toEqual([{ field: 'type', message: 'must be one of rebuild, other' }]);
    const ok = await other.submit(spec(other.sqliteSource('update_cfg_core_110_1'), { type: 'Rebuild' }));
    expect(ok.statusCode).toBe(201);
    expect((await other.waitForStatus(ok.json.token, 'completed')).update_type).toBe('rebuild');
    expect((await other.app.inject({ method: 'GET', url: '/admission' })).json().update_types).toEqual(['rebuild', 'other']);
  } finally {
    await other.stop();
  }
});

describe('cancel and restart as people type them', () => {
  const bodies: Array<[string, { headers?: Record<string, string>; payload?: string }]> = [
    ['no body at all', {}],
    ['a JSON content type and no body', { headers: { 'content-type': 'application/json' }, payload: '' }],
    ["curl -d '' (a form content type, empty)", { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' }],
    ['an empty JSON object', { headers: { 'content-type': 'application/json' }, payload: '{}' }],
  ];

  test.each(bodies)('%s: cancel is a 202 and restart a 201', async (name, request) => {
    h.jobs.scripts.copy.runningPolls = 100_000;
    const { json } = await h.submit(spec(h.sqliteSource(`update_cancel_${bodies.findIndex((b) => b[0] === name)}_core_110_1`)));
    await waitFor(async () => (await h.progress(json.token)).step === 'copy', 30_000, 'the copy step');
    const cancel = await h.app.inject({ method: 'POST', url: `/handovers/${json.token}/cancel`, ...request });
    expect(cancel.statusCode).toBe(202);
    const cancelled = await h.waitForStatus(json.token, 'cancelled');
    expect(cancelled.cancelled).toEqual({ by: 'api' });

    h.jobs.scripts.copy.runningPolls = 0;
    const restart = await waitFor(
      async () => {
        const res = await h.app.inject({ method: 'POST', url: `/handovers/${json.token}/restart`, ...request });
        return res.statusCode === 409 ? undefined : res;
      },
      30_000,
      'the restart',
    );
    expect(restart.statusCode).toBe(201);
    const done = await h.waitForStatus(restart.json().token, 'completed');
    expect(done).toMatchObject({ restarted_from: json.token, update_type: 'new_genebuild' });
  });

  test('a form body that is not empty is refused with 415 and a reason, not a 500', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/handovers/any-token/cancel',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'reason=x',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ error: 'send the body as JSON (content-type: application/json)' });
  });
});

test('a handover recorded when `type` was the database type still runs, shows in the list, and restarts as `other`', async () => {
  // Started as the API started handovers then: spec.type is the database type, there is no databaseType.
  const token = `old-meaning-${Date.now()}`;
  const src = h.sqliteSource('old_meaning_core_110_1');
  const tgt = `sqlite:///${h.dir}/staging/old_meaning_core_110_1.sqlite`;
  const old: HandoverInput = {
    token,
    spec: { src_uri: src, tgt_uri: tgt, contact: 'old@example.org', type: 'core', comment: 'recorded before update types' },
    database: 'old_meaning_core_110_1',
    sealed: {},
    timings: timingsFrom(h.config),
    submittedAt: new Date().toISOString(),
  };
  h.jobs.scripts.copy.outcome = 'failed';
  const lockKey = `handover-lock:sqlite:${tgt.replace('sqlite:///', '')}`;
  await h.client.workflow.start(LOCK_WORKFLOW, {
    workflowId: lockKey,
    taskQueue: h.config.HANDOVER_TASK_QUEUE,
    args: [{ lockKey, handover: old }],
    memo: { token },
  });
  const failed = await h.waitForStatus(token, 'failed');
  expect(failed).toMatchObject({ database_type: 'core', spec: { type: 'core' } });
  expect(failed.update_type).toBeUndefined();
  const rows = await waitFor(
    async () => {
      const found = await list('contact=old@example.org&type=core');
      return found.length === 1 && found;
    },
    10_000,
    'the old handover in the list',
  );
  expect(rows[0]).toMatchObject({ token, type: 'core', status: 'failed' });
  expect(rows[0].update_type).toBeUndefined();
  // The metadata step never ran; a restart (from the copy) records the update type as `other`.
  h.jobs.reset();
  const restart = await h.app.inject({ method: 'POST', url: `/handovers/${token}/restart` });
  expect(restart.statusCode).toBe(201);
  const done = await h.waitForStatus(restart.json().token, 'completed');
  expect(done).toMatchObject({ update_type: 'other', database_type: 'core', restarted_from: token });
  expect(h.jobs.jobsOf('metadata').at(-1)?.input).toMatchObject({ update_type: 'other' });
});
