/**
 * A batch: many databases submitted together. Each gets its own handover under its own database lock
 * (a database already being handed over is refused, the rest go on); when every handover has ended,
 * the contact gets one summary email.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, executeChild, isCancellation, log, setHandler } from '@temporalio/workflow';
import { type BatchInput, type BatchProgress, batchProgressQuery } from './definitions';
import { mail } from './handover';
import { databaseLockWorkflow } from './lock';

export async function batchWorkflow(input: BatchInput): Promise<BatchProgress> {
  const handovers: BatchProgress['handovers'] = input.items.map((i) => ({ token: i.handover.token, database: i.handover.database, status: 'running' }));
  const progress = (): BatchProgress => {
    const counts = { running: 0, completed: 0, failed: 0, cancelled: 0, rejected: 0, refused: 0 };
    for (const h of handovers) counts[h.status]++;
    return { batch_id: input.batchId, status: counts.running ? 'running' : 'ended', total: handovers.length, counts, handovers };
  };
  setHandler(batchProgressQuery, progress);

  // Each item on its own: one that fails, is terminated or is refused never ends the others.
  await Promise.all(
    input.items.map(async (item, i) => {
      try {
        handovers[i].status = await executeChild(databaseLockWorkflow, {
          workflowId: item.lockKey,
          args: [item],
          // A handover outlives its batch: terminating the batch leaves its handovers running.
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          Object.assign(handovers[i], { status: 'refused', reason: 'a handover of this database is already running' });
        } else {
          Object.assign(handovers[i], { status: isCancellation(err) ? 'cancelled' : 'failed', reason: (err as Error).message });
        }
      }
    }),
  );
  const summary = progress();
  try {
    await mail.sendBatchSummary({ to: input.contact, summary });
  } catch (err) {
    log.error('could not email the batch summary', { batchId: input.batchId, error: (err as Error).message });
  }
  return summary;
}
