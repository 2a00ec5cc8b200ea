/**
 * Sources only where they are allowed, on the real API (real Temporal, real MariaDB, real files) and
 * the real local stack: Temporal's port, an unlisted server, files outside the source folders, `..`
 * and symlinks out, Handover's own state, a FIFO and a device are each refused (400 naming the field)
 * before anything starts; a listed server under another name is allowed, and recorded (and restarted)
 * as the listed server, not the name; a password holding `@` never leaks into an answer or a history.
 */
import { execFileSync } from 'node:child_process';
import dns from 'node:dns/promises';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { buildApp } from '../../api/app';
import { checkDatabaseExists } from '../../activities/databases';
import { loadConfig } from '../../common/config';
import { PROJECT_ROOT } from '../../common/project-paths';
import { createSealer } from '../../common/secrets';
import { openDatabase } from '../../services/db/database';
import { type LocalStack, startLocalStack } from '../../services/stack';
import { metaOnlySqlite } from '../helpers/databases';
import type { HandoverInput } from '../../vocabulary';
import { type Harness, mariadbSettings, mariadbUri, spec, startHarness } from '../helpers/harness';

const source = mariadbSettings('source');
const staging = mariadbSettings('staging');
const temporal = process.env.TEST_TEMPORAL_ADDRESS!;
const temporalPort = Number(temporal.split(':').pop());
const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sources-test-')));
/** The one source folder; `outside` is next to it, not in it. */
const roots = path.join(base, 'roots');
const outside = path.join(base, 'outside');
mkdirSync(roots);
mkdirSync(outside);
const fifo = path.join(roots, 'fifo_core_110_1.sqlite');

let h: Harness;
beforeAll(async () => {
  execFileSync('mkfifo', [fifo]);
  metaOnlySqlite(path.join(outside, 'outside_core_110_1.sqlite'));
  symlinkSync(path.join(outside, 'outside_core_110_1.sqlite'), path.join(roots, 'link_core_110_1.sqlite'));
  symlinkSync(outside, path.join(roots, 'linked'));
  h = await startHarness({
    HANDOVER_SOURCE_ROOTS: roots,
    HANDOVER_SOURCE_SERVERS: `${source.host}:${source.port}`,
    // MySQL sources go to the staging MariaDB (the default staging place is a folder).
    HANDOVER_STAGING_RULES: JSON.stringify([{ pattern: '^(sources_alias|homo_sapiens)_', staging_uri: mariadbUri(staging) }]),
  });
});
afterAll(async () => h?.stop());

type Answer = { statusCode: number; json: { error?: string; issues?: Array<{ field: string; message: string }>; token?: string } };

/** A refusal of src_uri: 400, the field named, the reason matching `why`, nothing started. */
async function refused(answer: Answer | Promise<Answer>, why: RegExp, field = 'src_uri') {
  const { statusCode, json } = await answer;
  expect({ statusCode, field: json.issues?.[0]?.field }).toEqual({ statusCode: 400, field });
  expect(json.issues?.[0]?.message).toMatch(why);
  return json.issues![0].message;
}

const submit = (src_uri: string) => h.submit(spec(src_uri)) as Promise<Answer>;

/** The API with other settings, on the same Temporal and job services. */
async function appWith(env: Record<string, string>) {
  const config = loadConfig({ ...h.env, ...env });
  return buildApp({ client: h.client, config, sealer: createSealer(config.HANDOVER_SECRET_KEY) });
}

