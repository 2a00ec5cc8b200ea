/** Restart from the failed step: the steps that passed are not repeated; the original stays readable. */
import { type Harness, spec, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ HANDOVER_SUBMIT_TIMEOUT: '2s' });
});
afterAll(async () => h?.stop());
beforeEach(() => h.jobs.reset());

const restart = async (token: string, body?: object) => {
  const res = await h.app.inject({ method: 'POST', url: `/handovers/${token}/restart`, payload: body ?? {} });
  return { statusCode: res.statusCode, json: res.json() };
};
const jobsWithName = (service: 'healthcheck' | 'copy' | 'metadata' | 'event', name: string) =>
  h.jobs.jobsOf(service).filter((j) => JSON.stringify(j.input).includes(name));

test('failed at the copy step, restarted: completes with exactly one healthcheck job in total', async () => {
  h.jobs.scripts.copy.outcome = 'failed';
  const { json: first } = await h.submit(spec(h.sqliteSource('restart_copy_core_110_1')));
  await h.waitForStatus(first.token, 'failed');
  h.jobs.scripts.copy.outcome = 'complete';

  const again = await restart(first.token);
  expect(again.statusCode).toBe(201);
  expect(again.json).toEqual({
    token: expect.any(String),
    status_url: `http://handover.test/handovers/${again.json.token}`,
    restarted_from: first.token,
  });
  const done = await h.waitForStatus(again.json.token, 'completed');
  expect(done.restarted_from).toBe(first.token);
  expect(done.timeline.map((t) => [t.step, t.outcome])).toEqual([
    ['checking', 'passed'],
    ['healthcheck', 'skipped'],
    ['copy', 'passed'],
    ['metadata', 'passed'],
    ['event', 'passed'],
  ]);
  expect(done.timeline[1].message).toBe(`passed in handover ${first.token}`);
  expect(done.progress).toEqual({ complete: 5, total: 5 });
  expect(jobsWithName('healthcheck', 'restart_copy_core_110_1')).toHaveLength(1);
  expect(jobsWithName('copy', 'restart_copy_core_110_1')).toHaveLength(2);
  // The original's timeline stays readable, as it was.
  const original = await h.progress(first.token);
  expect(original.status).toBe('failed');
  expect(original.timeline.at(-1)).toMatchObject({ step: 'copy', outcome: 'failed' });
});

test.each([
  ['healthcheck', ['passed', 'passed', 'passed', 'passed', 'passed'], { healthcheck: 2, copy: 1, metadata: 1 }],
  ['metadata', ['passed', 'skipped', 'skipped', 'passed', 'passed'], { healthcheck: 1, copy: 1, metadata: 2 }],
] as const)('failed at the %s step, restarted: only that step and the ones after it run again', async (step, outcomes, jobs) => {
  const name = `restart_${step}_core_110_1`;
  h.jobs.scripts[step].outcome = 'failed';
  const { json: first } = await h.submit(spec(h.sqliteSource(name)));
  expect((await h.waitForStatus(first.token, 'failed')).failure!.step).toBe(step);
  h.jobs.scripts[step].outcome = 'complete';

  const again = await restart(first.token);
  expect(again.statusCode).toBe(201);
  const done = await h.waitForStatus(again.json.token, 'completed');
  expect(done.timeline.map((t) => t.outcome)).toEqual(outcomes);
  for (const [service, count] of Object.entries(jobs)) expect(jobsWithName(service as 'copy', name)).toHaveLength(count);
});

test('failed at the event step, restarted: the metadata events are reused, not produced again', async () => {
  h.jobs.scripts.event.down = true; // submissions give up after HANDOVER_SUBMIT_TIMEOUT (2s)
  const { json: first } = await h.submit(spec(h.sqliteSource('restart_event_core_110_1')));
  const failed = await h.waitForStatus(first.token, 'failed');
  expect(failed.failure!.step).toBe('event');
  expect(failed.failure!.reason).toMatch(/^the event service did not take the job within 2s/);
  h.jobs.scripts.event.down = false;

  const again = await restart(first.token);
  const done = await h.waitForStatus(again.json.token, 'completed');
  expect(done.timeline.map((t) => t.outcome)).toEqual(['passed', 'skipped', 'skipped', 'skipped', 'passed']);
  expect(done.events).toEqual(failed.events);
  expect(jobsWithName('metadata', 'restart_event_core_110_1')).toHaveLength(1);
  expect(h.jobs.jobsOf('event').filter((j) => j.key?.startsWith(again.json.token))).toHaveLength(1);
});

test('refusals: a step that did not pass cannot be skipped; running and completed handovers are not restarted', async () => {
  h.jobs.scripts.healthcheck.outcome = 'problems';
  const { json: bad } = await h.submit(spec(h.sqliteSource('restart_refused_core_110_1')));
  await h.waitForStatus(bad.token, 'failed');
  const skipChecks = await restart(bad.token, { from: 'copy' });
  expect(skipChecks).toEqual({
    statusCode: 400,
    json: {
      error: 'invalid body',
      issues: [
        {
          field: 'from',
          message: `cannot skip the healthcheck step: it did not pass in handover ${bad.token}; restart from healthcheck or earlier`,
        },
      ],
    },
  });
  expect((await restart(bad.token, { from: 'later' })).statusCode).toBe(400);

  h.jobs.reset();
  const { json: ok } = await h.submit(spec(h.sqliteSource('restart_done_core_110_1')));
  await h.waitForStatus(ok.token, 'completed');
  expect(await restart(ok.token)).toEqual({
    statusCode: 409,
    json: { error: 'the handover completed; there is nothing to restart', status: 'completed' },
  });
  expect((await restart('no-such-token')).statusCode).toBe(404);
});
