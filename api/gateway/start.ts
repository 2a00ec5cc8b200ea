/**
 * Starting handovers: one under its database's lock (the lock workflow runs it as its child), or a batch of
 * them. Typed handles of the workflows they start are why this file may import workflows/ (tests/unit/import-graph).
 */
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { type BatchInput, type HandoverInput, holderQuery, lockHolder, lockMemo } from '../../vocabulary';
import { batchWorkflow } from '../../workflows/batch';
import { databaseLockWorkflow } from '../../workflows/lock';
import { HandoverConflict } from '../errors';

/** How long to keep trying something that will soon succeed (the lock's child appearing, a lock released). */
const SOON = { attempts: 100, everyMs: 100 };

export function handoverStarts(client: Client, taskQueue: string) {
  const handle = (id: string) => client.workflow.getHandle(id);

  /**
   * The token of the handover holding a lock: the lock's memo (vocabulary `lockMemo`, which every lock starter
   * writes), or, for a lock started before every starter wrote it (a batch's, under an older release), the lock's
   * own `holderQuery`. The lock may have closed since the start that found it: then nobody holds it, and the answer
   * is still a 409, with no token.
   */
  const holderOf = async (lockId: string): Promise<string> => {
    const description = await handle(lockId)
      .describe()
      .catch(() => undefined);
    const recorded = lockHolder(description?.memo);
    if (recorded || description?.status.name !== 'RUNNING') return recorded;
    return handle(lockId)
      .query(holderQuery)
      .catch(() => '');
  };

  return {
    /** Starts a handover under its database's lock (HandoverConflict when another of it runs); resolves once the handover exists. */
    async startUnderLock(input: HandoverInput, lockId: string): Promise<void> {
      try {
        await client.workflow.start(databaseLockWorkflow, {
          workflowId: lockId,
          taskQueue,
          args: [{ lockKey: lockId, handover: input }],
          workflowIdConflictPolicy: 'FAIL',
          memo: lockMemo(input.token),
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) throw new HandoverConflict(await holderOf(lockId));
        throw err;
      }
      // The lock workflow starts the handover as its child: its token answers once that exists.
      await soon(
        () => handle(input.token).describe(),
        (err) => err instanceof WorkflowNotFoundError,
      ).catch((err) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
    },

    async startBatch(batch: BatchInput): Promise<void> {
      await client.workflow.start(batchWorkflow, { workflowId: batch.batchId, taskQueue, args: [batch] });
    },
  };
}

/** Tries `attempt` every 100 ms, for up to 10 s, while it fails in a way `retryable` says will pass. */
export async function soon<T>(attempt: () => Promise<T>, retryable: (err: unknown) => boolean): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!retryable(err) || i >= SOON.attempts) throw err;
      await new Promise((r) => setTimeout(r, SOON.everyMs));
    }
  }
}
