/**
 * Cancel, three ways (API, `temporal workflow cancel`, the `cancel` signal): each kills the running
 * job, emails the submitter and ends the handover as cancelled, in our status and in Temporal's.
 */
import { Client } from '@temporalio/client';
import { buildApp } from '../../api/app';
import { createSealer } from '../../common/secrets';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { temporal } from '../helpers/cli';
import { waitFor } from '../helpers/wait';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());
beforeEach(() => {
  h.jobs.reset();
  h.jobs.scripts.copy.runningPolls = 100_000; // the copy runs until it is killed
});

/** Submits a handover and waits until its copy job is running. */
async function handoverInCopy(name: string) {
  const { json } = await h.submit(spec(h.sqliteSource(name)));
  const copyJob = await waitFor(
    () => h.jobs.jobs.find((j) => j.service === 'copy' && (j.input as { source_db_uri: string }).source_db_uri.includes(name)),
    30_000,
    'the copy job',
  );
  await waitFor(async () => (await h.progress(json.token)).step === 'copy', 10_000, 'the copy step');
  return { token: json.token, copyJob };
}

async function expectCancelled(token: string, copyJobId: string) {
  const done = await h.waitForStatus(token, 'cancelled');
  expect(h.jobs.kills).toContainEqual({ service: 'copy', id: copyJobId });
  expect(done.timeline.at(-1)).toMatchObject({ step: 'copy', outcome: 'cancelled' });
  expect(h.jobs.jobsOf('metadata')).toHaveLength(0);
  // Temporal's own status agrees once the workflow has closed (after the email).
  await waitFor(
    async () => (await h.client.workflow.getHandle(token).describe()).status.name === 'CANCELLED',
    30_000,
    'Temporal status CANCELLED',
  );
  return done;
}

test('through the API: the copy job is killed, the submitter told who and why', async () => {
  const { token, copyJob } = await handoverInCopy('cancel_api_core_110_1');
  const res = await h.app.inject({ method: 'POST', url: `/handovers/${token}/cancel`, payload: { by: 'alice', reason: 'wrong assembly' } });
  expect(res.statusCode).toBe(202);
  const done = await expectCancelled(token, copyJob.id);
  expect(done.cancelled).toEqual({ by: 'alice', reason: 'wrong assembly' });
  const mail = await h.smtp.waitForSubject('cancel_api_core_110_1');
  expect(mail.subject).toBe('Handover of cancel_api_core_110_1 cancelled');
  expect(mail.text).toContain('cancelled by alice');
  expect(mail.text).toContain('Reason: wrong assembly');

  // A handover that has ended cannot be cancelled again.
  const again = await h.app.inject({ method: 'POST', url: `/handovers/${token}/cancel`, payload: {} });
  expect(again.statusCode).toBe(409);
  expect(again.json()).toEqual({ error: 'the handover has already ended (cancelled)', status: 'cancelled' });
});

test('with `temporal workflow cancel`: the copy job is killed and the submitter emailed', async () => {
  const { token, copyJob } = await handoverInCopy('cancel_cli_core_110_1');
  await temporal('workflow', 'cancel', '--workflow-id', token);
  await expectCancelled(token, copyJob.id);
  const mail = await h.smtp.waitForSubject('cancel_cli_core_110_1');
  expect(mail.subject).toBe('Handover of cancel_cli_core_110_1 cancelled');
});

test('with the `cancel` signal from the CLI: who and why reach the status and the email', async () => {
  const { token, copyJob } = await handoverInCopy('cancel_signal_core_110_1');
  await temporal('workflow', 'signal', '--workflow-id', token, '--name', 'cancel', '--input', '{"by":"bob","reason":"superseded"}');
  const done = await expectCancelled(token, copyJob.id);
  expect(done.cancelled).toEqual({ by: 'bob', reason: 'superseded' });
  const mail = await h.smtp.waitForSubject('cancel_signal_core_110_1');
  expect(mail.subject).toBe('Handover of cancel_signal_core_110_1 cancelled');
  expect(mail.text).toContain('cancelled by bob');

  // The README's query command answers the same progress.
  const out = await temporal('workflow', 'query', '--workflow-id', token, '--name', 'progress', '--output', 'json');
  expect(out).toContain('"status": "cancelled"');
});

test("a cancel that races the handover's close is answered 409 with the status it ended in, not 500", async () => {
  const { token, copyJob } = await handoverInCopy('cancel_race_core_110_1');
  // The race, made certain: this client's cancel signal is sent only once the handover has closed, so the API's
  // describe saw it running and its signal finds it completed (the window between the two calls).
  const racing = new Client({
    connection: h.client.connection,
    interceptors: {
      workflow: [
        {
          async signal(input, next) {
            h.jobs.scripts.copy.runningPolls = 0;
            copyJob.pollsLeft = 0;
            await h.waitForStatus(token, 'completed');
            await waitFor(
              async () => (await h.client.workflow.getHandle(token).describe()).status.name === 'COMPLETED',
              30_000,
              'the handover to close',
            );
            return next(input);
          },
        },
      ],
    },
  });
  const app = await buildApp({ client: racing, config: h.config, sealer: createSealer(h.config.HANDOVER_SECRET_KEY) });
  try {
    const res = await app.inject({ method: 'POST', url: `/handovers/${token}/cancel`, payload: { reason: 'too late' } });
    expect(res.json()).toEqual({ error: 'the handover has already ended (completed)', status: 'completed' });
    expect(res.statusCode).toBe(409);
  } finally {
    await app.close();
  }
  expect((await h.progress(token)).status).toBe('completed');
  expect(h.jobs.kills).not.toContainEqual({ service: 'copy', id: copyJob.id });
});
