/** The healthcheck service: submit a database for checking, and read the report. */
import type { HandoverActivities } from '../vocabulary';
import type { Credentials } from './credentials';
import { type JobServiceClient, type Submission, idempotencyKey } from './job-client';
import { failedChecks, healthcheckOutput } from './service-answers';

/** Typed by the contract (vocabulary/activities.ts): the compiler checks each signature against it. */
export function healthcheckActivities(
  client: JobServiceClient,
  credentials: Credentials,
): Pick<HandoverActivities, 'submitHealthcheck' | 'waitForHealthcheck'> {
  return {
    async submitHealthcheck(input) {
      const submission: Submission = { token: input.token, step: 'healthcheck' };
      // Its tag is its idempotency key (docs/ARCHITECTURE.md, "Idempotency").
      const body = { db_uri: credentials.reveal(input.db), staging_uri: input.staging_uri, tag: idempotencyKey(submission) };
      const answer = await client.submit(body, submission);
      return client.ref(String(answer.job_id));
    },

    async waitForHealthcheck(job) {
      const output = await client.outputWhenDone(job.id, healthcheckOutput);
      // Bounded (counts and lengths) before the redaction reads a character of it.
      const failures = failedChecks(output.results).map(({ check, messages }) => ({
        check: credentials.redact(check),
        messages: messages.map((m) => credentials.redact(m)),
      }));
      if (output.status === 'failed') {
        return { status: 'problems', failures: failures.length ? failures : [{ check: 'healthcheck', messages: ['reported failed'] }] };
      }
      return { status: 'passed', failures: [] };
    },
  };
}
