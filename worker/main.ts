/** `npm run worker`: runs the Handover worker until SIGINT/SIGTERM, then drains and stops. */
import { Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../common/config';
import { serveMetrics } from './metrics-server';
import { createHandoverWorker } from './worker';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfig();
  const host = config.HANDOVER_WORKER_METRICS_HOST;
  const sdkAddress = `${host.includes(':') ? `[${host}]` : host}:${config.HANDOVER_SDK_METRICS_PORT}`;
  // The SDK serves its own metrics (temporal_*: task slots, poll and schedule latencies) on its own port.
  // Installed once per process, before the first connection creates the runtime.
  if (config.HANDOVER_SDK_METRICS_PORT) Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: sdkAddress } } } });
  const worker = await createHandoverWorker(config, { processMetrics: true });
  // A second worker on the same host finds the port taken: it works on, without its own endpoint, and says so.
  const metricsServer = await serveMetrics(worker.metrics.registry, host, config.HANDOVER_WORKER_METRICS_PORT).catch((err: Error) => {
    console.warn(
      `Handover worker metrics not served (${host}:${config.HANDOVER_WORKER_METRICS_PORT}: ${err.message}); ` +
        `set HANDOVER_WORKER_METRICS_PORT`,
    );
    return undefined;
  });
  if (metricsServer) console.log(`Handover worker metrics on ${metricsServer.url}`);
  if (config.HANDOVER_SDK_METRICS_PORT) console.log(`Temporal SDK metrics on http://${sdkAddress}/metrics`);
  if (config.HANDOVER_REPORT_AMQP_URL) console.log(`Publishing step reports to the AMQP exchange "${config.HANDOVER_REPORT_EXCHANGE}"`);
  const workflows = config.HANDOVER_WORKFLOW_BUNDLE
    ? `workflows from the bundle ${config.HANDOVER_WORKFLOW_BUNDLE}`
    : 'workflows bundled at start';
  console.log(
    `Handover worker polling task queue "${config.HANDOVER_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS} (${config.TEMPORAL_NAMESPACE}` +
      `); ${workflows}; started in ${Date.now() - startedAt} ms`,
  );
  // The SDK's runtime turns SIGINT/SIGTERM into worker.shutdown(): running activities finish, then run() closes the
  // Temporal connection createHandoverWorker opened (nothing native is left to keep the process alive) and resolves.
  try {
    await worker.run();
  } finally {
    await metricsServer?.close();
  }
  console.log('Handover worker stopped, Temporal connection closed');
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
