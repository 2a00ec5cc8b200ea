/** Each way a handover can fail, what it records and what the submitter is told. */
import { type Server, type Socket, createServer } from 'node:net';
import Fastify from 'fastify';
import { type Harness, mariadbSettings, spec, startHarness } from '../helpers/harness';
import { testSourcesEnv } from '../helpers/sources';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());
beforeEach(() => h.jobs.reset());

async function failedHandover(name: string) {
  const { statusCode, json } = await h.submit(spec(h.sqliteSource(name)));
  expect(statusCode).toBe(201);
  const done = await h.waitForStatus(json.token, 'failed');
  const mail = await h.smtp.waitForSubject(name);
  expect(mail.to).toMatchObject({ text: 'curator@example.org' });
  return { token: json.token, done, mail };
}

const jobsFor = (h: Harness, service: 'healthcheck' | 'copy' | 'metadata' | 'event', name: string) =>
  h.jobs.jobsOf(service).filter((j) => JSON.stringify(j.input).includes(name));

test('checks that could not run: failed, "could not run" in status and email, no copy', async () => {
  h.jobs.scripts.healthcheck.outcome = 'failed';
  h.jobs.scripts.healthcheck.failureMessage = 'hive worker crashed';
  const { done, mail } = await failedHandover('hc_crash_core_110_1');
  expect(done.failure).toMatchObject({ step: 'healthcheck', kind: 'could_not_run' });
  expect(done.failure!.reason).toContain('the healthchecks could not run: hive worker crashed');
  expect(done.timeline.at(-1)).toMatchObject({ step: 'healthcheck', outcome: 'failed' });
  expect(mail.subject).toBe('Handover of hc_crash_core_110_1 failed: healthchecks could not run');
  expect(mail.text).toContain('hive worker crashed');
  expect(jobsFor(h, 'copy', 'hc_crash_core_110_1')).toHaveLength(0);
});

test('checks that found problems: failed, the failing checks and their messages in status and email', async () => {
  h.jobs.scripts.healthcheck.outcome = 'problems';
  const { done, mail } = await failedHandover('hc_problems_core_110_1');
  expect(done.failure).toMatchObject({
    step: 'healthcheck',
    kind: 'problems',
    reason: '1 check(s) found problems: MetaKeys',
    checks: [{ check: 'MetaKeys', messages: [expect.stringContaining('species.production_name is missing'), expect.any(String)] }],
  });
  expect(done.timeline.at(-1)).toMatchObject({ step: 'healthcheck', outcome: 'problems' });
  expect(mail.subject).toBe('Handover of hc_problems_core_110_1 failed: healthchecks found problems');
  expect(mail.text).toContain('MetaKeys: meta key species.production_name is missing');
  const hcJob = jobsFor(h, 'healthcheck', 'hc_problems_core_110_1')[0];
  expect(mail.text).toContain(`Full report: ${h.jobs.url('healthcheck')}/jobs/${hcJob.id}`);
  expect(mail.html).toContain(`<a href="${h.jobs.url('healthcheck')}/jobs/${hcJob.id}">`);
  expect(jobsFor(h, 'copy', 'hc_problems_core_110_1')).toHaveLength(0);
});

test('a failed copy: failed at copy with the service’s reason, no metadata job', async () => {
  h.jobs.scripts.copy.outcome = 'failed';
  h.jobs.scripts.copy.failureMessage = 'target disk full';
  const { done, mail } = await failedHandover('copy_fail_core_110_1');
  expect(done.failure).toMatchObject({ step: 'copy', kind: 'error' });
  expect(done.failure!.reason).toContain('target disk full');
  expect(mail.subject).toBe('Handover of copy_fail_core_110_1 failed at the copy step');
  expect(mail.text).toContain('Step: copy');
  expect(mail.text).toContain('target disk full');
  expect(jobsFor(h, 'metadata', 'copy_fail_core_110_1')).toHaveLength(0);
});

test('a missing source database: failed at checking, nothing submitted anywhere', async () => {
  const src = `sqlite:///${h.dir}/no_such_core_110_1.sqlite`;
  const { statusCode, json } = await h.submit(spec(src));
  expect(statusCode).toBe(201);
  const done = await h.waitForStatus(json.token, 'failed');
  expect(done.failure).toMatchObject({ step: 'checking', kind: 'error' });
  expect(done.failure!.reason).toContain('does not exist');
  expect(jobsFor(h, 'healthcheck', 'no_such_core_110_1')).toHaveLength(0);
  const mail = await h.smtp.waitForSubject('no_such_core_110_1');
  expect(mail.subject).toBe('Handover of no_such_core_110_1 failed at the checking step');
});

