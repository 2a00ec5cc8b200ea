/**
 * The local stack against the attacks of the "aim it anywhere else" issue: hostile input (too long, too large, too
 * deep, of the wrong shape) gets a 4xx with a message, never a 500. The scene, the canary digest and the attack tally
 * are tests/security/stack-harness.ts's: the canary is checksummed before the attacks and again at the end, and must not
 * have changed; the tally is printed at the end.
 */
import { type StackService } from '../../services/stack';
import {
  attack,
  attacks,
  canaryBefore,
  canaryDigest,
  startScene,
  stopScene,
  call,
  jobs,
  sourceUri,
  staging,
  stagingUri,
} from './stack-harness';

beforeAll(() => startScene(), 180_000);
afterAll(stopScene);

// ------------------------------------------------------------------ bounded input: always a 4xx with a message

describe('hostile input gets a 4xx with a message, never a 500', () => {
  const longUri = (kb: number) => `mysql://u:p@${staging.host}:${staging.port}/${'a'.repeat(kb * 1024)}`;
  test('an 80 KB URI: 400 on every service', async () => {
    const cases: Array<[StackService, Record<string, unknown>]> = [
      ['healthcheck', { db_uri: longUri(80) }],
      ['copy', { source_db_uri: sourceUri('felis_catus_core_110_5'), target_db_uri: longUri(80), drop: true }],
      ['copy', { source_db_uri: longUri(80), target_db_uri: stagingUri('x_core_1') }],
      ['metadata', { database_uri: longUri(80) }],
      ['event', { type: 'other', genome: 'g', details: { database_uri: longUri(80) } }],
    ];
    for (const [service, body] of cases) {
      await attack(`80 KB URI to ${service}`, async () => {
        const before = jobs(service);
        const res = await call(service, 'POST', '/jobs', body);
        expect(res).toEqual({ status: 400, json: { error: expect.stringMatching(/longer than 2048 characters/) } });
        expect(jobs(service)).toBe(before);
      });
    }
  });

  test('bodies too large, too deep, of the wrong shape; lists too long; odd headers and ids', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000); // sent as text: too deep for JSON.stringify here
    const cases: Array<[string, StackService, string, string, unknown, Record<string, string>, number]> = [
      ['a 200 KB body', 'copy', 'POST', '/jobs', { source_db_uri: 'x', pad: 'p'.repeat(200 * 1024) }, {}, 413],
      ['a body nested 5000 levels', 'healthcheck', 'POST', '/jobs', deep, {}, 400],
      ['a body nested 5000 levels (event)', 'event', 'POST', '/jobs', `{"type":"other","genome":"g","details":${deep}}`, {}, 400],
      ['a JSON array body', 'copy', 'POST', '/jobs', [1, 2], {}, 400],
      ['a JSON string body', 'metadata', 'POST', '/jobs', '"just a string"', {}, 400],
      ['invalid JSON', 'copy', 'POST', '/jobs', '{"source_db_uri":', {}, 400],
      ['an unsupported content type', 'copy', 'POST', '/jobs', '<x/>', { 'content-type': 'application/xml' }, 415],
      ['a text/plain body', 'copy', 'POST', '/jobs', 'source_db_uri=x', { 'content-type': 'text/plain' }, 400],
      [
        '2000 only_tables',
        'copy',
        'POST',
        '/jobs',
        {
          source_db_uri: sourceUri('felis_catus_core_110_5'),
          target_db_uri: stagingUri('x_core_1'),
          only_tables: Array(2000).fill('gene'),
        },
        {},
        400,
      ],
      [
        'a hostile only_tables entry',
        'copy',
        'POST',
        '/jobs',
        { source_db_uri: sourceUri('felis_catus_core_110_5'), target_db_uri: stagingUri('x_core_1'), only_tables: ['gene`; DROP'] },
        {},
        400,
      ],
      [
        'only_tables not a list',
        'copy',
        'POST',
        '/jobs',
        { source_db_uri: sourceUri('felis_catus_core_110_5'), target_db_uri: stagingUri('x_core_1'), only_tables: 'gene' },
        {},
        400,
      ],
      [
        'drop not a boolean',
        'copy',
        'POST',
        '/jobs',
        { source_db_uri: sourceUri('felis_catus_core_110_5'), target_db_uri: stagingUri('x_core_1'), drop: 'yes' },
        {},
        400,
      ],
      ['a URI that is not a string', 'healthcheck', 'POST', '/jobs', { db_uri: { toString: 'x' } }, {}, 400],
      ['a URI with a bad percent escape', 'healthcheck', 'POST', '/jobs', { db_uri: `${stagingUri('')}%E0%A4%A` }, {}, 400],
      ['a URI of another scheme', 'healthcheck', 'POST', '/jobs', { db_uri: 'file:///etc/passwd' }, {}, 400],
      [
        'hc_names of 5000 items',
        'healthcheck',
        'POST',
        '/jobs',
        { db_uri: stagingUri('x_core_1'), hc_names: Array(5000).fill('MetaKeys') },
        {},
        400,
      ],
      [
        'a 1 KB idempotency key',
        'healthcheck',
        'POST',
        '/jobs',
        { db_uri: stagingUri('x_core_1') },
        { 'idempotency-key': 'k'.repeat(1024) },
        400,
      ],
      ['an event type of 10 KB', 'event', 'POST', '/jobs', { type: 't'.repeat(10_240), genome: 'g' }, {}, 400],
      ['event details that are not an object', 'event', 'POST', '/jobs', { type: 'other', genome: 'g', details: 'x' }, {}, 400],
      ['a job id beyond any integer', 'copy', 'GET', `/jobs/${'9'.repeat(40)}`, undefined, {}, 404],
      ['a job id of 500 characters', 'copy', 'GET', `/jobs/${'1'.repeat(500)}`, undefined, {}, 414],
      ['a negative job id', 'copy', 'DELETE', '/jobs/-1', undefined, {}, 404],
    ];
    for (const [name, service, method, route, body, headers, status] of cases) {
      await attack(`${name} (${service})`, async () => {
        const before = jobs(service);
        const res = await call(service, method, route, body, headers);
        expect({ status: res.status, error: typeof res.json?.error }).toEqual({ status, error: 'string' });
        expect(jobs(service)).toBe(before);
      });
    }
    for (const type of ['constructor', '__proto__', '_comment', 'toString']) {
      await attack(`event type ${type}`, async () => {
        const res = await call('event', 'POST', '/jobs', { type, genome: 'g' });
        expect(res).toMatchObject({ status: 200, json: { processes: [] } });
      });
    }
  });
});

// ------------------------------------------------------------------ the canary

test('after every attack the canary tree, the sources and the canary databases are exactly as they were', async () => {
  expect(await canaryDigest()).toBe(canaryBefore);
  expect(attacks.length).toBeGreaterThan(0);
  expect(attacks.filter((a) => !a.stopped)).toEqual([]);
});
