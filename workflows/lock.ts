/**
 * One handover per target database at a time. The API starts this workflow with the ID
 * `handover-lock:<database key>` and conflict policy FAIL: while it runs, a second handover of the
 * same database cannot start (409). It runs the handover as its child, under the handover's token,
 * and so holds the lock exactly as long as the handover runs.
 */
import {
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  executeChild,
  isCancellation,
  log,
  setHandler,
} from '@temporalio/workflow';
import {
  type HandoverStatus,
  type LockInput,
  cancelHandoverSignal,
  handoverFailedDetails,
  holderQuery,
  initialSearchAttributes,
} from '../vocabulary';
import { handoverWorkflow } from './handover';

/** Returns how the handover ended. */
export async function databaseLockWorkflow({ handover }: LockInput): Promise<Exclude<HandoverStatus, 'running'>> {
  setHandler(holderQuery, () => handover.token);
  const child = new CancellationScope();
  setHandler(cancelHandoverSignal, () => child.cancel());
  try {
    const done = await child.run(() =>
      executeChild(handoverWorkflow, {
        workflowId: handover.token,
        args: [handover],
        // If the lock is terminated by hand, the handover is cancelled (cleanly), not left running unlocked.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        // Shown in lists (the web page) without a query per row.
        memo: {
          comment: handover.spec.comment,
          source_uri: handover.spec.src_uri,
          ...(handover.submittedBy ? { submitted_by: handover.submittedBy } : {}),
        },
        typedSearchAttributes: initialSearchAttributes(handover),
      }),
    );
    return done.status === 'completed' ? 'completed' : 'failed';
  } catch (err) {
    // The handover's outcome is its own (and recorded there); the lock is released either way.
    log.info('handover ended without completing', { token: handover.token, error: (err as Error).message });
    if (isCancellation(err)) return 'cancelled';
    const failure = err instanceof ChildWorkflowFailure ? handoverFailedDetails(err.cause)?.failure : undefined;
    return failure?.kind === 'rejected' ? 'rejected' : 'failed';
  }
}
