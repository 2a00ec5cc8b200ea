/** `npm run worker`: runs the Handover worker until SIGINT/SIGTERM, then drains and stops. */
import { ConfigError, loadConfig } from '../common/config';
import { createHandoverWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const worker = await createHandoverWorker(config);
  if (config.HANDOVER_REPORT_AMQP_URL) console.log(`Publishing step reports to the AMQP exchange "${config.HANDOVER_REPORT_EXCHANGE}"`);
  console.log(`Handover worker polling task queue "${config.HANDOVER_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS} (${config.TEMPORAL_NAMESPACE})`);
  // The SDK's runtime turns SIGINT/SIGTERM into worker.shutdown(): running activities finish, then run() closes the
  // Temporal connection createHandoverWorker opened (nothing native is left to keep the process alive) and resolves.
  await worker.run();
  console.log('Handover worker stopped, Temporal connection closed');
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