describe('with a short copy deadline', () => {
  let short: Harness;
  beforeAll(async () => {
    short = await startHarness({ HANDOVER_COPY_DEADLINE: '2s' });
  });
  afterAll(async () => short?.stop());

  test('a copy that runs past it fails with a clear reason and an email, and its job is killed', async () => {
    short.jobs.scripts.copy.runningPolls = 100_000;
    const { json } = await short.submit(spec(short.sqliteSource('slow_copy_core_110_1')));
    const done = await short.waitForStatus(json.token, 'failed');
    expect(done.failure).toEqual({ step: 'copy', kind: 'timed_out', reason: 'the copy step did not finish within its deadline of 2s' });
    expect(done.timeline.at(-1)).toMatchObject({ step: 'copy', outcome: 'timed out' });
    expect(short.jobs.kills).toEqual([{ service: 'copy', id: short.jobs.jobsOf('copy')[0].id }]);
    const [mail] = await short.smtp.waitForMail('curator@example.org');
    expect(mail.subject).toBe('Handover of slow_copy_core_110_1 failed: copy step passed its deadline');
  });
});

describe('with a short check deadline and a source server that never answers', () => {
  /** A TCP server that accepts connections and never says a word: a MariaDB source that hangs. */
  const sockets: Socket[] = [];
  const silent: Server = createServer((socket) => void sockets.push(socket));
  let short: Harness;
  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const st = mariadbSettings('staging');
    // The silent server is an allowed source server: the point is a source that hangs, not one refused at the door.
    const silentServer = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    short = await startHarness({
      HANDOVER_SOURCE_SERVERS: `${testSourcesEnv().HANDOVER_SOURCE_SERVERS},${silentServer}`,
      HANDOVER_CHECK_DEADLINE: '3s',
      HANDOVER_STAGING_URI: `mysql://${st.user}:${encodeURIComponent(st.password)}@${st.host}:${st.port}/`,
    });
  });
  afterAll(async () => {
    await short?.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test('the checking step gives up at its deadline and says so: timed out, not an error', async () => {
    const port = (silent.address() as { port: number }).port;
    const { statusCode, json } = await short.submit(spec(`mysql://reader:secret@127.0.0.1:${port}/hung_core_110_1`));
    expect(statusCode).toBe(201);
    const done = await short.waitForStatus(json.token, 'failed');
    expect(done.failure).toEqual({
      step: 'checking',
      kind: 'timed_out',
      reason: 'the checking step did not finish within its deadline of 3s',
    });
    expect(done.timeline).toEqual([expect.objectContaining({ step: 'checking', outcome: 'timed out' })]);
    expect(sockets.length).toBeGreaterThanOrEqual(1);
    const mail = await short.smtp.waitForSubject('hung_core_110_1');
    expect(mail.subject).toBe('Handover of hung_core_110_1 failed: checking step passed its deadline');
  });
});

describe('a step that fails while its job still runs', () => {
  /** A copy service that takes the job, then refuses to say how it goes (403): the job is still running. */
  const service = Fastify();
  const kills: Array<{ id: string; at: number }> = [];
  let refused: Harness;
  beforeAll(async () => {
    service.post('/jobs', async (_request, reply) => reply.code(201).send({ job_id: 41 }));
    service.get('/jobs/:id', async (_request, reply) => reply.code(403).send({ error: 'not your job' }));
    service.delete<{ Params: { id: string } }>('/jobs/:id', async (request, reply) => {
      kills.push({ id: request.params.id, at: Date.now() });
      return reply.code(204).send();
    });
    refused = await startHarness({ HANDOVER_COPY_URL: await service.listen({ host: '127.0.0.1', port: 0 }) });
  });
  afterAll(async () => {
    await refused?.stop();
    await service.close();
  });

  test('its job is killed before the handover ends and its lock is released', async () => {
    const { json } = await refused.submit(spec(refused.sqliteSource('refused_poll_core_110_1')));
    const done = await refused.waitForStatus(json.token, 'failed');
    expect(done.failure).toMatchObject({ step: 'copy', kind: 'error' });
    expect(done.failure!.reason).toContain('copy service refused GET /jobs/41 (403)');
    expect(kills.map((k) => k.id)).toEqual(['41']);
    // Killed while the handover still held the database: before its workflow closed (the lock goes with it).
    await refused.client.workflow
      .getHandle(json.token)
      .result()
      .catch(() => undefined);
    const closed = (await refused.client.workflow.getHandle(json.token).describe()).closeTime!;
    expect(kills[0].at).toBeLessThanOrEqual(closed.getTime());
    const history = await refused.client.workflow.getHandle(json.token).fetchHistory();
    const killActivities = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'killJob');
    expect(killActivities).toHaveLength(1);
  });

  test('a job that ended by itself (failed) is not killed', async () => {
    refused.jobs.scripts.healthcheck.outcome = 'failed';
    const { json } = await refused.submit(spec(refused.sqliteSource('failed_itself_core_110_1')));
    const done = await refused.waitForStatus(json.token, 'failed');
    expect(done.failure).toMatchObject({ step: 'healthcheck', kind: 'could_not_run' });
    const history = await refused.client.workflow.getHandle(json.token).fetchHistory();
    expect(history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'killJob')).toHaveLength(0);
    expect(refused.jobs.kills).toEqual([]);
  });
});
