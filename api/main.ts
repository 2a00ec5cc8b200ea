/** `npm run api`: serves the Handover API until SIGINT/SIGTERM. */
import type { FastifyRequest } from 'fastify';
import { withoutSignature } from '../common/callbacks';
import { ConfigError, loadConfig } from '../common/config';
import { createSealer } from '../common/secrets';
import { buildApp } from './app';
import { createApiMetrics } from './metrics';
import { accessAtStart } from './keys';
import { apiClient } from './temporal';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfig();
  // Without HANDOVER_API_KEYS the API is open: refuse anything but loopback (throws a ConfigError saying so).
  const access = accessAtStart(config);
  const client = apiClient(config);
  const app = await buildApp({
    client,
    config,
    sealer: createSealer(config.HANDOVER_SECRET_KEY),
    metrics: createApiMetrics({ processMetrics: true }),
    logger: {
      level: config.LOG_LEVEL,
      redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
      // Requests as pino logs them, minus a callback's signature.
      serializers: {
        req: (req: FastifyRequest) => ({ method: req.method, url: withoutSignature(req.url), host: req.host, remoteAddress: req.ip }),
      },
    },
  });
  const close = async () => {
    await app.close();
    await client.connection.close();
    process.exit(0);
  };
  // A signal handler's return value is ignored: close() ends the process itself.
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
  await app.listen({ host: config.HOST, port: config.PORT });
  console.log(access);
  console.log(
    `Handover API on ${config.HANDOVER_PUBLIC_URL} (OpenAPI: ${config.HANDOVER_PUBLIC_URL}/docs); started in ${Date.now() - startedAt} ms`,
  );
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
