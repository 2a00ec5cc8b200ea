/**
 * API keys and rate limits, against the real Temporal server: every route the app has, with no key,
 * a wrong key and a key of each role; the 429 after HANDOVER_RATE_LIMIT_MAX; the start refusal of
 * api/main.ts; open mode; the CLI's answers to 401 and 403. No answer ever carries a key.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../../api/app';
import { type Need, routeRoles } from '../../api/auth';
import { ANONYMOUS, ROLES, type Role, hasRole } from '../../api/caller';
import { accessAtStart, isLoopback, parseApiKeys } from '../../api/keys';
import { ConfigError, loadConfig } from '../../common/config';
import { createSealer } from '../../common/secrets';
import { type Harness, spec, startHarness } from '../helpers/harness';

const KEYS: Record<Role, string> = {
  read: 'read-key-9f2c1d7e4b8a6f30',
  submit: 'submit-key-51ab7c9d2e3f4a6b',
  operate: 'operate-key-0d9e8f7a6b5c4d3e',
  admin: 'admin-key-a1b2c3d4e5f60718',
};
const NAMES: Record<Role, string> = {
  read: 'dashboard',
  submit: 'genebuild-team',
  operate: 'release-coordinator',
  admin: 'handover-admins',
};
const KEYS_JSON = JSON.stringify(Object.fromEntries(ROLES.map((role) => [KEYS[role], { name: NAMES[role], role }])));
const WRONG_KEY = 'not-a-key-at-all-5e6f7a8b9c0d';
const SECRETS = [...Object.values(KEYS), WRONG_KEY];

let h: Harness;
/** Every answer the tests saw, to search for keys at the end. */
const seen: string[] = [];

beforeAll(async () => {
  h = await startHarness({ HANDOVER_API_KEYS: KEYS_JSON });
});
afterAll(async () => h?.stop());

type App = Awaited<ReturnType<typeof buildApp>>;
type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

async function call(
  app: App,
  method: Method,
  url: string,
  key?: string,
  extra: { remoteAddress?: string; headers?: Record<string, string> } = {},
) {
  const res = await app.inject({
    method,
    url,
    remoteAddress: extra.remoteAddress,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra.headers },
    ...(method === 'POST' ? { payload: {} } : {}),
  });
  seen.push(`${method} ${url} ${res.statusCode} ${JSON.stringify(res.headers)} ${res.body}`);
  return res;
}

/** Another app on the harness's Temporal client, with other settings (no worker needed). */
const appWith = (env: Record<string, string | undefined>) => {
  const config = loadConfig(Object.fromEntries(Object.entries({ ...h.env, ...env }).filter(([, v]) => v !== undefined)));
  return buildApp({ client: h.client, config, sealer: createSealer(config.HANDOVER_SECRET_KEY) });
};

/**
 * Every route of the app: `printRoutes` draws a tree whose nodes add to their parent's path, with
 * each node's methods in brackets (4 characters of indentation per level).
 */
function routesOf(app: App): Array<{ method: Method; url: string }> {
  const routes: Array<{ method: Method; url: string }> = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    stack.length = depth;
    stack.push(match[2]);
    const url = stack.join('');
    for (const method of (match[3] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean))
      routes.push({ method: method as Method, url });
  }
  return routes;
}

/** The rule, written out here independently of the roles the routes declare. */
function expectedNeed(method: Method, url: string): Need {
  if (['/', '/ui/:file', '/health', '/health/live', '/health/ready'].includes(url) && (method === 'GET' || method === 'HEAD'))
    return 'public';
  // A completion callback is signed for its handover's step: the signature, not a key, is checked.
  if (method === 'POST' && url === '/callbacks/:token/:step') return 'public';
  const submit = ['/handovers', '/batches', '/jobs', '/handovers/:token/cancel', '/handovers/:token/restart'];
  if (method === 'POST' && submit.includes(url)) return 'submit';
  const read = [
    '/handovers',
    '/handovers/:token',
    '/handovers/:token/reports',
    '/batches/:token',
    '/admission',
    '/vocabulary',
    '/jobs',
    '/jobs/:token',
    '/ui/config.json',
    '/metrics',
  ];
  if ((method === 'GET' || method === 'HEAD') && (read.includes(url) || url === '/docs' || url.startsWith('/docs/'))) return 'read';
  return 'admin';
}

