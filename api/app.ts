/** The Handover API (Fastify + zod). buildApp(deps) so tests drive it with inject() or a real port. */
import Fastify, { type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { type ZodTypeProvider, jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import { type Config, updateTypesFrom } from '../common/config';
import type { Sealer } from '../common/secrets';
import { acceptEmptyBodies } from './bodies';
import { registerAuth } from './auth';
import { ANONYMOUS } from './caller';
import { errorHandler } from './errors';
import { healthAnswer } from './schemas';
import { createHandoverService } from './handovers';
import { ensemblRoutes } from './routes/ensembl';
import { handoverRoutes } from './routes/handovers';
import { vocabularyRoutes } from './routes/vocabulary';
import { webRoutes } from './routes/web';

export interface AppDeps {
  client: Client;
  config: Config;
  sealer: Sealer;
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp(deps: AppDeps) {
  const app = Fastify({ logger: deps.logger ?? false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  acceptEmptyBodies(app);
  // Who is asking (api/auth.ts replaces this default when API keys are configured).
  app.decorateRequest('caller', null as never);
  app.addHook('onRequest', (request, _reply, done) => {
    request.caller = ANONYMOUS;
    done();
  });
  await registerAuth(app, deps.config);

  await app.register(swagger, {
    openapi: { info: { title: 'Handover API', version: '0.1.0', description: 'Hand a database over to staging.' } },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const handovers = createHandoverService(deps);
  const updateTypes = updateTypesFrom(deps.config);
  await app.register(handoverRoutes(handovers, { publicUrl: deps.config.HANDOVER_PUBLIC_URL.replace(/\/+$/, ''), updateTypes }));
  await app.register(ensemblRoutes(handovers, { updateTypes }));
  await app.register(vocabularyRoutes({ updateTypes }));

  webRoutes(app, { temporalWebUrl: deps.config.TEMPORAL_WEB_URL.replace(/\/+$/, ''), namespace: deps.config.TEMPORAL_NAMESPACE });

  app.get('/health', { schema: { summary: 'Is the API up and Temporal reachable?', response: { 200: healthAnswer, 503: healthAnswer } } }, async (_request, reply) => {
    try {
      await deps.client.workflowService.getSystemInfo({});
      return { status: 'ok' as const, temporal: 'reachable' as const };
    } catch {
      return reply.code(503).send({ status: 'degraded' as const, temporal: 'unreachable' as const });
    }
  });
  return app;
}
