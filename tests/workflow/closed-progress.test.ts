/**
 * A closed handover's progress is served from what it recorded as it ended (its result; a failed one's failure
 * details), not by a query: with no worker running at all, GET /handovers/{token} still answers, the same as
 * before. (A query on a closed workflow makes a worker replay its whole history.)
 */
import { progressQuery } from '../../vocabulary';
import { type Harness, spec, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

test('completed and failed handovers are read without a worker: the same progress as the workflow reported', async () => {
  const ok = await h.submit(spec(h.sqliteSource('closed_ok_core_110_1')));
  const completed = await h.waitForStatus(ok.json.token, 'completed');
  h.jobs.scripts.healthcheck.outcome = 'problems';
  const bad = await h.submit(spec(h.sqliteSource('closed_bad_core_110_1')));
  const failed = await h.waitForStatus(bad.json.token, 'failed');
  h.jobs.reset();
  // Closed in Temporal too (a handover reports its end, then sends its last reports and closes).
  await h.client.workflow.getHandle(ok.json.token).result();
  await expect(h.client.workflow.getHandle(bad.json.token).result()).rejects.toThrow();
  // What the workflows themselves answer (a query, while a worker runs).
  const queried = await Promise.all([ok, bad].map((r) => h.client.workflow.getHandle(r.json.token).query(progressQuery)));
  expect([completed.status, failed.status]).toEqual(['completed', 'failed']);

  await h.stopWorker();
  const started = Date.now();
  const [a, b] = [await h.progress(ok.json.token), await h.progress(bad.json.token)];
  console.log(`with no worker: read a completed and a failed handover in ${Date.now() - started} ms`);
  expect([a, b]).toEqual(queried);
  expect(b.failure).toMatchObject({ step: 'healthcheck', kind: 'problems' });
  expect(a.timeline.length).toBeGreaterThan(3);
});