/** A URL for a route pattern: unknown tokens (so nothing is touched), a real file for the wildcard. */
const concrete = (url: string) =>
  url
    .replace(/:token/g, 'no-such-token')
    .replace(/:file/, 'index.html')
    .replace(/:step/, 'copy')
    .replace(/\*$/, 'static/swagger-ui.css');

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
      'GET /batches/:token',
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

describe('HANDOVER_API_KEYS', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-keys-'));
  const refusal = (value: string) => {
    try {
      parseApiKeys(value);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  test('inline JSON or a file path; the lookup finds each key and nothing else', () => {
    const file = path.join(dir, 'keys.json');
    writeFileSync(file, KEYS_JSON, { mode: 0o600 });
    for (const value of [KEYS_JSON, ` ${KEYS_JSON}\n`, file]) {
      const keys = parseApiKeys(value)!;
      expect(keys.entries).toEqual(ROLES.map((role) => ({ name: NAMES[role], role })));
      for (const role of ROLES) expect(keys.lookup(KEYS[role])).toEqual({ name: NAMES[role], role, authenticated: true });
      for (const other of [WRONG_KEY, '', KEYS.read.slice(0, -1), `${KEYS.read} `, KEYS.read.toUpperCase()])
        expect(keys.lookup(other)).toBeUndefined();
    }
    expect(parseApiKeys(undefined)).toBeUndefined();
  });

  test.each([
    ['not JSON', `{"${KEYS.admin}": {"name": "x", "role": "admin"`, /HANDOVER_API_KEYS: is not valid JSON; expected \{"<key>"/],
    [
      'a list',
      `[{"key": "${KEYS.admin}"}]`,
      /HANDOVER_API_KEYS: is neither inline JSON \(starting with "\{"\) nor the path of a readable file \(ENOENT\)$/,
    ],
    [
      'a bare key',
      KEYS.admin,
      /HANDOVER_API_KEYS: is neither inline JSON \(starting with "\{"\) nor the path of a readable file \(ENOENT\)$/,
    ],
    ['empty', ' ', /HANDOVER_API_KEYS: is set but empty/],
    ['no keys', '{}', /HANDOVER_API_KEYS: has no keys/],
    [
      'a short key',
      `{"${KEYS.admin}": {"name": "ok", "role": "admin"}, "short-key-1234": {"name": "alice", "role": "read"}}`,
      /HANDOVER_API_KEYS: the key of entry 2 \("alice"\) is shorter than 16 characters/,
    ],
    [
      'a key with a space',
      '{"a key with spaces in it": {"name": "bob", "role": "read"}}',
      /HANDOVER_API_KEYS: the key of entry 1 \("bob"\) must be printable ASCII without spaces/,
    ],
    [
      'an unknown role',
      `{"${KEYS.admin}": {"name": "carol", "role": "root"}}`,
      /HANDOVER_API_KEYS: entry 1 \("carol"\) needs a "role": one of read, submit, operate, admin/,
    ],
    ['no name', `{"${KEYS.admin}": {"role": "read"}}`, /HANDOVER_API_KEYS: entry 1 needs a "name"/],
    [
      'an unknown field',
      `{"${KEYS.admin}": {"name": "dave", "role": "read", "expires": "2030"}}`,
      /HANDOVER_API_KEYS: entry 1 \("dave"\) has unknown fields \(expires\)/,
    ],
    [
      'an entry that is not an object',
      `{"${KEYS.admin}": "admin"}`,
      /HANDOVER_API_KEYS: entry 1 must be \{"name": "...", "role": "read\|submit\|operate\|admin"\}$/,
    ],
  ])('%s: a ConfigError naming the variable and the entry, never the key', (_name, value, message) => {
    const text = refusal(value);
    expect(text).toMatch(message);
    for (const secret of [...SECRETS, 'short-key-1234', 'a key with spaces in it']) expect(text).not.toContain(secret);
  });

  test('a file that is not JSON: named, its text not shown', () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, `${KEYS.admin} = admin`);
    const text = refusal(file);
    expect(text).toBe(
      `Invalid configuration:\n  HANDOVER_API_KEYS: is not valid JSON (file ${file}); expected {"<key>": {"name": "...", "role": ` +
        `"read|submit|operate|admin"}}`,
    );
    expect(text).not.toContain(KEYS.admin);
  });
});

