/**
 * `npm run services`: the four local job services (healthcheck 4001, copy 4002, metadata 4003, event 4004).
 * Environment: LOCAL_STACK_DIR (default .handover/services), LOCAL_STACK_HOST, LOCAL_STACK_DB_PASSWORDS
 * (JSON {"user@host:port": "password"} for databases that events name without a password).
 */
import path from 'node:path';
import { startLocalStack } from './stack';

async function main(): Promise<void> {
  const dataDir = process.env.LOCAL_STACK_DIR ?? path.resolve(__dirname, '../.handover/services');
  const stack = await startLocalStack({
    dataDir,
    host: process.env.LOCAL_STACK_HOST,
    passwords: process.env.LOCAL_STACK_DB_PASSWORDS ? JSON.parse(process.env.LOCAL_STACK_DB_PASSWORDS) : undefined,
  });
  for (const [name, url] of Object.entries(stack.urls)) console.log(`${name} service on ${url}`);
  console.log(`jobs and the metadata store in ${dataDir}, dumps in ${stack.dumpsDir}`);
  const stop = async () => {
    await stack.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
