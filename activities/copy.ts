/** The copy service: copy the source database to its target on staging. */
import type { DbRef, JobRef } from '../vocabulary';
import type { Credentials } from './credentials';
import type { JobServiceClient } from './job-client';
import { LIMITS, clip, copyOutput } from './service-answers';

export function copyActivities(client: JobServiceClient, credentials: Credentials) {
  return {
    async submitCopy(input: { token: string; source: DbRef; target: DbRef }): Promise<JobRef> {
      const body = { source_db_uri: credentials.reveal(input.source), target_db_uri: credentials.reveal(input.target), drop: true };
      const answer = await client.submit(body, { token: input.token, step: 'copy' });
      return client.ref(String(answer.job_id));
    },

    /** Only the runtime comes back: the output echoes both URIs, which must stay out of history. */
    async waitForCopy(job: JobRef): Promise<{ runtime?: string }> {
      const output = await client.outputWhenDone(job.id, copyOutput);
      return { runtime: output.runtime === undefined ? undefined : credentials.redact(clip(String(output.runtime), LIMITS.name)) };
    },
  };
}
