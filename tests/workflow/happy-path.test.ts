/** A handover through the API on the real Temporal server, every step to the end. */
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { HANDOVER_FLOW, type HandoverInput } from '../../vocabulary';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

test('a handover goes through every step, records its timeline and emails the submitter', async () => {
  const src = h.sqliteSource('homo_sapiens_core_110_38');
  const submitted = await h.submit(spec(src));
  expect(submitted.statusCode).toBe(201);
  const { token, status_url } = submitted.json;
  expect(status_url).toBe(`http://handover.test/handovers/${token}`);

  const done = await h.waitForStatus(token, 'completed');
  expect(done.step).toBe('done');
  expect(done.progress).toEqual({ complete: 5, total: 5 });
  expect(done.spec.tgt_uri).toBe(`sqlite:///${h.dir}/staging/homo_sapiens_core_110_38.sqlite`);
  expect(done.timeline.map((t) => [t.step, t.outcome])).toEqual([
    ['checking', 'passed'],
    ['healthcheck', 'passed'],
    ['copy', 'passed'],
    ['metadata', 'passed'],
    ['event', 'passed'],
  ]);
  for (const entry of done.timeline) {
    expect(Date.parse(entry.ended_at!)).toBeGreaterThanOrEqual(Date.parse(entry.started_at));
  }
  const [hcJob] = h.jobs.jobsOf('healthcheck');
  expect(done.timeline[1].jobs).toEqual([{ service: 'healthcheck', id: hcJob.id, url: `${h.jobs.url('healthcheck')}/jobs/${hcJob.id}` }]);
  expect(done.timeline[4].jobs).toEqual([expect.objectContaining({ service: 'event', id: expect.stringMatching(/^dump\//) })]);
  expect(done.events).toEqual([expect.objectContaining({ type: 'new_assembly', genome: 'homo_sapiens' })]);

  // The services received what the contracts say.
  expect(hcJob.input).toMatchObject({ db_uri: src, tag: `${token}:healthcheck` });
  expect(h.jobs.jobsOf('copy')[0].input).toMatchObject({ source_db_uri: src, target_db_uri: done.spec.tgt_uri });
  expect(h.jobs.jobsOf('metadata')[0].input).toMatchObject({
    database_uri: done.spec.tgt_uri,
    email: 'curator@example.org',
    source: 'Handover',
  });
  expect(h.jobs.jobsOf('event')[0].input).toMatchObject({ type: 'new_assembly', genome: 'homo_sapiens' });
  // One job per step, each submitted once with its idempotency key.
  expect(h.jobs.submissions.map((s) => s.key)).toEqual(['healthcheck', 'copy', 'metadata', 'event:0'].map((k) => `${token}:${k}`));

  const [mail] = await h.smtp.waitForMail('curator@example.org');
  expect(mail.subject).toBe('Handover of homo_sapiens_core_110_38 completed');
  expect(mail.text).toContain(`has been copied to ${done.spec.tgt_uri}`);
  expect(mail.html).toContain(`http://handover.test/ui/handover.html?token=${token}`);

  // Search attributes are current: the list filters by them.
  const list = await h.app.inject({ method: 'GET', url: `/handovers?status=completed&database=homo_sapiens_core_110_38` });
  expect(list.json().handovers).toEqual([
    expect.objectContaining({
      token,
      database: 'homo_sapiens_core_110_38',
      contact: 'curator@example.org',
      type: 'core',
      status: 'completed',
      step: 'done',
    }),
  ]);

  // The history is lean (flow 2, workflows/flow.ts): no patch markers and no TemporalChangeVersion upserts; the step
  // attribute written once per step, then status and step at the end.
  const { events } = await h.client.workflow.getHandle(token).fetchHistory();
  expect(events!.length).toBeLessThan(80);
  const markers = events!.filter((e) => e.markerRecordedEventAttributes).map((e) => e.markerRecordedEventAttributes!.markerName);
  expect(markers.filter((m) => m !== 'core_local_activity')).toEqual([]);
  const upserts = events!
    .filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)
    .map((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes!.searchAttributes!.indexedFields!).sort().join('+'));
  expect(upserts).toEqual(['HandoverStep', 'HandoverStep', 'HandoverStep', 'HandoverStep', 'HandoverStep', 'HandoverStatus+HandoverStep']);
});

test('a handover of a flow newer than the worker knows is not run under older rules', async () => {
  const submitted = await h.submit(spec(h.sqliteSource('mus_musculus_core_110_39')));
  const first = await h.client.workflow.getHandle(submitted.json.token).fetchHistory();
  const recorded = defaultPayloadConverter.fromPayload<HandoverInput>(
    first.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0],
  );
  expect(recorded.flow).toBe(HANDOVER_FLOW);
  await h.waitForStatus(submitted.json.token, 'completed');

  // As an API of a later release would start it (straight on the task queue: no lock needed to show this).
  const token = randomUUID();
  const handle = await h.client.workflow.start('handoverWorkflow', {
    taskQueue: h.config.HANDOVER_TASK_QUEUE,
    workflowId: token,
    args: [{ ...recorded, token, flow: HANDOVER_FLOW + 1 }],
  });
  const failed = await waitFor(
    async () =>
      (await handle.fetchHistory()).events!.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes ??
      undefined,
    30_000,
    'the workflow task to fail',
  );
  console.log(`found: a flow-${HANDOVER_FLOW + 1} handover's workflow task failed with "${failed.failure?.message}"`);
  expect(failed.failure?.message).toContain(`newer than this worker's ${HANDOVER_FLOW}: upgrade the worker`);
  const { events } = await handle.fetchHistory();
  expect(events!.filter((e) => e.activityTaskScheduledEventAttributes || e.markerRecordedEventAttributes)).toEqual([]);
  expect((await handle.describe()).status.name).toBe('RUNNING'); // retried, for a worker that knows the flow
  await handle.terminate('test over');
});
