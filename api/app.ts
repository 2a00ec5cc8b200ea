/** The Handover API (Fastify + zod). buildApp(deps) so tests drive it with inject() or a real port. */
import Fastify, { type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { type ZodTypeProvider, jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import { type Config, contactDomainsFrom, updateTypesFrom } from '../common/config';
import type { Sealer } from '../common/secrets';
import { acceptEmptyBodies } from './bodies';
import { registerAuth } from './auth';
import { ANONYMOUS } from './caller';
import { errorHandler } from './errors';
import { healthAnswer, liveAnswer, readyAnswer } from './schemas';
import { type ApiMetrics, createApiMetrics } from './metrics';
import { SERVICE_NAMES, type ServiceName } from '../vocabulary';
import { createHandoverService } from './handovers';
import { callbackRoutes } from './routes/callbacks';
import { ensemblRoutes } from './routes/ensembl';
import { handoverRoutes } from './routes/handovers';
import { vocabularyRoutes } from './routes/vocabulary';
import { webRoutes } from './routes/web';

export interface AppDeps {
  client: Client;
  config: Config;
  sealer: Sealer;
  logger?: FastifyServerOptions['logger'];
  /** The API's Prometheus metrics (a registry of its own when not given), served at GET /metrics. */
  metrics?: ApiMetrics;
}

/** Readiness probes give each dependency this long. */
const PROBE_TIMEOUT_MS = 3000;

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
  // The documentation's routes are the plugin's: each one it declares gets the read role here.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, role: route.config?.role ?? 'read' };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });

  const metrics = deps.metrics ?? createApiMetrics();
  const handovers = createHandoverService({ ...deps, metrics });
  const updateTypes = updateTypesFrom(deps.config);
  const contactDomains = contactDomainsFrom(deps.config);
  await app.register(
    handoverRoutes(handovers, { publicUrl: deps.config.HANDOVER_PUBLIC_URL.replace(/\/+$/, ''), updateTypes, contactDomains }),
  );
  await app.register(ensemblRoutes(handovers, { updateTypes, contactDomains }));
  await app.register(vocabularyRoutes({ updateTypes }));
  await app.register(callbackRoutes(handovers, { secretKey: deps.config.HANDOVER_SECRET_KEY }));

  webRoutes(app, { temporalWebUrl: deps.config.TEMPORAL_WEB_URL.replace(/\/+$/, ''), namespace: deps.config.TEMPORAL_NAMESPACE });

  // A read key: it names databases' types and the job services (Prometheus sends it as a bearer token).
  app.get('/metrics', { config: { role: 'read' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  // Readiness asks cheap questions, each bounded by PROBE_TIMEOUT_MS: Temporal's system info, and each job
  // service's GET /health (the local stack answers it without reading a job; a service without it answers 404,
  // which is still an answer). Never GET /jobs: that reads the service's job records.
  const temporalReachable = async () => {
    try {
      await deps.client.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () => deps.client.workflowService.getSystemInfo({}));
      return true;
    } catch {
      return false;
    }
  };
  const serviceUrls: Record<ServiceName, string> = {
    healthcheck: deps.config.HANDOVER_HEALTHCHECK_URL,
    copy: deps.config.HANDOVER_COPY_URL,
    metadata: deps.config.HANDOVER_METADATA_URL,
    event: deps.config.HANDOVER_EVENT_URL,
  };
  /**
   * A job service is reachable when it answers GET /health with anything below 500 (a 401 or 404 is still an answer); its body is not read.
   */
  const serviceReachable = async (name: ServiceName) => {
    try {
      const token = deps.config.HANDOVER_SERVICE_TOKEN;
      const res = await fetch(`${serviceUrls[name].replace(/\/+$/, '')}/health`, {
        headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      await res.body?.cancel();
      return res.status < 500;
    } catch {
      return false;
    }
  };
  // The probes are public: load balancers poll them without a key.
  app.get(
    '/health/live',
    { config: { role: 'public' }, schema: { summary: 'Is the API process up? (always 200)', response: { 200: liveAnswer } } },
    (_request, reply) => {
      void reply.send({ status: 'ok' as const });
    },
  );
  app.get(
    '/health/ready',
    {
      config: { role: 'public' },
      schema: {
        summary: 'Can the API do its work: Temporal and each job service reachable? 200 or 503 naming what failed',
        response: { 200: readyAnswer, 503: readyAnswer },
      },
    },
    async (_request, reply) => {
      const [temporal, ...services] = await Promise.all([temporalReachable(), ...SERVICE_NAMES.map(serviceReachable)]);
      const state = (ok: boolean) => (ok ? ('reachable' as const) : ('unreachable' as const));
      const answer = {
        temporal: state(temporal),
        services: Object.fromEntries(SERVICE_NAMES.map((name, i) => [name, state(services[i])])) as Record<
          ServiceName,
          'reachable' | 'unreachable'
        >,
        failed: [...(temporal ? [] : ['temporal']), ...SERVICE_NAMES.filter((_, i) => !services[i])],
      };
      return answer.failed.length
        ? reply.code(503).send({ status: 'not ready' as const, ...answer })
        : { status: 'ready' as const, ...answer };
    },
  );

  app.get(
    '/health',
    {
      config: { role: 'public' },
      schema: { summary: 'Is the API up and Temporal reachable?', response: { 200: healthAnswer, 503: healthAnswer } },
    },
    async (_request, reply) => {
      try {
        await deps.client.workflowService.getSystemInfo({});
        return { status: 'ok' as const, temporal: 'reachable' as const };
      } catch {
        return reply.code(503).send({ status: 'degraded' as const, temporal: 'unreachable' as const });
      }
    },
  );
  return app;
}
