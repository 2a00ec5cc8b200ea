/** All activities, built from their dependencies (so tests wire real servers in). */
import { callbackUrl } from '../common/callbacks';
import type { Sealer } from '../common/secrets';
import type { HandoverActivities, ServiceName } from '../vocabulary';
import { copyActivities } from './copy';
import { createCredentials } from './credentials';
import { checkDatabaseExists } from './databases';
import { type Mailer, composeBatchSummary, composeEmail } from './email';
import { eventActivities } from './events';
import { healthcheckActivities } from './healthcheck';
import { JobServiceClient, type Submission } from './job-client';
import { metadataActivities } from './metadata';
import type { TopicPublisher } from './amqp';
import { type WorkerMetrics, createWorkerMetrics } from './metrics';
import { type ReportDeps, reportActivities } from './reports';

export interface ActivityDeps {
  serviceUrls: Record<ServiceName, string>;
  sealer: Sealer;
  mailer: Mailer;
  /** The API as users reach it: emails link to its handover pages. */
  publicUrl: string;
  /** The Temporal Web UI and namespace, for links in emails. */
  temporalWebUrl: string;
  namespace: string;
  /** Where step reports are published (an AMQP topic exchange), if anywhere. */
  reportPublisher?: TopicPublisher;
  /** Where report lines are logged (stdout by default). */
  reportLog?: ReportDeps['log'];
  /** The job services' key, sent as a bearer credential (env HANDOVER_SERVICE_TOKEN: the name stays), if they require one. */
  serviceKey?: string;
  /** One request to a job service (HANDOVER_REQUEST_TIMEOUT). */
  requestTimeoutMs?: number;
  /** Where job services send completion callbacks (the API's base URL), and the key that signs them; none when undefined. */
  callbacks?: { base: string; secretKey: string };
  /** Where the activities record the worker's Prometheus metrics (a registry of their own when not given). */
  metrics?: WorkerMetrics;
}

/** Every activity, as the workflows' contract (vocabulary/activities.ts) says: its signatures are declared there only. */
export function createActivities(deps: ActivityDeps): HandoverActivities {
  const credentials = createCredentials(deps.sealer);
  const metrics = deps.metrics ?? createWorkerMetrics();
  // A waited step's submission carries its signed callback URL; the event step waits for nothing.
  const callbacks = deps.callbacks;
  const callbackUrlOf = callbacks
    ? (s: Submission) => (s.step === 'event' ? undefined : callbackUrl(callbacks.base, callbacks.secretKey, s.token, s.step))
    : undefined;
  const client = (name: ServiceName) =>
    new JobServiceClient({
      callbackUrl: callbackUrlOf,
      name,
      baseUrl: deps.serviceUrls[name],
      redact: credentials.redact,
      serviceKey: deps.serviceKey,
      requestTimeoutMs: deps.requestTimeoutMs,
      metrics,
    });
  const services: Record<ServiceName, JobServiceClient> = {
    healthcheck: client('healthcheck'),
    copy: client('copy'),
    metadata: client('metadata'),
    event: client('event'),
  };

  // Emails link to the handover's web page: where a person looks, not where a program reads.
  const pageUrl = (token: string) => `${deps.publicUrl.replace(/\/+$/, '')}/ui/handover.html?token=${encodeURIComponent(token)}`;

  return {
    async checkSourceExists(db) {
      return checkDatabaseExists(credentials.reveal(db), db.uri);
    },
    ...healthcheckActivities(services.healthcheck, credentials),
    ...copyActivities(services.copy, credentials),
    ...metadataActivities(services.metadata, credentials),
    ...eventActivities(services.event),
    ...reportActivities({ log: deps.reportLog, publisher: deps.reportPublisher, redact: credentials.redact, metrics }),
    async killJob(job) {
      await services[job.service].kill(job.id);
    },
    async sendBatchSummary({ to, summary }) {
      await deps.mailer.send(composeBatchSummary(to, summary, pageUrl));
    },
    async sendEmail(notice) {
      const links = {
        page: pageUrl(notice.token),
        temporal: `${deps.temporalWebUrl.replace(/\/+$/, '')}/namespaces/${deps.namespace}/workflows/${notice.token}`,
      };
      await deps.mailer.send(composeEmail(notice, links));
    },
  };
}
