/** The event service: pass one metadata event on; it answers with the processes it started. */
import type { JobRef, MetadataEvent } from '../vocabulary';
import type { JobServiceClient } from './job-client';
import { eventSubmitAnswer } from './service-answers';

export function eventActivities(client: JobServiceClient) {
  return {
    async submitEvent(input: { token: string; index: number; event: MetadataEvent }): Promise<JobRef[]> {
      const { type, genome, ...rest } = input.event;
      const answer = await client.submit({ type, genome, ...rest }, { token: input.token, step: 'event', event: input.index }, eventSubmitAnswer);
      return answer.processes.map((p) => client.ref(`${p.process}/${p.job}`));
    },
  };
}
