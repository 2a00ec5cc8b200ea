/**
 * API keys against the real Temporal server, every answer of a keyed API: every route the app has, with no key, a
 * wrong key and a key of each role; a handover submitted and read back by role; open mode's routes; the 429 after
 * HANDOVER_RATE_LIMIT_MAX; the CLI's answers to 401 and 403. No answer ever carries a key. (The keys, the harness and
 * the requests: tests/security/auth-harness.ts.)
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { routeRoles } from '../../api/auth';
import { ANONYMOUS, ROLES, hasRole } from '../../api/caller';
import { spec } from '../helpers/harness';
import {
  KEYS,
  type Method,
  NAMES,
  SECRETS,
  WRONG_KEY,
  appWith,
  call,
  concrete,
  expectedNeed,
  h,
  routesOf,
  seen,
  startKeyedHarness,
  stopKeyedHarness,
} from './auth-harness';

beforeAll(startKeyedHarness);
afterAll(stopKeyedHarness);

describe('every route, every role', () => {
  let routes: Array<{ method: Method; url: string }>;
  beforeAll(async () => {
    await h.app.ready();
    routes = routesOf(h.app);
  });

  test('the route list is complete: it holds every OpenAPI path and the pages', async () => {
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    for (const known of [
      'GET /',
      'GET /ui/:file',
      'GET /ui/config.json',
      'GET /health',
      'GET /docs',
      'GET /docs/json',
      'GET /docs/*',
      'POST /handovers',
      'GET /handovers/:token',
      'POST /handovers/:token/cancel',
      'POST /handovers/:token/restart',
      'POST /batches',
      'GET /batches/:batch_id',
      'POST /jobs',
      'GET /jobs/:token',
      'GET /admission',
    ]) {
      expect(keys).toContain(known);
    }
    const openapi = (await call(h.app, 'GET', '/docs/json', KEYS.read)).json<{ paths: Record<string, Record<string, unknown>> }>();
    for (const [p, methods] of Object.entries(openapi.paths)) {
      for (const method of Object.keys(methods)) expect(keys).toContain(`${method.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`);
    }
  });

  test('each route declares, where it is defined, the role the documented table says', () => {
    // Read from the routes themselves: their config.role, as api/auth.ts's onRoute hook saw it.
    const declared = routeRoles(h.app);
    expect(declared.map((r) => [r.method, r.url, r.role])).toEqual(
      declared.map((r) => [r.method, r.url, expectedNeed(r.method as Method, r.url)]),
    );
    // And that is every route: printRoutes' /docs/ is the trailing-slash twin Fastify adds to /docs (same
    // options), its /docs/* the plugin's /docs/static/* drawn under the node they share.
    const covered = (r: { method: Method; url: string }) =>
      declared.some(
        (d) =>
          d.method === r.method &&
          (d.url === r.url ||
            d.url === r.url.replace(/(.)\/$/, '$1') ||
            (r.url.endsWith('*') && d.url.endsWith('*') && d.url.startsWith(r.url.slice(0, -1)))),
      );
    expect(routes.filter((r) => !covered(r))).toEqual([]);
  });

  test('no key, a wrong key, a bearer-less header: 401 {error} with a WWW-Authenticate challenge (public routes excepted)', async () => {
    for (const { method, url } of routes) {
      const need = expectedNeed(method, url);
      for (const [what, headers] of [
        ['no key', {}],
        ['a wrong key', { authorization: `Bearer ${WRONG_KEY}` }],
        ['a basic header', { authorization: `Basic ${Buffer.from(`x:${KEYS.admin}`).toString('base64')}` }],
        ['X-API-Key', { 'x-api-key': KEYS.admin }],
      ] as const) {
        const res = await call(h.app, method, concrete(url), undefined, { headers });
        if (need === 'public') {
          expect([method, url, what, res.statusCode]).not.toEqual([method, url, what, 401]);
          continue;
        }
        expect([method, url, what, res.statusCode]).toEqual([method, url, what, 401]);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="handover"');
        if (method !== 'HEAD')
          expect(res.json()).toEqual({
            error: expect.stringMatching(
              what === 'a wrong key'
                ? /^this API key is not valid/
                : /^this API needs an API key: send it as "Authorization: Bearer <key>"/,
            ),
          });
      }
    }
  });

  test('a key whose role is too low: 403 naming the role needed; a key with the role: past the gate', async () => {
    let checked = 0;
    for (const { method, url } of routes) {
      const need = expectedNeed(method, url);
      if (need === 'public') continue;
      for (const role of ROLES) {
        const res = await call(h.app, method, concrete(url), KEYS[role]);
        const label = [method, url, role];
        if (need !== 'key' && !hasRole(role, need)) {
          expect([...label, res.statusCode]).toEqual([...label, 403]);
          if (method !== 'HEAD')
            expect(res.json()).toEqual({ error: `${method} ${url} needs the ${need} role; the key "${NAMES[role]}" has the ${role} role` });
        } else {
          expect([...label, [401, 403].includes(res.statusCode)]).toEqual([...label, false]);
          expect([...label, res.statusCode < 500]).toEqual([...label, true]);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(80);
  });

  test('a URL that is no route: 401 without a key, 404 with any key', async () => {
    expect((await call(h.app, 'GET', '/no/such/route')).statusCode).toBe(401);
    expect((await call(h.app, 'DELETE', '/handovers/x')).statusCode).toBe(401);
    expect((await call(h.app, 'GET', '/no/such/route', KEYS.read)).statusCode).toBe(404);
  });

  test('the page files are served without a key, so the page can ask for one; its config is not', async () => {
    for (const file of ['index.html', 'submit.html', 'handover.html', 'app.css', 'app.js'])
      expect((await call(h.app, 'GET', `/ui/${file}`)).statusCode).toBe(200);
    expect((await call(h.app, 'GET', '/')).statusCode).toBe(302);
    expect((await call(h.app, 'GET', '/health')).statusCode).toBe(200);
    expect((await call(h.app, 'GET', '/ui/config.json')).statusCode).toBe(401);
  });
});

test('a submit key hands a database over and reads it back; a read key may read it but not cancel it', async () => {
  const res = await h.app.inject({
    method: 'POST',
    url: '/handovers',
    headers: { authorization: `Bearer ${KEYS.submit}` },
    payload: spec(h.sqliteSource('auth_core_110_1')),
  });
  seen.push(res.body);
  expect(res.statusCode).toBe(201);
  const { token } = res.json();
  const read = await call(h.app, 'GET', `/handovers/${token}`, KEYS.read);
  expect(read.statusCode).toBe(200);
  const cancel = await call(h.app, 'POST', `/handovers/${token}/cancel`, KEYS.read);
  expect(cancel.statusCode).toBe(403);
  expect(cancel.json().error).toBe('POST /handovers/:token/cancel needs the submit role; the key "dashboard" has the read role');
  const listed = await call(h.app, 'GET', '/handovers?limit=1000', KEYS.read);
  expect(listed.json().handovers.map((r: { token: string }) => r.token)).toContain(token);
});

test("request.caller is the key's name and role; in open mode it stays anonymous", async () => {
  const keyed = await appWith({});
  keyed.get('/test/whoami', { config: { role: 'admin' } }, (request) => request.caller);
  expect((await call(keyed, 'GET', '/test/whoami', KEYS.admin)).json()).toEqual({ name: NAMES.admin, role: 'admin', authenticated: true });
  expect((await call(keyed, 'GET', '/test/whoami', KEYS.operate)).statusCode).toBe(403); // the route needs admin
  await keyed.close();
  const open = await appWith({ HANDOVER_API_KEYS: undefined });
  open.get('/test/whoami', { config: { role: 'admin' } }, (request) => request.caller);
  expect((await call(open, 'GET', '/test/whoami')).json()).toEqual(ANONYMOUS);
  await open.close();
});

test('open mode (no keys): every route works without any header, as before', async () => {
  const open = await appWith({ HANDOVER_API_KEYS: undefined });
  expect((await call(open, 'GET', '/handovers?limit=5')).statusCode).toBe(200);
  expect((await call(open, 'GET', '/admission')).statusCode).toBe(200);
  expect((await call(open, 'GET', '/ui/config.json')).statusCode).toBe(200);
  expect((await call(open, 'GET', '/docs/json')).statusCode).toBe(200);
  expect((await call(open, 'POST', '/handovers')).statusCode).toBe(400); // the body's fault, not the caller's
  expect((await call(open, 'POST', '/handovers/no-such-token/cancel')).statusCode).toBe(404);
  // A key sent to an open API is ignored, whatever it is.
  expect((await call(open, 'GET', '/admission', WRONG_KEY)).statusCode).toBe(200);
  await open.close();
});

describe('rate limit (HANDOVER_RATE_LIMIT_MAX per HANDOVER_RATE_LIMIT_WINDOW)', () => {
  test('per key name: 429 {error} saying to slow down and when to retry, after the max; other keys go on', async () => {
    const app = await appWith({ HANDOVER_RATE_LIMIT_MAX: '3', HANDOVER_RATE_LIMIT_WINDOW: '1m' });
    for (let i = 0; i < 3; i++) expect((await call(app, 'GET', '/admission', KEYS.read)).statusCode).toBe(200);
    const limited = await call(app, 'GET', '/admission', KEYS.read);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/json/);
    expect(limited.json()).toEqual({
      error: expect.stringMatching(
        /^too many requests: please slow down\. At most 3 requests per 1m for the key "dashboard"; retry in \d+ (second|minute)s?$/,
      ),
    });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // The limit is the key's: any route, any address.
    expect((await call(app, 'POST', '/handovers', KEYS.read, { remoteAddress: '10.1.2.3' })).statusCode).toBe(429);
    // Another key (another name) has its own count.
    expect((await call(app, 'GET', '/admission', KEYS.submit)).statusCode).toBe(200);
    // /health is never limited.
    for (let i = 0; i < 6; i++) expect((await call(app, 'GET', '/health')).statusCode).toBe(200);
    await app.close();
  });

  test('without a valid key, per address: guessing keys is limited too', async () => {
    const app = await appWith({ HANDOVER_RATE_LIMIT_MAX: '3' });
    for (let i = 0; i < 3; i++)
      expect((await call(app, 'GET', '/handovers', WRONG_KEY, { remoteAddress: '10.9.9.9' })).statusCode).toBe(401);
    const limited = await call(app, 'GET', '/handovers', `${WRONG_KEY}x`, { remoteAddress: '10.9.9.9' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatch(/^too many requests: please slow down\. At most 3 requests per 1m from one address; retry in /);
    expect((await call(app, 'GET', '/handovers', WRONG_KEY, { remoteAddress: '10.8.8.8' })).statusCode).toBe(401);
    // A valid key from that address counts as the key, not the address.
    expect((await call(app, 'GET', '/admission', KEYS.read, { remoteAddress: '10.9.9.9' })).statusCode).toBe(200);
    await app.close();
  });

  test('open mode: per address', async () => {
    const app = await appWith({ HANDOVER_API_KEYS: undefined, HANDOVER_RATE_LIMIT_MAX: '2' });
    for (let i = 0; i < 2; i++) expect((await call(app, 'GET', '/admission')).statusCode).toBe(200);
    expect((await call(app, 'GET', '/admission')).statusCode).toBe(429);
    expect((await call(app, 'GET', '/admission', undefined, { remoteAddress: '127.0.0.2' })).statusCode).toBe(200);
    expect((await call(app, 'GET', '/health')).statusCode).toBe(200);
    await app.close();
  });
});

describe('the CLI against a keyed API', () => {
  let api: string;
  beforeAll(async () => {
    api = await h.app.listen({ host: '127.0.0.1', port: 0 });
  });
  const cli = (env: Record<string, string>, ...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const { HANDOVER_API_KEY: _drop, ...rest } = process.env;
      execFile(
        process.execPath,
        [path.resolve(__dirname, '../../bin/handover.cjs'), ...args],
        { env: { ...rest, HANDOVER_API_URL: api, ...env } },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  test(
    'no key or a wrong key: exit 1 saying how to give one; a read key cannot submit: exit 1 naming the role; ' + 'a read key lists',
    async () => {
      const none = await cli({}, 'list');
      expect(none).toMatchObject({ code: 1, stdout: '' });
      expect(none.stderr).toBe(
        'handover: this API needs an API key: send it as "Authorization: Bearer <key>"; give the key with --api-key or HANDOVER_API_KEY\n',
      );
      const wrong = await cli({ HANDOVER_API_KEY: WRONG_KEY }, 'status', 'no-such-token');
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(
        /^handover: this API key is not valid .*; give the key with --api-key or HANDOVER_API_KEY \(the one given was refused\)\n$/,
      );
      const src = h.sqliteSource('auth_cli_core_110_1');
      const readOnly = await cli(
        {},
        '--api-key',
        KEYS.read,
        'submit',
        '--src',
        src,
        '--contact',
        'cli@example.org',
        '--type',
        'patch',
        '--comment',
        'cli',
      );
      expect(readOnly.code).toBe(1);
      expect(readOnly.stderr).toBe('handover: POST /handovers needs the submit role; the key "dashboard" has the read role\n');
      const listed = await cli({ HANDOVER_API_KEY: KEYS.read }, 'list', '--json', '--contact', 'nobody@example.org');
      expect(listed).toMatchObject({ code: 0, stdout: '[]\n' });
      for (const r of [none, wrong, readOnly, listed]) seen.push(r.stdout, r.stderr);
    },
  );
});

test('not one answer, header or CLI message above carried a key (the wrong one included)', () => {
  expect(seen.length).toBeGreaterThan(300);
  const all = seen.join('\n');
  for (const secret of SECRETS) expect(all).not.toContain(secret);
});