describe('start-up (api/main.ts)', () => {
  const base = { HANDOVER_RATE_LIMIT_MAX: 1200, HANDOVER_RATE_LIMIT_WINDOW: '1m' };

  test('without keys, only loopback; with keys, anywhere; the log line names roles and names, never keys', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
      expect(isLoopback(host)).toBe(true);
      expect(accessAtStart({ ...base, HOST: host, HANDOVER_API_KEYS: undefined })).toMatch(/^API access: OPEN, no API keys/);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'handover.example.org', '128.0.0.1']) {
      expect(isLoopback(host)).toBe(false);
      expect(() => accessAtStart({ ...base, HOST: host, HANDOVER_API_KEYS: undefined })).toThrow(
        new ConfigError(`HOST=${host} needs HANDOVER_API_KEYS: without keys the API is open and listens on loopback only`),
      );
    }
    const line = accessAtStart({ ...base, HOST: '0.0.0.0', HANDOVER_API_KEYS: KEYS_JSON });
    expect(line).toBe(
      'API access: 4 API key(s) (read: dashboard; submit: genebuild-team; operate: release-coordinator; admin: handover-admins); ' +
        'every route but GET /health and the page files needs one; rate limit 1200 requests per 1m per key (per address without one)',
    );
  });

  /** api/main.ts as `npm run api` runs it, with the harness's settings; HANDOVER_API_KEYS only as given. */
  const runApi = (env: Record<string, string>) => {
    const { HANDOVER_API_KEYS: _keys, ...settings } = h.env;
    return spawn(
      process.execPath,
      [path.resolve(__dirname, '../../node_modules/tsx/dist/cli.mjs'), path.resolve(__dirname, '../../api/main.ts')],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...settings, LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  };

  test('the API process refuses HOST=0.0.0.0 without keys: exit 1 and the reason', async () => {
    const child = runApi({ HOST: '0.0.0.0', PORT: '0' });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(out).toContain('HOST=0.0.0.0 needs HANDOVER_API_KEYS: without keys the API is open and listens on loopback only');
    expect(code).toBe(1);
  });

  test('with keys on 0.0.0.0 it starts and logs the roles, never a key', async () => {
    const child = runApi({ HOST: '0.0.0.0', PORT: '0', HANDOVER_API_KEYS: KEYS_JSON });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 30_000;
    while (!out.includes('Handover API on') && child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    await exited;
    expect(out).toContain(
      'API access: 4 API key(s) (read: dashboard; submit: genebuild-team; operate: release-coordinator; admin: handover-admins)',
    );
    expect(out).toContain('Handover API on');
    for (const secret of SECRETS) expect(out).not.toContain(secret);
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

describe('open mode serves only local requests, and no site may change anything from a browser', () => {
  test('a Host that is not localhost is refused (DNS rebinding); a cross-site POST is refused; curl and the CLI are not', async () => {
    const open = await appWith({ HANDOVER_API_KEYS: undefined });
    try {
      const rebound = await open.inject({ method: 'GET', url: '/handovers', headers: { host: 'evil.example:8080' } });
      expect(rebound.statusCode).toBe(403);
      expect(rebound.json().error).toBe('this API is open (no HANDOVER_API_KEYS) and serves only requests addressed to localhost');
      for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080']) {
        expect((await open.inject({ method: 'GET', url: '/admission', headers: { host } })).statusCode).toBe(200);
      }
      const crossSite = await open.inject({
        method: 'POST',
        url: '/handovers/any/cancel',
        headers: { host: '127.0.0.1:8080', origin: 'http://evil.example' },
      });
      expect(crossSite.statusCode).toBe(403);
      expect(crossSite.json().error).toMatch(/^requests from another site \(http:\/\/evil.example\) may not change anything here/);
      // The page itself (same origin), and tools that send no Origin, go through to the route (404: no such handover).
      expect(
        (
          await open.inject({
            method: 'POST',
            url: '/handovers/any/cancel',
            headers: { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' },
          })
        ).statusCode,
      ).toBe(404);
      expect((await open.inject({ method: 'POST', url: '/handovers/any/cancel', headers: { host: '127.0.0.1:8080' } })).statusCode).toBe(
        404,
      );
    } finally {
      await open.close();
    }
  });

  test('unknown URLs are rate-limited like the routes (no unlimited key guessing against them)', async () => {
    const limited = await appWith({ HANDOVER_RATE_LIMIT_MAX: '3' });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 6; i++)
        codes.push(
          (
            await limited.inject({
              method: 'GET',
              url: '/nosuch',
              headers: { authorization: `Bearer ${WRONG_KEY}` },
              remoteAddress: '10.9.9.9',
            })
          ).statusCode,
        );
      expect(codes.slice(0, 3)).toEqual([401, 401, 401]);
      expect(codes.slice(3)).toEqual([429, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
