/** Builds the Handover worker: workflows from workflows/, activities wired to the configured services. */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createMailer } from '../activities/email';
import type { Config } from '../common/config';
import { createSealer } from '../common/secrets';
import { tlsFrom } from '../common/temporal';

export async function createHandoverWorker(
  config: Config,
  opts: { connection?: NativeConnection; workflowBundlePath?: string } = {},
): Promise<Worker> {
  const connection =
    opts.connection ?? (await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS, tls: tlsFrom(config) }));
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
  });
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.HANDOVER_TASK_QUEUE,
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    activities,
  });
}
