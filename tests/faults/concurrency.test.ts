/**
 * Many submissions at once, on the real Temporal server: 50 of one database (one accepted, 49 told
 * 409 with its token), then a burst of 300 different databases (none lost, every one reaches an end,
 * exactly one job per step each). Each test prints what it injected and what it found.
 */
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ HANDOVER_RATE_LIMIT_MAX: '100000' });
});
afterAll(async () => h?.stop());

test('50 concurrent submissions of one database: one accepted, 49 answered 409 with its token', async () => {
  h.jobs.scripts.healthcheck.runningPolls = 3;
  const src = h.sqliteSource('crowd_core_110_1');
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => h.submit(spec(src, { comment: `try ${i}` }))));
  const accepted = answers.filter((a) => a.statusCode === 201);
  const conflicts = answers.filter((a) => a.statusCode === 409);
  console.log(
    `injected: 50 concurrent submissions of crowd_core_110_1; found: ${accepted.length} accepted, ${conflicts.length} answered ` +
      `409, ${answers.length - accepted.length - conflicts.length} other`,
  );
  expect(accepted).toHaveLength(1);
  expect(conflicts).toHaveLength(49);
  for (const c of conflicts)
    expect(c.json).toEqual({ error: 'a handover of this database is already running', token: accepted[0].json.token });
  await h.waitForStatus(accepted[0].json.token, 'completed');
  expect(h.jobs.jobsOf('healthcheck').filter((j) => j.key?.startsWith(accepted[0].json.token))).toHaveLength(1);
});

test('a burst of 300 submissions of different databases: none lost, all reach an end, one job per step each', async () => {
  h.jobs.reset();
  const names = Array.from({ length: 300 }, (_, i) => `burst_${i}_core_110_1`);
  const sources = names.map((name) => h.sqliteSource(name));
  const answers = await Promise.all(sources.map((src) => h.submit(spec(src))));
  const tokens = answers.map((a) => a.json.token);
  const refused = answers.filter((a) => a.statusCode !== 201);
  expect(refused).toEqual([]);
  const ended = await waitFor(
    async () => {
      const statuses = await Promise.all(tokens.map(async (t) => (await h.progress(t)).status));
      return statuses.every((s) => s !== 'running') && statuses;
    },
    600_000,
    'all 300 handovers to end',
  );
  const completed = ended.filter((s) => s === 'completed').length;
  const duplicates = ['healthcheck', 'copy', 'metadata'].flatMap((step) =>
    tokens.filter((t) => h.jobs.jobs.filter((j) => j.key === `${t}:${step}`).length !== 1).map((t) => `${t}:${step}`),
  );
  console.log(
    `injected: 300 submissions of different databases at once; found: ${completed} completed, ${300 - completed} ` +
      `other, ${duplicates.length} steps without exactly one job, 0 lost (every token answers)`,
  );
  expect(completed).toBe(300);
  expect(duplicates).toEqual([]);
}, 900_000);
