/** The event service: pass one metadata event on; it answers with the processes it started. */
import type { HandoverActivities } from '../vocabulary';
import type { JobServiceClient } from './job-client';
import { eventSubmitAnswer } from './service-answers';

/** Typed by the contract (vocabulary/activities.ts): the compiler checks the signature against it. */
export function eventActivities(client: JobServiceClient): Pick<HandoverActivities, 'submitEvent'> {
  return {
    async submitEvent(input) {
      const { type, genome, ...rest } = input.event;
      const answer = await client.submit(
        { type, genome, ...rest },
        { token: input.token, step: 'event', event: input.index },
        eventSubmitAnswer,
      );
      return answer.processes.map((p) => client.ref(`${p.process}/${p.job}`));
    },
  };
}
