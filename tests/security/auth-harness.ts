/**
 * What the API key tests (tests/security/auth-*.test.ts) share: the keys of each role, a harness (the real
 * Temporal server) whose API has them, the requests the tests make (each answer kept in `seen`, to search for
 * keys), other apps on the harness's client, and the route list with the role rule written out independently of
 * the routes. Each test file calls `startKeyedHarness` in its beforeAll and `stopKeyedHarness` in its afterAll.
 */
import { buildApp } from '../../api/app';
import { type Need } from '../../api/auth';
import { ROLES, type Role } from '../../api/caller';
import { loadConfig } from '../../common/config';
import { createSealer } from '../../common/secrets';
import { type Harness, startHarness } from '../helpers/harness';

export const KEYS: Record<Role, string> = {
  read: 'read-key-9f2c1d7e4b8a6f30',
  submit: 'submit-key-51ab7c9d2e3f4a6b',
  operate: 'operate-key-0d9e8f7a6b5c4d3e',
  admin: 'admin-key-a1b2c3d4e5f60718',
};
export const NAMES: Record<Role, string> = {
  read: 'dashboard',
  submit: 'genebuild-team',
  operate: 'release-coordinator',
  admin: 'handover-admins',
};
export const KEYS_JSON = JSON.stringify(Object.fromEntries(ROLES.map((role) => [KEYS[role], { name: NAMES[role], role }])));
export const WRONG_KEY = 'not-a-key-at-all-5e6f7a8b9c0d';
export const SECRETS = [...Object.values(KEYS), WRONG_KEY];

export let h: Harness;
/** Every answer the tests saw, to search for keys at the end. */
export const seen: string[] = [];

export async function startKeyedHarness(): Promise<void> {
  h = await startHarness({ HANDOVER_API_KEYS: KEYS_JSON });
}
export async function stopKeyedHarness(): Promise<void> {
  await h?.stop();
}

export type App = Awaited<ReturnType<typeof buildApp>>;
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

export async function call(
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
export const appWith = (env: Record<string, string | undefined>) => {
  const config = loadConfig(Object.fromEntries(Object.entries({ ...h.env, ...env }).filter(([, v]) => v !== undefined)));
  return buildApp({ client: h.client, config, sealer: createSealer(config.HANDOVER_SECRET_KEY) });
};

/**
 * Every route of the app: `printRoutes` draws a tree whose nodes add to their parent's path, with
 * each node's methods in brackets (4 characters of indentation per level).
 */
export function routesOf(app: App): Array<{ method: Method; url: string }> {
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
export function expectedNeed(method: Method, url: string): Need {
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
    '/batches/:batch_id',
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
export const concrete = (url: string) =>
  url
    .replace(/:token/g, 'no-such-token')
    .replace(/:batch_id/, 'no-such-batch')
    .replace(/:file/, 'index.html')
    .replace(/:step/, 'copy')
    .replace(/\*$/, 'static/swagger-ui.css');
