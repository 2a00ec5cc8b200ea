/**
 * API keys against the real Temporal server, their configuration and the API's start: HANDOVER_API_KEYS and its
 * refusals (which never show a key); the start refusal of api/main.ts and its log line; open mode serving only
 * local requests, and no cross-site change. (The keys, the harness and the requests: tests/security/auth-harness.ts.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROLES } from '../../api/caller';
import { accessAtStart, isLoopback, parseApiKeys } from '../../api/keys';
import { ConfigError } from '../../common/config';
import { KEYS, KEYS_JSON, NAMES, SECRETS, WRONG_KEY, appWith, h, startKeyedHarness, stopKeyedHarness } from './auth-harness';

beforeAll(startKeyedHarness);
afterAll(stopKeyedHarness);

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
