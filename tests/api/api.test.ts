/** The API's refusals and its reading side, against the real Temporal server. */
import { buildApp } from '../../api/app';
import { apiClient } from '../../api/temporal';
import { createSealer } from '../../common/secrets';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { testSourcesEnv } from '../helpers/sources';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

const handoverCount = async () => (await h.app.inject({ method: 'GET', url: '/handovers?limit=1000' })).json().handovers.length;

describe('bad input: 400 naming each bad field, nothing started', () => {
  const cases: Array<[string, Record<string, unknown>, Array<{ field: string; message: string }>]> = [
    [
      'an empty body',
      {},
      [
        { field: 'src_uri', message: 'is required' },
        { field: 'contact', message: 'is required' },
        { field: 'type', message: 'is required' },
        { field: 'comment', message: 'is required' },
      ],
    ],
    [
      'a bad email and an unknown scheme',
      { ...spec('postgres://h/db'), contact: 'not-an-email' },
      [
        { field: 'src_uri', message: 'has unsupported scheme "postgres" (use mysql or sqlite)' },
        { field: 'contact', message: 'must be an email address' },
      ],
    ],
    [
      'an unknown field',
      { ...spec('sqlite:////data/x_core_1_1.sqlite'), priority: 'high' },
      [{ field: 'priority', message: 'is not a known field' }],
    ],
    [
      'a relative sqlite path and a blank comment',
      { ...spec('sqlite:///rel/x.sqlite'), comment: '   ' },
      [
        { field: 'src_uri', message: 'must give an absolute sqlite path (sqlite:////absolute/path)' },
        { field: 'comment', message: 'is required' },
      ],
    ],
    [
      'a mysql URI without a database',
      spec('mysql://u:p@db.example.org:3306/'),
      [{ field: 'src_uri', message: 'must name a database (mysql://user:pass@host:port/name)' }],
    ],
    [
      'a target that is the source',
      // In a source folder (the harness's), so that the target is what is refused.
      spec(`sqlite:///${testSourcesEnv().HANDOVER_SOURCE_ROOTS}/same_core_1_1.sqlite`, {
        tgt_uri: `sqlite:///${testSourcesEnv().HANDOVER_SOURCE_ROOTS}/same_core_1_1.sqlite`,
      }),
      [{ field: 'tgt_uri', message: 'is the same database as src_uri' }],
    ],
  ];

  test.each(cases)('%s', async (_name, body, issues) => {
    const before = await handoverCount();
    const res = await h.app.inject({ method: 'POST', url: '/handovers', payload: body });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: expect.stringMatching(/^invalid body/), issues });
    expect(await handoverCount()).toBe(before);
    expect(h.jobs.submissions).toHaveLength(0);
  });

  test('the password of a bad URI is not echoed back', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/handovers',
      payload: { ...spec('mysql://u:Hunter2pw@db.example.org:3306/'), contact: 'x' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('Hunter2pw');
  });
});

test('an unknown token is a 404, for reading and for cancelling; so is a lock workflow id', async () => {
  for (const [method, url] of [
    ['GET', '/handovers/no-such-token'],
    ['POST', '/handovers/no-such-token/cancel'],
  ] as const) {
    const res = await h.app.inject({ method, url, payload: method === 'POST' ? {} : undefined });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'no handover with token no-such-token' });
  }
  const { json } = await h.submit(spec(h.sqliteSource('lock_is_not_a_handover_core_1_1')));
  await h.waitForStatus(json.token, 'completed');
  const lockId = encodeURIComponent(`handover-lock:sqlite:${h.dir}/staging/lock_is_not_a_handover_core_1_1.sqlite`);
  expect((await h.app.inject({ method: 'GET', url: `/handovers/${lockId}` })).statusCode).toBe(404);
});

test('the list filters by status, database, contact, database type and update type, newest first', async () => {
  h.jobs.reset();
  const a = await h.submit(spec(h.sqliteSource('list_a_variation_1_1'), { contact: 'a@example.org', type: 'patch' }));
  await h.waitForStatus(a.json.token, 'completed');
  h.jobs.scripts.healthcheck.outcome = 'problems';
  const b = await h.submit(spec(h.sqliteSource('list_b_core_1_1'), { contact: 'b@example.org' }));
  await h.waitForStatus(b.json.token, 'failed');
  h.jobs.reset();
  const list = async (q: string) =>
    (await h.app.inject({ method: 'GET', url: `/handovers?${q}` })).json().handovers.map((r: { token: string }) => r.token);
  expect(await list('contact=a@example.org')).toEqual([a.json.token]);
  // (The Temporal server is shared by every test file: other variation handovers may be listed too.)
  const variation = await list('type=variation');
  expect(variation).toContain(a.json.token);
  expect(variation).not.toContain(b.json.token);
  expect(await list('update_type=patch&contact=a@example.org')).toEqual([a.json.token]);
  expect(await list('update_type=new_genebuild&contact=a@example.org')).toEqual([]);
  const rows = (await h.app.inject({ method: 'GET', url: '/handovers?contact=a@example.org' })).json().handovers;
  expect(rows).toEqual([expect.objectContaining({ type: 'variation', update_type: 'patch' })]);
  expect(await list('status=failed&database=list_b_core_1_1')).toEqual([b.json.token]);
  expect(await list('status=completed&database=list_b_core_1_1')).toEqual([]);
  const all = await list('limit=1000');
  expect(all.indexOf(b.json.token)).toBeLessThan(all.indexOf(a.json.token));
  const bad = await h.app.inject({ method: 'GET', url: `/handovers?status=lost` });
  expect(bad.statusCode).toBe(400);
  expect(bad.json().issues[0].field).toBe('status');
});

test('OpenAPI at /docs, health at /health', async () => {
  const docs = await h.app.inject({ method: 'GET', url: '/docs/json' });
  expect(docs.statusCode).toBe(200);
  expect(Object.keys(docs.json().paths)).toEqual(
    expect.arrayContaining(['/handovers', '/handovers/{token}', '/handovers/{token}/cancel', '/health']),
  );
  expect(docs.json().paths['/handovers'].post.requestBody.content['application/json'].schema.required).toEqual([
    'src_uri',
    'contact',
    'type',
    'comment',
  ]);
  const health = await h.app.inject({ method: 'GET', url: '/health' });
  expect(health.json()).toEqual({ status: 'ok', temporal: 'reachable' });
});

test('Temporal unreachable: 503 with a clear message, and /health says so', async () => {
  const app = await buildApp({
    client: apiClient({ ...h.config, TEMPORAL_ADDRESS: '127.0.0.1:1' }),
    config: h.config,
    sealer: createSealer(h.config.HANDOVER_SECRET_KEY),
  });
  try {
    const res = await app.inject({ method: 'POST', url: '/handovers', payload: spec(h.sqliteSource('unreachable_core_1_1')) });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'Temporal is unreachable; try again shortly' });
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({ status: 'degraded', temporal: 'unreachable' });
  } finally {
    await app.close();
  }
});
