/**
 * The local stack against the attacks of the "aim it anywhere else" issue: who may call it. A token, when configured,
 * is required on every route; open services answer only requests to a loopback name. The scene, the canary digest and
 * the attack tally are tests/security/stack-harness.ts's: the canary is checksummed before the attacks and again at the
 * end, and must not have changed; the tally is printed at the end.
 */
import http from 'node:http';
import path from 'node:path';
import { isLoopbackHostHeader } from '../../services/jobs/service';
import { type LocalStack, type StackService, isLoopbackHost, startLocalStack } from '../../services/stack';
import { testStackSourceRoots } from '../helpers/sources';
import {
  attack,
  attacks,
  canaryBefore,
  canaryDigest,
  startScene,
  stopScene,
  PORTS,
  call,
  dir,
  jobs,
  sqliteUri,
  stack,
  stagingDir,
  upstream,
} from './stack-harness';

beforeAll(() => startScene(), 180_000);
afterAll(stopScene);

// ------------------------------------------------------------------ 5. authentication

describe('a token, when configured, is required on every route', () => {
  const TOKEN = 'local-stack-token-0123456789';
  let guarded: LocalStack;
  beforeAll(async () => {
    guarded = await startLocalStack({
      sourceRoots: testStackSourceRoots(),
      dataDir: path.join(dir, 'guarded'),
      ports: PORTS,
      token: TOKEN,
    });
  });
  afterAll(async () => guarded?.close());

  test('no token, a wrong one, or another scheme: 401; the right one: served', async () => {
    const routes: Array<[StackService, string, string, unknown?]> = [
      ['healthcheck', 'POST', '/jobs', { db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')) }],
      ['healthcheck', 'GET', '/jobs'],
      ['healthcheck', 'GET', '/jobs/1'],
      ['healthcheck', 'DELETE', '/jobs/1'],
      ['healthcheck', 'GET', '/health'],
      [
        'copy',
        'POST',
        '/jobs',
        {
          source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
          target_db_uri: sqliteUri(path.join(stagingDir, 'guarded_core_1.sqlite')),
        },
      ],
      ['metadata', 'GET', '/jobs'],
      ['event', 'POST', '/jobs', { type: 'other', genome: 'x' }],
      ['event', 'GET', '/jobs/dump/1'],
      ['event', 'DELETE', '/jobs/dump/1'],
      ['copy', 'GET', '/no/such/route'],
    ];
    for (const [service, method, route, body] of routes) {
      for (const [what, headers] of [
        ['no token', {}],
        ['a wrong token', { authorization: `Bearer ${TOKEN}x` }],
        ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, 10)}` }],
        ['basic auth', { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` }],
      ] as Array<[string, Record<string, string>]>) {
        await attack(`${method} ${service}${route} with ${what}`, async () => {
          const before = jobs(service, guarded);
          const res = await call(service, method, route, body, headers, guarded);
          expect({ status: res.status, error: typeof res.json?.error }).toEqual({ status: 401, error: 'string' });
          expect(jobs(service, guarded)).toBe(before);
        });
      }
    }
    const ok = await call('healthcheck', 'POST', '/jobs', routes[0][3], { authorization: `Bearer ${TOKEN}` }, guarded);
    expect(ok.status).toBe(201);
    expect(
      (await call('healthcheck', 'GET', `/jobs/${ok.json.job_id}`, undefined, { authorization: `bearer ${TOKEN}` }, guarded)).status,
    ).toBe(200);
    expect(
      (await call('event', 'POST', '/jobs', { type: 'nothing', genome: 'x' }, { authorization: `Bearer ${TOKEN}` }, guarded)).status,
    ).toBe(200);
    await expect(
      startLocalStack({ sourceRoots: testStackSourceRoots(), dataDir: path.join(dir, 'short'), ports: PORTS, token: 'short' }),
    ).rejects.toThrow(/at least 16 characters/);
  });
});

// ------------------------------------------------------------------ 5b. open services: loopback only

