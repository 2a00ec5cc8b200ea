/** Refused submissions, kept by the one refusals workflow of the task queue: no workflow per refused request. */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { REFUSALS_WORKFLOW, type Refusal, recordRefusalsSignal, refusalsQuery, refusalsWorkflowId } from '../../vocabulary';

export function keptRefusals(client: Client, taskQueue: string) {
  const refusalsId = refusalsWorkflowId(taskQueue);
  return {
    /** Refusals go to the refusals workflow as one signal, starting it if it is not running. */
    async recordRefusals(refusals: Refusal[]): Promise<void> {
      await client.workflow.signalWithStart(REFUSALS_WORKFLOW, {
        workflowId: refusalsId,
        taskQueue,
        args: [[]],
        signal: recordRefusalsSignal,
        signalArgs: [refusals],
      });
    },

    async refusals(): Promise<Refusal[]> {
      try {
        return await client.workflow.getHandle(refusalsId).query(refusalsQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return [];
        throw err;
      }
    },
  };
}