test("Temporal's frontend as a source: refused, even when its server is listed", async () => {
  const jobs = h.jobs.jobs.length;
  // Unlisted, it is refused as Handover's own before the list is looked at.
  await refused(
    submit(`mysql://x@127.0.0.1:${temporalPort}/homo_sapiens_core_110_38`),
    /is Temporal \(TEMPORAL_ADDRESS\).*one of Handover's own services/,
  );
  const listed = await appWith({ HANDOVER_SOURCE_SERVERS: `${source.host}:${source.port},127.0.0.1:${temporalPort}` });
  try {
    for (const host of ['127.0.0.1', 'localhost']) {
      const res = await listed.inject({
        method: 'POST',
        url: '/handovers',
        payload: spec(`mysql://x@${host}:${temporalPort}/homo_sapiens_core_110_38`),
      });
      await refused({ statusCode: res.statusCode, json: res.json() }, /is Temporal \(TEMPORAL_ADDRESS\).*one of Handover's own services/);
    }
    // The job services' ports and the API's own are Handover's too.
    const copyPort = Number(new URL(h.env.HANDOVER_COPY_URL).port);
    const both = await appWith({ HANDOVER_SOURCE_SERVERS: `127.0.0.1:${copyPort},127.0.0.1:8080` });
    try {
      for (const [port, what] of [
        [copyPort, /the (healthcheck|copy|metadata|event) service .*one of Handover's own services/], // the fake services share one port
        [8080, /the Handover API/],
      ] as const) {
        const res = await both.inject({
          method: 'POST',
          url: '/handovers',
          payload: spec(`mysql://x@127.0.0.1:${port}/homo_sapiens_core_110_38`),
        });
        await refused({ statusCode: res.statusCode, json: res.json() }, what);
      }
    } finally {
      await both.close();
    }
  } finally {
    await listed.close();
  }
  expect(h.jobs.jobs.length).toBe(jobs);
});

test('an unlisted server is refused, and the answer does not tell an open port from a closed one', async () => {
  const open = await refused(submit(`mysql://root@${staging.host}:${staging.port}/homo_sapiens_core_110_38`), /not on a source server/);
  const closed = await refused(submit(`mysql://root@${staging.host}:1/homo_sapiens_core_110_38`), /not on a source server/);
  expect(open).toBe(closed);
  await refused(submit(`mysql://root@${source.host}:${source.port + 1}/homo_sapiens_core_110_38`), /not on a source server/);
});

test('a listed server under another name that resolves to it is allowed; localhost and 127.0.0.1 are one host', async () => {
  const other = source.host === '127.0.0.1' ? 'localhost' : '127.0.0.1';
  const res = await submit(`mysql://${source.user}@${other}:${source.port}/sources_alias_core_110_1`);
  expect([res.statusCode, res.json.issues]).toEqual([201, undefined]);
  await h.waitForStatus(res.json.token!, 'failed'); // no such database: the existence check says so
  const listedAsLocalhost = await appWith({ HANDOVER_SOURCE_SERVERS: `localhost:${source.port}` });
  try {
    const again = await listedAsLocalhost.inject({
      method: 'POST',
      url: '/handovers',
      payload: spec(`mysql://${source.user}@127.0.0.1:${source.port}/sources_alias_core_110_2`),
    });
    expect(again.statusCode).toBe(201);
    await h.waitForStatus(again.json().token, 'failed');
  } finally {
    await listedAsLocalhost.close();
  }
});

/** The workflow's input as Temporal recorded it. */
async function startedInput(token: string): Promise<HandoverInput> {
  const history = await h.client.workflow.getHandle(token).fetchHistory();
  return defaultPayloadConverter.fromPayload<HandoverInput>(
    history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0],
  );
}

/** The source's URI with its real password (the worker logs in with it; nothing may record it). */
const pinned = (host: string, database: string) =>
  `mysql://${source.user}:${encodeURIComponent(source.password)}@${host}:${source.port}/${database}`;

test(
  'what was checked is what runs: an alias of a listed server is recorded as the listed host:port, ' + 'its password sealed away',
  async () => {
    const other = source.host === '127.0.0.1' ? 'localhost' : '127.0.0.1';
    const res = await submit(pinned(other, 'sources_alias_core_110_3'));
    expect([res.statusCode, res.json.issues]).toEqual([201, undefined]);
    const progress = await h.waitForStatus(res.json.token!, 'failed');
    // Not the alias, whose DNS answer could change after the check: the server as HANDOVER_SOURCE_SERVERS lists it.
    expect(progress.spec.src_uri).toBe(`mysql://${source.user}@${source.host}:${source.port}/sources_alias_core_110_3`);
    const input = await startedInput(res.json.token!);
    expect(input.spec.src_uri).toBe(progress.spec.src_uri);
    expect(input.sealed.src_uri).toEqual(expect.any(String)); // the password is sealed, bound to the recorded URI: the worker opened it
    expect(progress.failure?.reason).toMatch(/sources_alias_core_110_3/); // the existence check ran (logged in), not a credentials refusal
    expect(progress.failure?.reason).not.toMatch(/sealed credentials/);
    if (source.password.length >= 3) expect(JSON.stringify(progress)).not.toContain(source.password);
  },
);

test('DNS rebinding: a name that answers with a listed server for the check, and not so afterwards, cannot move the handover', async () => {
  // The API's look-up (the check) is answered with the listed server's addresses; the worker's own resolver
  // (mysql2's connect) is not, and cannot resolve the name (.invalid never does): a worker that connected by
  // the name would fail to reach any server, one that connects to what was checked reaches the listed one.
  const rebound = 'rebound-source.invalid';
  const real = dns.lookup;
  const answer = await real(source.host, { all: true });
  let asked = 0;
  const spy = jest
    .spyOn(dns, 'lookup')
    .mockImplementation(((host: string, options: object) =>
      host === rebound ? (asked++, Promise.resolve(answer)) : real(host, options)) as typeof dns.lookup);
  let res: Answer;
  try {
    res = await submit(pinned(rebound, 'sources_alias_core_110_5'));
  } finally {
    spy.mockRestore();
  }
  expect(asked).toBeGreaterThan(0); // the check did look the name up
  expect([res.statusCode, res.json.issues]).toEqual([201, undefined]);
  const progress = await h.waitForStatus(res.json.token!, 'failed');
  expect(progress.spec.src_uri).toBe(`mysql://${source.user}@${source.host}:${source.port}/sources_alias_core_110_5`);
  // It logged in to the listed server and found no such database: not a name that did not resolve.
  expect(progress.failure?.reason).toMatch(/sources_alias_core_110_5/);
  expect(progress.failure?.reason).not.toMatch(/rebound|ENOTFOUND|EAI_AGAIN|getaddrinfo/);
});

test('a restart pins the source again: a handover recorded under another listed form is restarted as the listed server today', async () => {
  const other = source.host === '127.0.0.1' ? 'localhost' : '127.0.0.1';
  // Recorded under `other` (then listed as such), restarted by an API that lists `source.host`.
  const then = await appWith({ HANDOVER_SOURCE_SERVERS: `${other}:${source.port}` });
  let token: string;
  try {
    const res = await then.inject({ method: 'POST', url: '/handovers', payload: spec(pinned(source.host, 'sources_alias_core_110_4')) });
    expect(res.statusCode).toBe(201);
    token = res.json().token;
  } finally {
    await then.close();
  }
  const first = await h.waitForStatus(token, 'failed');
  expect(first.spec.src_uri).toBe(`mysql://${source.user}@${other}:${source.port}/sources_alias_core_110_4`);
  const again = await h.app.inject({ method: 'POST', url: `/handovers/${token}/restart`, payload: {} });
  expect(again.statusCode).toBe(201);
  const restarted = await h.waitForStatus(again.json().token, 'failed');
  expect(restarted.spec.src_uri).toBe(`mysql://${source.user}@${source.host}:${source.port}/sources_alias_core_110_4`);
  expect(restarted.failure?.reason).not.toMatch(/sealed credentials/); // sealed again for the new token, bound to the pinned URI
  if (source.password.length >= 3) expect(JSON.stringify(restarted)).not.toContain(source.password);
});

test('SQLite: outside the roots, `..`, a symlink out (file or folder): refused; a file inside: allowed', async () => {
  await refused(submit(metaOnlySqlite(path.join(outside, 'outside_core_110_1.sqlite'))), /not inside a source folder/);
  // The URL parser resolves `..` (plain or %2e-encoded): what is left is outside.
  await refused(submit(`sqlite:///${roots}/../outside/outside_core_110_1.sqlite`), /not inside a source folder/);
  await refused(submit(`sqlite:///${roots}/%2e%2e/outside/outside_core_110_1.sqlite`), /not inside a source folder/);
  await refused(submit(`sqlite:///${roots}/link_core_110_1.sqlite`), /not inside a source folder/);
  await refused(submit(`sqlite:///${roots}/linked/outside_core_110_1.sqlite`), /not inside a source folder/);
  mkdirSync(path.join(roots, 'nested'));
  const inside = metaOnlySqlite(path.join(roots, 'nested', 'inside_core_110_1.sqlite'));
  const res = await submit(inside);
  expect(res.statusCode).toBe(201);
  await h.waitForStatus(res.json.token!, 'completed');
});

test("Handover's own state as a source: refused even when its folder is listed", async () => {
  const wide = await appWith({ HANDOVER_SOURCE_ROOTS: PROJECT_ROOT });
  try {
    for (const file of ['.temporal/temporal.sqlite', '.handover/services/jobs/copy.sqlite', '.handover/secret.key']) {
      const res = await wide.inject({ method: 'POST', url: '/handovers', payload: spec(`sqlite:///${path.join(PROJECT_ROOT, file)}`) });
      await refused({ statusCode: res.statusCode, json: res.json() }, /one of Handover's own files/);
    }
  } finally {
    await wide.close();
  }
});

test('a FIFO, a folder or a device as a source: refused at submission, the API still answering', async () => {
  await refused(submit(`sqlite:///${fifo}`), /is a FIFO \(named pipe\), not a regular file/);
  mkdirSync(path.join(roots, 'folder_core_110_1.sqlite'));
  await refused(submit(`sqlite:///${roots}/folder_core_110_1.sqlite`), /is a folder, not a regular file/);
  const devices = await appWith({ HANDOVER_SOURCE_ROOTS: '/dev' });
  try {
    const res = await devices.inject({ method: 'POST', url: '/handovers', payload: spec('sqlite:////dev/zero') });
    await refused({ statusCode: res.statusCode, json: res.json() }, /is a device/);
  } finally {
    await devices.close();
  }
  // In a batch: the item is named.
  const batch = await h.app.inject({
    method: 'POST',
    url: '/batches',
    payload: {
      contact: 'b@example.org',
      handovers: [spec(metaOnlySqlite(path.join(roots, 'batch_core_110_1.sqlite'))), spec(`sqlite:///${fifo}`)],
    },
  });
  await refused({ statusCode: batch.statusCode, json: batch.json() }, /is a FIFO/, 'handovers.1.src_uri');
});

test("a FIFO reaching the worker's existence check is refused promptly; the event loop keeps ticking", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    await expect(checkDatabaseExists(`sqlite:///${fifo}`, 'the fifo')).rejects.toThrow(/is a FIFO/);
    await new Promise((r) => setTimeout(r, 50));
    expect(ticks).toBeGreaterThan(0);
  } finally {
    clearInterval(timer);
  }
});

