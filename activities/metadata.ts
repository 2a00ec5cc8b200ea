/** The metadata service: record the copied database, and collect the events it produces. */
import type { HandoverActivities } from '../vocabulary';
import type { Credentials } from './credentials';
import type { JobServiceClient } from './job-client';
import { boundedEvent, metadataOutput, redactedStrings } from './service-answers';

/** Typed by the contract (vocabulary/activities.ts): the compiler checks each signature against it. */
export function metadataActivities(
  client: JobServiceClient,
  credentials: Credentials,
): Pick<HandoverActivities, 'submitMetadata' | 'waitForMetadata'> {
  return {
    async submitMetadata(input) {
      const body = {
        database_uri: credentials.reveal(input.target),
        update_type: input.updateType ?? 'other',
        email: input.contact,
        comment: input.comment,
        source: 'Handover',
      };
      const answer = await client.submit(body, { token: input.token, step: 'metadata' });
      return client.ref(String(answer.job_id));
    },

    /**
     * The events in Handover's shape: `details` an object (Ensembl's updater sends a JSON string), every text
     * bounded (service-answers.ts), then scrubbed of anything URI-shaped: they go to history and onward.
     */
    async waitForMetadata(job) {
      const output = await client.outputWhenDone(job.id, metadataOutput);
      const bounded = (output.events ?? []).map(boundedEvent);
      // Each text redacted where it stands, never the JSON text: a redaction inside JSON could break it (or a key).
      const events = bounded.map((e) => redactedStrings(e, credentials.redact));
      return { events };
    },
  };
}
