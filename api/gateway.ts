/**
 * The API's side of Temporal, one concern a file in ./gateway: starting handovers under their database's lock
 * (./gateway/start), reading them (./gateway/read), waking a waiting poll (./gateway/wake), keeping refusals
 * (./gateway/refusals). Everything Temporal-shaped the API does is there; the rules of a submission are in ./submission.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../common/config';
import { type CancelRequest, cancelSignal } from '../vocabulary';
import { handoverReads } from './gateway/read';
import { keptRefusals } from './gateway/refusals';
import { handoverStarts, soon } from './gateway/start';
import { pollWaker } from './gateway/wake';

export { soon } from './gateway/start';
export { visibilityQuery } from './gateway/read';

export function temporalGateway(client: Client, config: Config) {
  const taskQueue = config.HANDOVER_TASK_QUEUE;
  return {
    ...handoverStarts(client, taskQueue),
    ...handoverReads(client),
    ...keptRefusals(client, taskQueue),

    /** The cancel signal: the handover takes it from there (docs/ARCHITECTURE.md, "Cancel: one path, through the lock"). */
    async cancel(token: string, request: CancelRequest): Promise<void> {
      await client.workflow.getHandle(token).signal(cancelSignal, request);
    },

    pollNow: pollWaker(client, config.TEMPORAL_NAMESPACE),
    soon,
  };
}

export type TemporalGateway = ReturnType<typeof temporalGateway>;
