/** The metadata service: record the copied database, and collect the events it produces. */
import type { DbRef, JobRef, MetadataEvent } from '../vocabulary';
import type { Credentials } from './credentials';
import type { JobServiceClient } from './job-client';
import { boundedEvent, metadataOutput } from './service-answers';

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

    /**
     * The events in Handover's shape: `details` an object (Ensembl's updater sends a JSON string), every text
     * bounded (service-answers.ts), then scrubbed of anything URI-shaped: they go to history and onward.
     */
    async waitForMetadata(job: JobRef): Promise<{ events: MetadataEvent[] }> {
      const output = await client.outputWhenDone(job.id, metadataOutput);
      const bounded = (output.events ?? []).map(boundedEvent);
      const events = JSON.parse(credentials.redact(JSON.stringify(bounded))) as MetadataEvent[];
      return { events };
    },
  };
}
