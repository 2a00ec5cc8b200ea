/** Builds the Handover worker: workflows from workflows/, activities wired to the configured services. */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { amqpTopicPublisher } from '../activities/amqp';
import { createMailer } from '../activities/email';
import { type WorkerMetrics, createWorkerMetrics } from '../activities/metrics';
import type { ReportDeps } from '../activities/reports';
import { type Config, callbackBaseFrom } from '../common/config';
import { createSealer } from '../common/secrets';
import { connectionSecurity } from '../common/temporal';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';

export interface HandoverWorker {
  worker: Worker;
  /**
   * Runs until the worker is shut down (SIGINT/SIGTERM), then closes what the activities opened and the Temporal connection, if
   * createHandoverWorker opened it.
   */
  run(): Promise<void>;
  /** The worker's Prometheus metrics (activities/metrics.ts); worker/metrics-server.ts serves `metrics.registry`. */
  metrics: WorkerMetrics;
}

/** The workflows the worker registers (bundled at start, or once by worker/build-bundle.ts). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

const seconds = (d: string) => msToNumber(d as Duration) / 1000;

export async function createHandoverWorker(
  config: Config,
  opts: { connection?: NativeConnection; workflowBundlePath?: string; reportLog?: ReportDeps['log']; processMetrics?: boolean } = {},
): Promise<HandoverWorker> {
  const connection =
    opts.connection ?? (await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS, ...connectionSecurity(config) }));
  const reportPublisher = config.HANDOVER_REPORT_AMQP_URL
    ? amqpTopicPublisher(config.HANDOVER_REPORT_AMQP_URL, config.HANDOVER_REPORT_EXCHANGE)
    : undefined;
  const metrics = createWorkerMetrics({
    processMetrics: opts.processMetrics,
    stepDeadlines: {
      checking: seconds(config.HANDOVER_CHECK_DEADLINE),
      healthcheck: seconds(config.HANDOVER_CHECK_DEADLINE),
      copy: seconds(config.HANDOVER_COPY_DEADLINE),
      metadata: seconds(config.HANDOVER_METADATA_DEADLINE),
      event: seconds(config.HANDOVER_EVENT_DEADLINE),
    },
  });
  const callbackBase = callbackBaseFrom(config);
  const activities = createActivities({
    serviceUrls: {
      healthcheck: config.HANDOVER_HEALTHCHECK_URL,
      copy: config.HANDOVER_COPY_URL,
      metadata: config.HANDOVER_METADATA_URL,
      event: config.HANDOVER_EVENT_URL,
    },
    sealer: createSealer(config.HANDOVER_SECRET_KEY),
    mailer: createMailer(config.SMTP_URL, config.HANDOVER_MAIL_FROM),
    publicUrl: config.HANDOVER_PUBLIC_URL,
    temporalWebUrl: config.TEMPORAL_WEB_URL,
    namespace: config.TEMPORAL_NAMESPACE,
    reportPublisher,
    reportLog: opts.reportLog,
    serviceToken: config.HANDOVER_SERVICE_TOKEN,
    requestTimeoutMs: msToNumber(config.HANDOVER_REQUEST_TIMEOUT as Duration),
    metrics,
    callbacks: callbackBase ? { base: callbackBase, secretKey: config.HANDOVER_SECRET_KEY } : undefined,
  });
  const bundle = opts.workflowBundlePath ?? config.HANDOVER_WORKFLOW_BUNDLE;
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.HANDOVER_TASK_QUEUE,
    // A prebuilt bundle (npm run build:bundle) starts the worker in a moment; without one the SDK bundles workflows/ itself.
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    // SIGTERM: activities get this long to finish; after it they are cancelled and their retries go to another worker.
    shutdownGraceTime: config.HANDOVER_WORKER_SHUTDOWN_GRACE as Duration,
    // Not the SDK's default (about 600 per GB of heap): 1,000 waiting handovers would hold over a GB.
    maxCachedWorkflows: config.HANDOVER_WORKER_CACHED_WORKFLOWS,
  });
  return {
    worker,
    metrics,
    async run() {
      try {
        await worker.run();
      } finally {
        try {
          await reportPublisher?.close();
        } finally {
          // The connection this function opened is closed once the worker has stopped; one passed in (the tests') stays the caller's.
          if (!opts.connection) await connection.close();
        }
      }
    },
  };
}
