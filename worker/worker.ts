/** Builds the Handover worker: workflows from workflows/, activities wired to the configured services. */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { amqpTopicPublisher } from '../activities/amqp';
import { createMailer } from '../activities/email';
import type { ReportDeps } from '../activities/reports';
import type { Config } from '../common/config';
import { createSealer } from '../common/secrets';
import { tlsFrom } from '../common/temporal';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';

export interface HandoverWorker {
  worker: Worker;
  /** Runs until the worker is shut down (SIGINT/SIGTERM), then closes what the activities opened and the Temporal connection, if createHandoverWorker opened it. */
  run(): Promise<void>;
}

export async function createHandoverWorker(
  config: Config,
  opts: { connection?: NativeConnection; workflowBundlePath?: string; reportLog?: ReportDeps['log'] } = {},
): Promise<HandoverWorker> {
  const connection = opts.connection ?? (await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS, tls: tlsFrom(config) }));
  const reportPublisher = config.HANDOVER_REPORT_AMQP_URL ? amqpTopicPublisher(config.HANDOVER_REPORT_AMQP_URL, config.HANDOVER_REPORT_EXCHANGE) : undefined;
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
  });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.HANDOVER_TASK_QUEUE,
    ...(opts.workflowBundlePath ? { workflowBundle: { codePath: opts.workflowBundlePath } } : { workflowsPath: require.resolve('../workflows') }),
    activities,
  });
  return {
    worker,
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
