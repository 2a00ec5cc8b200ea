/**
 * Waking a waiting poll (a completion callback: common/callbacks.ts). Temporal's ResetActivity runs the step's
 * poll activity now, dropping its retry backoff: no history event, no workflow task.
 */
import { status } from '@grpc/grpc-js';
import { type Client, WorkflowNotFoundError, isGrpcServiceError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { WAITING_ACTIVITY, type WaitingStep } from '../../common/callbacks';

const { PENDING_ACTIVITY_STATE_SCHEDULED } = temporal.api.enums.v1.PendingActivityState;

/**
 * What ResetActivity answers when there is nothing to reset: NOT_FOUND (no such running activity or workflow),
 * FAILED_PRECONDITION (the workflow is closed), INVALID_ARGUMENT (the activity is not pending: it just completed).
 */
const NOTHING_TO_RESET: readonly status[] = [status.NOT_FOUND, status.FAILED_PRECONDITION, status.INVALID_ARGUMENT];

export function pollWaker(client: Client, namespace: string) {
  /**
   * Runs a step's waiting poll activity now. Only when the poll is waiting for a retry or running (its answer may
   * be "running" from just before the job ended): a poll not scheduled yet, or scheduled for its first attempt, runs
   * at once anyway and finds the job ended. A reset is a write on the server, a describe a read, and with quick jobs
   * most callbacks come before the first poll. False when nothing was reset: the step is not waiting yet, or no
   * longer, or the handover has ended.
   */
  return async function pollNow(token: string, step: WaitingStep): Promise<boolean> {
    const activityType = WAITING_ACTIVITY[step];
    try {
      const poll = (await client.workflow.getHandle(token).describe()).raw.pendingActivities?.find(
        (a) => a.activityType?.name === activityType,
      );
      if (!poll || (poll.state === PENDING_ACTIVITY_STATE_SCHEDULED && (poll.attempt ?? 1) <= 1)) return false;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      // Unsure (the server busy, a deadline): reset as if it were waiting; a service calls back only once.
    }
    try {
      await client.workflowService.resetActivity({
        namespace,
        execution: { workflowId: token },
        type: activityType,
        identity: 'handover-api callback',
      });
      return true;
    } catch (err) {
      if (isGrpcServiceError(err) && NOTHING_TO_RESET.includes(err.code)) return false;
      throw err;
    }
  };
}
