/**
 * A batch: many databases submitted together. Each gets its own handover under its own database lock
 * (a database already being handed over is `locked`, the rest go on); when every handover has ended,
 * the contact gets one summary email.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, executeChild, isCancellation, log, setHandler } from '@temporalio/workflow';
import { BATCH_ITEM_STATUSES, type BatchInput, type BatchProgress, batchProgressQuery, lockMemo } from '../vocabulary';
import { mail } from './steps';
import { databaseLockWorkflow } from './lock';

export async function batchWorkflow(input: BatchInput): Promise<BatchProgress> {
  const handovers: BatchProgress['handovers'] = input.items.map((i) => ({
    token: i.handover.token,
    database: i.handover.database,
    status: 'running',
  }));
  const progress = (): BatchProgress => {
    const counts = Object.fromEntries(BATCH_ITEM_STATUSES.map((s) => [s, 0])) as BatchProgress['counts'];
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
          // As a single submission's lock: the API names the running handover from it when it refuses another (409).
          memo: lockMemo(item.handover.token),
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          Object.assign(handovers[i], { status: 'locked', reason: 'a handover of this database is already running' });
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
