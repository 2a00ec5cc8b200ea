/** The metadata service: record the copied database, and collect the events it produces. */
import type { DbRef, JobRef, MetadataEvent } from '../vocabulary';
import type { Credentials } from './credentials';
import type { JobServiceClient } from './job-client';

export function metadataActivities(client: JobServiceClient, credentials: Credentials) {
  return {
    async submitMetadata(input: { token: string; target: DbRef; contact: string; comment: string; updateType?: string }): Promise<JobRef> {
      const body = {
        database_uri: credentials.reveal(input.target),
        update_type: input.updateType ?? 'other',
        email: input.contact,
        comment: input.comment,
        source: 'Handover',
      };
      const answer = await client.submit(body, `${input.token}:metadata`);
      return client.ref(String(answer.job_id));
    },

    async waitForMetadata(job: JobRef): Promise<{ events: MetadataEvent[] }> {
      const output = await client.outputWhenDone<{ events?: MetadataEvent[] }>(job.id);
      // Events go to history and onward to the event service: scrub anything URI-shaped in them.
      const events = JSON.parse(credentials.redact(JSON.stringify(output?.events ?? []))) as MetadataEvent[];
      return { events };
    },
  };
}
