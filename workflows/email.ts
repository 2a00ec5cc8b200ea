/**
 * The email that ends a handover (flow 3 on). It never holds the database: it is tried once, with a short
 * timeout, inside the handover; if that fails, a detached workflow (`finalEmailWorkflow`, ID `<token>:email`,
 * parentClosePolicy ABANDON) takes over the retries, and the handover closes at once, releasing its lock.
 * It is not cancellable: a cancel that comes while it is being sent does not stop it.
 */
import { CancellationScope, ParentClosePolicy, log, proxyActivities, startChild } from '@temporalio/workflow';
import type { HandoverActivities, HandoverNotice } from '../vocabulary';

/** One try, inside the handover (the database is still locked meanwhile). */
const firstTry = proxyActivities<HandoverActivities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 1 } });

/** The retries, in a workflow that holds nothing: an SMTP server down for a while delays the email, not the next handover. */
const retried = proxyActivities<HandoverActivities>({
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '5s', maximumInterval: '5m' },
});

/** Sends the handover's final email, or hands it to `finalEmailWorkflow` when the first try fails. */
export async function sendFinalEmail(notice: HandoverNotice): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    try {
      await firstTry.sendEmail(notice);
    } catch (err) {
      log.warn('could not email the submitter yet: retrying from a workflow of its own', { error: (err as Error).message });
      try {
        await startChild(finalEmailWorkflow, {
          workflowId: `${notice.token}:email`,
          args: [notice],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      } catch (startErr) {
        log.error('could not hand the email over', { error: (startErr as Error).message });
      }
    }
  });
}

/** Retries a handover's final email (for up to a day); started by `sendFinalEmail`, it outlives the handover. */
export async function finalEmailWorkflow(notice: HandoverNotice): Promise<void> {
  try {
    await retried.sendEmail(notice);
  } catch (err) {
    log.error('could not email the submitter', { token: notice.token, error: (err as Error).message });
  }
}
