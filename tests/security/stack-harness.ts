/**
 * What the local stack's security tests (tests/security/stack-*.test.ts) share: the stack started on the scene
 * of tests/security/stack-scene.ts, the canary digest taken before the attacks, the attack tally printed when
 * the file ends, and the requests the tests make. Each test file calls `startScene` in its beforeAll and
 * `stopScene` in its afterAll: its own folder, its own stack (on free ports), its own tally.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type LocalStack, type StackService, startLocalStack } from '../../services/stack';
import { testStackSourceRoots } from '../helpers/sources';
import { type MariaDbSettings } from '../helpers/harness';
import { waitFor } from '../helpers/wait';
import { buildScene, source, sql, staging, tableDigest, treeDigest } from './stack-scene';

export { HOSTILE, q, source, sourceUri, sql, sqliteUri, sqliteWith, staging, stagingUri, tableDigest } from './stack-scene';

export const PORTS = { healthcheck: 0, copy: 0, metadata: 0, event: 0 };

// Set by startScene (live bindings: the test files read them once it has run).
export let dir: string;
export let dataDir: string;
export let stagingDir: string;
export let elsewhere: string;
export let upstream: string;
export let stack: LocalStack;
export let canaryBefore: string;

// ------------------------------------------------------------------ attack tally

export const attacks: Array<{ name: string; stopped: boolean }> = [];
/** Runs an attack and its expectations; it counts as stopped when every expectation holds. */
export async function attack(name: string, run: () => void | Promise<void>): Promise<void> {
  try {
    await run();
    attacks.push({ name, stopped: true });
  } catch (err) {
    attacks.push({ name, stopped: false });
    throw err;
  }
}

// ------------------------------------------------------------------ the canary

export async function canaryDigest(): Promise<string> {
  const sourceSchemas = (
    await sql<Array<{ name: string }>>(source, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME')
  ).map((r) => r.name);
  return JSON.stringify({
    files: treeDigest(elsewhere),
    upstream: treeDigest(upstream),
    jobStores: readdirSync(path.join(dataDir, 'jobs'))
      .filter((f) => f.endsWith('.sqlite'))
      .sort(),
    sourceSchemas,
    sourceCanary: await tableDigest(source, 'canary_db'),
    stagingCanary: await tableDigest(staging, 'canary_keep'),
  });
}

// ------------------------------------------------------------------ the scene and the stack

/** Builds the scene in a new temporary folder, starts the stack on it, takes the canary digest. */
export async function startScene(options: { large?: boolean } = {}): Promise<void> {
  dir = mkdtempSync(path.join(os.tmpdir(), 'handover-stack-security-'));
  dataDir = path.join(dir, 'services');
  stagingDir = path.join(dir, 'staging');
  elsewhere = path.join(dir, 'elsewhere');
  upstream = path.join(dir, 'upstream');
  await buildScene({ stagingDir, elsewhere, upstream }, options);
  stack = await startLocalStack({
    sourceRoots: testStackSourceRoots(),
    dataDir,
    ports: PORTS,
    targetRoots: [`sqlite:///${stagingDir}/`, `mysql://${staging.host}:${staging.port}/`],
    passwords: { [`${staging.user}@${staging.host}:${staging.port}`]: staging.password },
  });
  canaryBefore = await canaryDigest();
}

/** Closes the stack and prints this file's tally. */
export async function stopScene(): Promise<void> {
  await stack?.close();
  const stopped = attacks.filter((a) => a.stopped).length;
  console.log(
    `local stack security: ${attacks.length} attacks tried, ${stopped} stopped${
      stopped < attacks.length
        ? `; NOT stopped: ${attacks
            .filter((a) => !a.stopped)
            .map((a) => a.name)
            .join('; ')}`
        : ''
    }`,
  );
}

// ------------------------------------------------------------------ requests

export const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

export async function call(
  service: StackService,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
  s: LocalStack = stack,
) {
  const res = await fetch(`${s.urls[service]}${route}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: answer(await res.text()) };
}
/** A response body: its JSON (typed any, as JSON.parse gives it), or the text when it is not JSON. */
function answer(text: string) {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}
export const post = (service: StackService, body: unknown, headers?: Record<string, string>) =>
  call(service, 'POST', '/jobs', body, headers);
export const jobs = (service: StackService, s: LocalStack = stack) => s.services[service].store.list(100_000).length;
export const job = async (service: StackService, id: number) => (await call(service, 'GET', `/jobs/${id}`)).json;
export const finished = (service: StackService, id: number) =>
  waitFor(
    async () => ((j) => (['complete', 'failed'].includes(j.status) ? j : undefined))(await job(service, id)),
    90_000,
    `${service} job ${id}`,
  );
export const failure = async (service: StackService, id: number) =>
  (await call(service, 'GET', `/jobs/${id}?format=failures`)).json.msg as string;

/** A submission refused with 400 and a message, creating no job. */
export async function refused(service: StackService, body: unknown, message: RegExp): Promise<void> {
  const before = jobs(service);
  const res = await post(service, body);
  expect(res).toEqual({ status: 400, json: { error: expect.stringMatching(message) } });
  expect(jobs(service)).toBe(before);
}

/** A copy some tests start from (made through the copy service, as a test would): it must complete. */
export async function copied(source_db_uri: string, target_db_uri: string): Promise<void> {
  const res = await post('copy', { source_db_uri, target_db_uri, drop: true });
  const done = await finished('copy', res.json.job_id);
  if (done.status !== 'complete') throw new Error(`a copy the tests start from did not complete: ${JSON.stringify(done)}`);
}

export async function schemasLike(m: MariaDbSettings, pattern: string): Promise<string[]> {
  return (
    await sql<Array<{ name: string }>>(m, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [pattern])
  ).map((r) => r.name);
}
