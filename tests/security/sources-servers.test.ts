/**
 * Source servers only where they are allowed, on the real API (real Temporal, real MariaDB); the shared part is in
 * sources-fixture.ts. Temporal's port and an unlisted server are each refused (400 naming the field) before anything
 * starts; a listed server under another name is allowed, and recorded (and restarted) as the listed server, not the
 * name; a password holding `@` never leaks into an answer or a history.
 */
import dns from 'node:dns/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import type { HandoverInput } from '../../vocabulary';
import { type Harness, spec } from '../helpers/harness';
import {
  type Answer,
  appWith as appWithSettings,
  fillSourceFolders,
  refused,
  source,
  sourceFolders,
  staging,
  startSourcesHarness,
  submitTo,
  temporalPort,
} from './sources-fixture';

const { base, roots, outside, fifo } = sourceFolders();

let h: Harness;
beforeAll(async () => {
  fillSourceFolders({ base, roots, outside, fifo });
  h = await startSourcesHarness(roots);
});
afterAll(async () => h?.stop());

const submit = (src_uri: string) => submitTo(h, src_uri);
const appWith = (env: Record<string, string>) => appWithSettings(h, env);

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