test('a password holding @ never leaks: not in a refusal, not in a history, not in a report', async () => {
  const secret = 'hunter@2secret';
  const answer = await submit(`mysql://u:${secret}@127.0.0.1:${temporalPort}/homo_sapiens_core_110_38`);
  expect(answer.statusCode).toBe(400);
  expect(JSON.stringify(answer.json)).not.toContain('2secret');
  // An allowed server, a wrong password holding @: the login is refused; nothing records the password.
  const res = await submit(`mysql://${source.user}:${secret}@${source.host}:${source.port}/homo_sapiens_core_110_38`);
  expect([res.statusCode, res.json.issues]).toEqual([201, undefined]);
  const progress = await h.waitForStatus(res.json.token!, 'failed');
  const history = await h.client.workflow.getHandle(res.json.token!).fetchHistory();
  for (const text of [
    JSON.stringify(progress),
    JSON.stringify(history),
    JSON.stringify(h.reportLines),
    JSON.stringify(h.smtp.messages ?? []),
  ]) {
    expect(text).not.toContain('2secret');
    expect(text).not.toContain(encodeURIComponent(secret));
  }
});

describe('the local stack checks its own list', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({
      dataDir: path.join(base, 'stack'),
      ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
      targetRoots: [`sqlite:///${base}/staging/`],
      sourceRoots: [`sqlite:///${roots}/`, `mysql://${source.host}:${source.port}/`],
    });
  });
  afterAll(async () => stack?.close());

  const post = async (service: 'healthcheck' | 'copy', body: object) => {
    const res = await fetch(`${stack.urls[service]}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };

  test.each([
    ["Temporal's port", `mysql://x@127.0.0.1:${temporalPort}/homo_sapiens_core_110_38`, /is not a source server/],
    ['an unlisted server', `mysql://root@${staging.host}:${staging.port}/homo_sapiens_core_110_38`, /is not a source server/],
    ['a file outside the roots', `sqlite:///${outside}/outside_core_110_1.sqlite`, /is not inside a source folder/],
    ['a symlink out', `sqlite:///${roots}/link_core_110_1.sqlite`, /is not inside a source folder/],
    ['a FIFO', `sqlite:///${fifo}`, /is a FIFO/],
  ])('%s: refused by the healthcheck (db_uri) and the copy (source_db_uri), 400', async (_name, uri, why) => {
    const hc = await post('healthcheck', { db_uri: uri, tag: 't' });
    expect(hc.status).toBe(400);
    expect(hc.text).toMatch(/db_uri: /);
    expect(hc.text).toMatch(why);
    const copy = await post('copy', { source_db_uri: uri, target_db_uri: `sqlite:///${base}/staging/homo_sapiens_core_110_38.sqlite` });
    expect(copy.status).toBe(400);
    expect(copy.text).toMatch(/source_db_uri: /);
    if (!uri.startsWith('mysql')) expect(copy.text).toMatch(why);
  });

  test('a listed source is taken; a FIFO opened by the services is refused promptly, the event loop ticking', async () => {
    const ok = await post('healthcheck', { db_uri: metaOnlySqlite(path.join(roots, 'stack_core_110_1.sqlite')), tag: 't' });
    expect(ok.status).toBe(201);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await expect(openDatabase(`sqlite:///${fifo}`)).rejects.toThrow(/is a FIFO, not a regular file/);
      await new Promise((r) => setTimeout(r, 50));
      expect(ticks).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
  });
});