/** A request with a Host header of our choosing (fetch sets its own), or with none. */
function withHost(
  url: string,
  method: string,
  host: string | undefined,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const u = new URL(url);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method,
        setHost: false,
        headers: {
          ...(host !== undefined ? { host } : {}),
          ...(text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {}),
        },
      },
      (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode!, json: data ? (JSON.parse(data) as Record<string, unknown>) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

describe('open services (no token) answer only requests to a loopback name; other hosts need a token', () => {
  test('a Host that is not localhost, 127.x.x.x or [::1]: 421 and no job, on every service (DNS rebinding)', async () => {
    const refusedHosts = [
      'evil.example',
      'evil.example:4002',
      '127.0.0.1.nip.io',
      'localhost.evil.example',
      'evil-localhost',
      '10.0.0.5',
      '192.168.1.20:4001',
      '0.0.0.0',
      '[::2]',
      '[::ffff:10.0.0.1]',
      '127.0.0.1:4002@evil.example',
      '',
      undefined,
    ];
    const routes: Array<[StackService, string, string, unknown?]> = [
      ['healthcheck', 'POST', '/jobs', { db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')) }],
      [
        'copy',
        'POST',
        '/jobs',
        {
          source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
          target_db_uri: sqliteUri(path.join(stagingDir, 'rebound_core_1.sqlite')),
        },
      ],
      ['copy', 'GET', '/jobs'],
      ['copy', 'DELETE', '/jobs/1'],
      ['metadata', 'GET', '/jobs/1'],
      ['event', 'POST', '/jobs', { type: 'other', genome: 'x' }],
      ['event', 'GET', '/health'],
      ['healthcheck', 'GET', '/no/such/route'],
    ];
    for (const host of refusedHosts) {
      for (const [service, method, route, body] of routes) {
        await attack(`${method} ${service}${route} with Host ${JSON.stringify(host)}`, async () => {
          const before = jobs(service);
          const res = await withHost(`${stack.urls[service]}${route}`, method, host, body);
          // No Host header at all: Node's HTTP server answers 400 itself.
          if (host === undefined) expect(res.status).toBe(400);
          else expect({ status: res.status, error: typeof res.json?.error }).toEqual({ status: 421, error: 'string' });
          expect(jobs(service)).toBe(before);
        });
      }
    }
    for (const host of ['localhost', 'LOCALHOST:4002', 'localhost.', '127.0.0.1', '127.0.0.1:80', '127.1.2.3:9', '[::1]', '[::1]:4003']) {
      expect({ host, status: (await withHost(`${stack.urls.copy}/jobs`, 'GET', host)).status }).toEqual({ host, status: 200 });
    }
    expect(isLoopbackHostHeader('[0:0:0:0:0:0:0:1]:1')).toBe(true);
    expect(isLoopbackHostHeader('127.256.0.1')).toBe(false);
  });

  test('listening on another address than the loopback needs a token; with one, any Host is served to the bearer', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.org']) {
      expect(isLoopbackHost(host)).toBe(false);
      await attack(`services listening on ${host} with no token`, async () => {
        await expect(
          startLocalStack({ sourceRoots: testStackSourceRoots(), dataDir: path.join(dir, 'exposed'), ports: PORTS, host }),
        ).rejects.toThrow(/LOCAL_STACK_HOST .* is not a loopback address.*set LOCAL_STACK_TOKEN/);
      });
    }
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) expect(isLoopbackHost(host)).toBe(true);
    const TOKEN = 'local-stack-token-abcdef0123456789';
    const exposed = await startLocalStack({
      sourceRoots: testStackSourceRoots(),
      dataDir: path.join(dir, 'exposed'),
      ports: PORTS,
      host: '0.0.0.0',
      token: TOKEN,
    });
    try {
      const url = exposed.urls.copy.replace('0.0.0.0', '127.0.0.1');
      const u = new URL(url);
      const get = (host: string, auth?: string) =>
        new Promise<number>((resolve, reject) => {
          const req = http.request(
            { hostname: u.hostname, port: u.port, path: '/jobs', headers: { host, ...(auth ? { authorization: auth } : {}) } },
            (res) => {
              res.resume();
              resolve(res.statusCode!);
            },
          );
          req.on('error', reject);
          req.end();
        });
      expect(await get('services.example.org:4002', `Bearer ${TOKEN}`)).toBe(200);
      expect(await get('services.example.org:4002')).toBe(401);
      expect(await get('localhost')).toBe(401);
    } finally {
      await exposed.close();
    }
  });
});

// ------------------------------------------------------------------ the canary

test('after every attack the canary tree, the sources and the canary databases are exactly as they were', async () => {
  expect(await canaryDigest()).toBe(canaryBefore);
  expect(attacks.length).toBeGreaterThan(0);
  expect(attacks.filter((a) => !a.stopped)).toEqual([]);
});
