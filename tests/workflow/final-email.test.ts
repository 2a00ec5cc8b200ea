/**
 * The email that ends a handover: it never holds the database (a failure email that cannot be sent yet is
 * retried by a workflow that holds no lock), it cannot be cancelled, and it never changes the outcome.
 */
import { temporal } from '../helpers/cli';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());
beforeEach(() => h.jobs.reset());

/** Resolves once the workflow has closed; returns Temporal's status name. */
const closed = async (workflowId: string) =>
  waitFor(
    async () => {
      const { status } = await h.client.workflow.getHandle(workflowId).describe();
      return status.name !== 'RUNNING' && status.name;
    },
    60_000,
    `${workflowId} to close`,
  );

test('SMTP down when a handover fails: the database is free at once, and the failure email arrives once SMTP is back', async () => {
  h.jobs.scripts.copy.outcome = 'failed';
  const src = h.sqliteSource('smtp_down_core_110_1');
  await h.smtp.stop();
  try {
    const { json } = await h.submit(spec(src));
    await h.waitForStatus(json.token, 'failed');
    // The handover and its lock close without waiting for the email.
    const lock = (await h.client.workflow.getHandle(json.token).describe()).raw.workflowExecutionInfo!.parentExecution!.workflowId!;
    expect(await closed(json.token)).toBe('FAILED');
    expect(await closed(lock)).toBe('COMPLETED');
    h.jobs.scripts.copy.outcome = 'complete';
    const second = await h.submit(spec(src, { comment: 'second try' }));
    expect(second.statusCode).toBe(201);
    await h.waitForStatus(second.json.token, 'completed');
    expect(h.smtp.messages).toHaveLength(0);
  } finally {
    await h.smtp.start();
  }
  const mail = await h.smtp.waitForSubject('smtp_down_core_110_1 failed', 120_000);
  expect(mail.subject).toBe('Handover of smtp_down_core_110_1 failed at the copy step');
  expect(mail.text).toContain('Reason: ');
});

/** A handover whose success email is being sent (the SMTP server has it, and has not answered yet). */
async function completedWhileEmailing(name: string): Promise<{ token: string; answer: () => void }> {
  let answer = () => {};
  h.smtp.answerAfter = new Promise<void>((resolve) => (answer = resolve));
  const { json } = await h.submit(spec(h.sqliteSource(name)));
  await waitFor(
    () => h.smtp.received.some((m) => m.subject === `Handover of ${name} completed`),
    60_000,
    `the success email of ${name} to reach the SMTP server`,
  );
  return { token: json.token, answer };
}

/**
 * The handover's history once it has acted on a cancel: its workflow task after `event` has completed and, if that
 * task passed the cancel on to the lock (a signal), the cancel request the lock sends back has been taken in too.
 */
async function actedOn(
  token: string,
  event: 'workflowExecutionSignaledEventAttributes' | 'workflowExecutionCancelRequestedEventAttributes',
) {
  type Events = NonNullable<Awaited<ReturnType<ReturnType<typeof h.client.workflow.getHandle>['fetchHistory']>>['events']>;
  const takenIn = (events: Events, name: typeof event) => {
    const at = events.findIndex((e) => e[name]);
    return at >= 0 && events.slice(at).some((e) => e.workflowTaskCompletedEventAttributes);
  };
  return waitFor(
    async () => {
      const events = (await h.client.workflow.getHandle(token).fetchHistory()).events ?? [];
      if (!takenIn(events, event)) return undefined;
      const passedOn = events.some((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes);
      return (!passedOn || takenIn(events, 'workflowExecutionCancelRequestedEventAttributes')) && events;
    },
    30_000,
    `${token} to act on the cancel`,
  );
}

async function expectCompletedAndEmailed(token: string, name: string, answer: () => void) {
  answer();
  h.smtp.answerAfter = undefined;
  expect(await closed(token)).toBe('COMPLETED');
  const done = await h.progress(token);
  expect(done.status).toBe('completed');
  expect(done.cancelled).toBeUndefined();
  const mail = await h.smtp.waitForSubject(`Handover of ${name} completed`);
  expect(mail.subject).toBe(`Handover of ${name} completed`);
}

test('a cancel through the API while the success email is being sent is a 409: the outcome is decided', async () => {
  const name = 'email_cancel_api_core_110_1';
  const { token, answer } = await completedWhileEmailing(name);
  try {
    const res = await h.app.inject({ method: 'POST', url: `/handovers/${token}/cancel`, payload: { by: 'alice', reason: 'too late' } });
    expect(res.json()).toEqual({ error: 'the handover has already ended (completed)', status: 'completed' });
    expect(res.statusCode).toBe(409);
    await expectCompletedAndEmailed(token, name, answer);
  } finally {
    answer();
  }
});

test('the `cancel` signal while the success email is being sent: ignored, the handover stays completed and the email goes', async () => {
  const name = 'email_cancel_signal_core_110_1';
  const { token, answer } = await completedWhileEmailing(name);
  try {
    await temporal(
      'workflow',
      'signal',
      '--workflow-id',
      token,
      '--name',
      'cancel',
      '--input',
      JSON.stringify({ by: 'alice', reason: 'too late' }),
    );
    const events = await actedOn(token, 'workflowExecutionSignaledEventAttributes');
    // Still being sent: the cancel did not reach the email.
    expect(events.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(false);
    await expectCompletedAndEmailed(token, name, answer);
  } finally {
    answer();
  }
});

test('`temporal workflow cancel` while the success email is being sent: the handover stays completed and the email goes', async () => {
  const name = 'email_cancel_cli_core_110_1';
  const { token, answer } = await completedWhileEmailing(name);
  try {
    await temporal('workflow', 'cancel', '--workflow-id', token);
    const events = await actedOn(token, 'workflowExecutionCancelRequestedEventAttributes');
    expect(events.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(false);
    await expectCompletedAndEmailed(token, name, answer);
  } finally {
    answer();
  }
});
