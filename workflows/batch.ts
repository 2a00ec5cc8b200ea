/**
 * A batch: many databases submitted together. Each gets its own handover under its own database lock
 * (a database already being handed over is refused, the rest go on); when every handover has ended,
 * the contact gets one summary email.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { executeChild, setHandler } from '@temporalio/workflow';
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

  await Promise.all(
    input.items.map(async (item, i) => {
      try {
        handovers[i].status = await executeChild(databaseLockWorkflow, { workflowId: item.lockKey, args: [item] });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        Object.assign(handovers[i], { status: 'refused', reason: 'a handover of this database is already running' });
      }
    }),
  );
  const summary = progress();
  await mail.sendBatchSummary({ to: input.contact, summary }).catch(() => undefined);
  return summary;
}
