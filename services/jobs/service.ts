/**
 * What the four local job services share: a Fastify app with the hive-style job routes
 * (POST /jobs, GET /jobs/:id[?format=failures], DELETE /jobs/:id?kill=1, GET /jobs), a job store and a runner.
 */
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { safe } from '../db/uri';
import { type JobWork, JobRunner } from './runner';
import { type JobRecord, JobStore } from './store';

export interface JobServiceOptions {
  name: string;
  dataDir: string;
  /** Says what is wrong with a submission (400), or nothing. */
  validate(input: Record<string, unknown>): string | undefined;
  work: JobWork;
  /** Services with their own submit/poll shapes (the event service) add routes here instead. */
  routes?: (app: FastifyInstance, service: JobService) => void;
}

export interface JobService {
  app: FastifyInstance;
  store: JobStore;
  runner: JobRunner;
  submit(kind: string, input: Record<string, unknown>, key?: string): JobRecord;
  /** A job as the contract shows it, passwords removed from the input. */
  view(job: JobRecord): Record<string, unknown>;
  close(): Promise<void>;
}

/** Replaces passwords in every URI-looking string of a value. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('://') ? safe(value) : value;
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
  return value;
}

export function createJobService(opts: JobServiceOptions): JobService {
  const store = new JobStore(path.join(opts.dataDir, `${opts.name}-jobs.sqlite`));
  const runner = new JobRunner(store, opts.work);
  const app = Fastify({ logger: false });
  // Ensembl's RestClient sends `Content-Type: application/json` on every request, bodiless DELETEs too.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(Object.assign(err as Error, { statusCode: 400 }), undefined);
    }
  });

  const service: JobService = {
    app,
    store,
    runner,
    submit(kind, input, key) {
      const { job, created } = store.create(kind, input, key);
      if (created) runner.start(job);
      return job;
    },
    view(job) {
      return { id: job.id, input: redact(job.input), status: job.status, output: redact(job.output), progress: job.progress };
    },
    async close() {
      await app.close();
      await runner.stopAll();
      store.close();
    },
  };

  const jobById = (id: string) => (/^\d+$/.test(id) ? store.get(Number(id)) : undefined);

  if (opts.routes) {
    opts.routes(app, service);
  } else {
    app.post<{ Body: Record<string, unknown> }>('/jobs', async (request, reply) => {
      const input = request.body ?? {};
      const problem = opts.validate(input);
      if (problem) return reply.code(400).send({ error: problem });
      const job = service.submit(opts.name, input, request.headers['idempotency-key'] as string | undefined);
      return reply.code(201).send({ job_id: job.id });
    });
    app.get<{ Params: { id: string }; Querystring: { format?: string } }>('/jobs/:id', async (request, reply) => {
      const job = jobById(request.params.id);
      if (!job) return reply.code(404).send({ error: `no job ${request.params.id}` });
      if (request.query.format === 'failures') return { msg: job.failure ? safe(job.failure) : '' };
      return service.view(job);
    });
    app.delete<{ Params: { id: string } }>('/jobs/:id', async (request, reply) => {
      const job = jobById(request.params.id);
      if (!job) return reply.code(404).send({ error: `no job ${request.params.id}` });
      await runner.kill(job.id);
      return reply.code(204).send();
    });
  }
  app.get('/jobs', async () => store.list().map((job) => service.view(job)));
  app.get('/health', async () => ({ status: 'ok', service: opts.name }));
  runner.resume();
  return service;
}
