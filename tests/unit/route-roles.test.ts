/**
 * Each route declares the role it needs (`config: { role }`, api/auth.ts). A route that forgets fails
 * closed: refused to every key, to no key, and in open mode. No Temporal is needed: the app's client is
 * lazy and these requests never reach it. (tests/security/auth-routes.test.ts checks every real route's role.)
 */
import { buildApp } from '../../api/app';
import { routeRoles } from '../../api/auth';
import { ROLES, type Role } from '../../api/caller';
import { apiClient } from '../../api/temporal';
import { loadConfig } from '../../common/config';
import { createSealer } from '../../common/secrets';

const KEYS: Record<Role, string> = {
  read: 'read-key-9f2c1d7e4b8a6f30',
  submit: 'submit-key-51ab7c9d2e3f4a6b',
  operate: 'operate-key-0d9e8f7a6b5c4d3e',
  admin: 'admin-key-a1b2c3d4e5f60718',
};
const KEYS_JSON = JSON.stringify(Object.fromEntries(ROLES.map((role) => [KEYS[role], { name: `${role}-team`, role }])));

const appWith = (keys: string | undefined) => {
  const env = { HANDOVER_SECRET_KEY: 'k'.repeat(64), ...(keys ? { HANDOVER_API_KEYS: keys } : {}) };
  const config = loadConfig(env);
  return buildApp({
    client: apiClient({ ...config, TEMPORAL_ADDRESS: '127.0.0.1:1' }),
    config,
    sealer: createSealer(config.HANDOVER_SECRET_KEY),
  });
};
const refusal = (method: string) => ({ error: `${method} /test/undeclared declares no role, so nobody may call it` });

test('a route that declares no role is refused to every key, to no key and to a wrong one', async () => {
  const app = await appWith(KEYS_JSON);
  app.get('/test/undeclared', () => 'served');
  app.post('/test/undeclared', () => 'served');
  app.get('/test/declared', { config: { role: 'read' } }, () => 'served');
  try {
    for (const key of [...ROLES.map((role) => KEYS[role]), undefined, 'not-a-key-at-all-5e6f7a8b9c0d']) {
      const headers = key ? { authorization: `Bearer ${key}` } : {};
      const got = await app.inject({ method: 'GET', url: '/test/undeclared', headers });
      expect([key, got.statusCode, got.json()]).toEqual([key, 403, refusal('GET')]);
      const posted = await app.inject({ method: 'POST', url: '/test/undeclared', headers, payload: {} });
      expect([key, posted.statusCode, posted.json()]).toEqual([key, 403, refusal('POST')]);
    }
    expect(
      (await app.inject({ method: 'HEAD', url: '/test/undeclared', headers: { authorization: `Bearer ${KEYS.admin}` } })).statusCode,
    ).toBe(403);
    expect(routeRoles(app).filter((r) => r.url === '/test/undeclared')).toEqual([
      { method: 'GET', url: '/test/undeclared', role: undefined },
      { method: 'HEAD', url: '/test/undeclared', role: undefined },
      { method: 'POST', url: '/test/undeclared', role: undefined },
    ]);
    // The same route with a role is served: the refusal is the missing declaration's.
    expect((await app.inject({ method: 'GET', url: '/test/declared', headers: { authorization: `Bearer ${KEYS.read}` } })).body).toBe(
      'served',
    );
  } finally {
    await app.close();
  }
});

test('in open mode too (where every caller has every right), a route that declares no role is refused', async () => {
  const app = await appWith(undefined);
  app.get('/test/undeclared', () => 'served');
  app.get('/test/declared', { config: { role: 'admin' } }, () => 'served');
  try {
    const got = await app.inject({ method: 'GET', url: '/test/undeclared' });
    expect([got.statusCode, got.json()]).toEqual([403, refusal('GET')]);
    expect((await app.inject({ method: 'GET', url: '/test/declared' })).body).toBe('served');
  } finally {
    await app.close();
  }
});

test('a role that is no role stops the app at start', async () => {
  const app = await appWith(KEYS_JSON);
  app.get('/test/typo', { config: { role: 'reader' as never } }, () => 'served');
  await expect(app.ready()).rejects.toThrow('GET /test/typo: config.role reader is not one of read, submit, operate, admin, public');
  await app.close().catch(() => undefined);
});
