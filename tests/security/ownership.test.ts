/**
 * Who may act on a handover, on the real Temporal server: a `submit` key cancels and restarts its
 * own handovers only; `operate` any. The key's name is recorded as who submitted and who cancelled,
 * whatever the request body says.
 */
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

const KEYS = {
  alice: 'alice-submit-key-0123456789',
  bob: 'bob-submit-key-9876543210ab',
  ops: 'ops-operate-key-abcdef012345',
};
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    HANDOVER_API_KEYS: JSON.stringify({
      [KEYS.alice]: { name: 'alice', role: 'submit' },
      [KEYS.bob]: { name: 'bob', role: 'submit' },
      [KEYS.ops]: { name: 'release-ops', role: 'operate' },
    }),
  });
});
afterAll(async () => h?.stop());

const as = (key: string) => ({ authorization: `Bearer ${key}` });

async function submitAs(key: string, name: string): Promise<string> {
  const res = await h.app.inject({ method: 'POST', url: '/handovers', headers: as(key), payload: spec(h.sqliteSource(name)) });
  expect(res.statusCode).toBe(201);
  return res.json().token;
}

const progressAs = async (key: string, token: string) =>
  (await h.app.inject({ method: 'GET', url: `/handovers/${token}`, headers: as(key) })).json();
const waitForStatus = (token: string, status: string) =>
  waitFor(
    async () => {
      const p = await progressAs(KEYS.ops, token);
      return p.status === status && p;
    },
    60_000,
    `handover ${token} to be ${status}`,
  );

test("a submit key cancels its own handover, not another's; operate cancels any; the key's name is who", async () => {
  h.jobs.scripts.copy.runningPolls = 100_000;
  const mine = await submitAs(KEYS.alice, 'owned_a_core_110_1');
  const theirs = await submitAs(KEYS.bob, 'owned_b_core_110_1');
  expect((await progressAs(KEYS.alice, mine)).submitted_by).toBe('alice');
  await waitFor(async () => (await progressAs(KEYS.alice, theirs)).step === 'copy', 30_000, 'the copy step');

  const refused = await h.app.inject({
    method: 'POST',
    url: `/handovers/${theirs}/cancel`,
    headers: as(KEYS.alice),
    payload: { by: 'bob', reason: 'pretending' },
  });
  expect(refused.statusCode).toBe(403);
  expect(refused.json().error).toBe(`handover ${theirs} was not submitted by alice; cancelling or restarting it needs the operate role`);
  expect((await progressAs(KEYS.alice, theirs)).status).toBe('running');

  // Her own: cancelled, and recorded as by her, whatever the body claims.
  const own = await h.app.inject({
    method: 'POST',
    url: `/handovers/${mine}/cancel`,
    headers: as(KEYS.alice),
    payload: { by: 'someone else', reason: 'wrong file' },
  });
  expect(own.statusCode).toBe(202);
  expect((await waitForStatus(mine, 'cancelled')).cancelled).toEqual({ by: 'alice', reason: 'wrong file' });

  const ops = await h.app.inject({ method: 'POST', url: `/handovers/${theirs}/cancel`, headers: as(KEYS.ops) });
  expect(ops.statusCode).toBe(202);
  expect((await waitForStatus(theirs, 'cancelled')).cancelled).toEqual({ by: 'release-ops' });

  // Restart: the same rule. Bob may not restart Alice's; she may; the restart is recorded as hers.
  h.jobs.scripts.copy.runningPolls = 1;
  expect((await h.app.inject({ method: 'POST', url: `/handovers/${mine}/restart`, headers: as(KEYS.bob) })).statusCode).toBe(403);
  const restarted = await waitFor(
    async () => {
      const res = await h.app.inject({ method: 'POST', url: `/handovers/${mine}/restart`, headers: as(KEYS.alice) });
      return res.statusCode === 409 ? undefined : res;
    },
    30_000,
    'the restart',
  );
  expect(restarted.statusCode).toBe(201);
  const done = await waitForStatus(restarted.json().token, 'completed');
  expect(done.submitted_by).toBe('alice');
  // The list shows who submitted.
  const rows = (await h.app.inject({ method: 'GET', url: '/handovers?database=owned_a_core_110_1', headers: as(KEYS.ops) })).json()
    .handovers;
  expect(rows.map((r: { submitted_by?: string }) => r.submitted_by)).toEqual(['alice', 'alice']);
});
