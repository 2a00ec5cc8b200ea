/**
 * `npm run services`: the four local job services (healthcheck 4001, copy 4002, metadata 4003, event 4004).
 * Environment:
 *   LOCAL_STACK_DIR           data folder (default .handover/services): job stores, the key file, dumps
 *   LOCAL_STACK_HOST          address to listen on (default 127.0.0.1); any other than a loopback address needs LOCAL_STACK_TOKEN
 *   LOCAL_STACK_DB_PASSWORDS  JSON {"user@host:port": "password"} for databases that events name without a password
 *   LOCAL_STACK_TARGET_ROOTS  comma-separated staging folders and servers copies may write to:
 *                             sqlite:////abs/folder/,mysql://[user@]host:port/ (default: <LOCAL_STACK_DIR>/../staging/)
 *   LOCAL_STACK_TOKEN         when set (16+ characters), every request needs Authorization: Bearer <token>; when not,
 *                             only requests to localhost / 127.x.x.x / [::1] (their Host header) are answered
 *   LOCAL_STACK_SECRET_KEY    key sealing the passwords kept in job stores (default: a key in <LOCAL_STACK_DIR>/secret.key)
 */
import path from 'node:path';
import { startLocalStack } from './stack';

async function main(): Promise<void> {
  const env = (name: string) => (process.env[name] === '' ? undefined : process.env[name]);
  const dataDir = path.resolve(env('LOCAL_STACK_DIR') ?? path.resolve(__dirname, '../.handover/services'));
  const stack = await startLocalStack({
    dataDir,
    host: env('LOCAL_STACK_HOST'),
    passwords: env('LOCAL_STACK_DB_PASSWORDS') ? (JSON.parse(env('LOCAL_STACK_DB_PASSWORDS')!) as Record<string, string>) : undefined,
    targetRoots: env('LOCAL_STACK_TARGET_ROOTS'),
    token: env('LOCAL_STACK_TOKEN'),
    secretKey: env('LOCAL_STACK_SECRET_KEY'),
  });
  for (const [name, url] of Object.entries(stack.urls)) console.log(`${name} service on ${url}`);
  console.log(`jobs and the metadata store in ${dataDir}, dumps in ${stack.dumpsDir}`);
  console.log(`copies may write to: ${stack.targetRoots.join(', ')}${env('LOCAL_STACK_TOKEN') ? '; requests need the bearer token' : ''}`);
  const stop = async () => {
    await stack.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
