/** The copy service: copy the source database to its target on staging. */
import type { HandoverActivities } from '../vocabulary';
import type { Credentials } from './credentials';
import type { JobServiceClient } from './job-client';
import { LIMITS, clip, copyOutput } from './service-answers';

/** Typed by the contract (vocabulary/activities.ts): the compiler checks each signature against it. */
export function copyActivities(client: JobServiceClient, credentials: Credentials): Pick<HandoverActivities, 'submitCopy' | 'waitForCopy'> {
  return {
    async submitCopy(input) {
      const body = { source_db_uri: credentials.reveal(input.source), target_db_uri: credentials.reveal(input.target), drop: true };
      const answer = await client.submit(body, { token: input.token, step: 'copy' });
      return client.ref(String(answer.job_id));
    },

    /** Only the runtime comes back: the output echoes both URIs, which must stay out of history. */
    async waitForCopy(job) {
      const output = await client.outputWhenDone(job.id, copyOutput);
      return { runtime: output.runtime === undefined ? undefined : credentials.redact(clip(String(output.runtime), LIMITS.name)) };
    },
  };
}
