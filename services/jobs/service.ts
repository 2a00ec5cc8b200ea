/**
 * What the four local job services share: a Fastify app with the hive-style job routes
 * (POST /jobs, GET /jobs/:id[?format=failures], DELETE /jobs/:id?kill=1, GET /jobs), a job store and a runner.
 * Hardened for hostile callers: bodies limited to BODY_LIMIT bytes and MAX_DEPTH levels, URIs and
 * lists bounded, every refusal a 4xx `{error}` (never a 500), and with a token every route wants
 * `Authorization: Bearer <token>` (401 otherwise). Without a token only requests whose Host header is
 * a loopback name or address (localhost, 127.x.x.x, [::1], any port) are answered (421 otherwise): a
 * web page that rebinds its own name to 127.0.0.1 cannot drive the open local services.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { hostOfHeader, isLoopbackHost } from '../../core/addresses';
import { InputError, printable } from '../db/names';
import { redact, safe } from '../db/uri';
import { callBack, callbackProblem } from './callback';
import { type JobWork, JobRunner, type RunnerOptions } from './runner';
import { type Sealer, stackSealer } from './secrets';
import { type JobRecord, JobStore } from './store';

export { redact } from '../db/uri';

/** Request bodies larger than this are refused with 413 (an 80 KB URI still gets its 400 from validation). */
export const BODY_LIMIT = 128 * 1024;
/** Nesting depth of a request body. */
export const MAX_DEPTH = 8;
/** Items in a list field (only_tables, hc_names, ...). */
export const MAX_LIST = 1000;
const MAX_KEY_LENGTH = 256;

export interface JobServiceOptions {
  name: string;
  dataDir: string;
  /** Says what is wrong with a submission (400), or nothing. May throw InputError (400 too). */
  validate(input: Record<string, unknown>): string | undefined | Promise<string | undefined>;
  work: JobWork;
  /** Services with their own submit/poll shapes (the event service) add routes here instead. */
  routes?: (app: FastifyInstance, service: JobService) => void;
  /** When set, every route wants `Authorization: Bearer <token>`; when not, only requests to a loopback Host are answered. */
  token?: string;
  /** Seals job inputs' passwords; default: the key file in dataDir. */
  sealer?: Sealer;
  /** Attempt limit and backoff of jobs resumed at start (see JobRunner). */
  runner?: RunnerOptions;
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

const depth = (value: unknown, limit: number): number => {
  if (!value || typeof value !== 'object') return 0;
  if (limit <= 0) return 1;
  let deepest = 0;
  for (const v of Object.values(value)) deepest = Math.max(deepest, depth(v, limit - 1));
  return deepest + 1;
};

/** What is wrong with a request body as a whole, or undefined: a JSON object, not too deep. */
export function bodyProblem(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the request body must be a JSON object';
  if (depth(body, MAX_DEPTH + 1) > MAX_DEPTH) return `the request body is nested more than ${MAX_DEPTH} levels deep`;
  return undefined;
}

/** What is wrong with an optional list of strings, or undefined. */
export function listProblem(
  input: Record<string, unknown>,
  field: string,
  each?: (item: string) => string | undefined,
): string | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return `${field} must be a list`;
  if (value.length > MAX_LIST) return `${field} has more than ${MAX_LIST} items`;
  for (const item of value) {
    if (typeof item !== 'string' || item.length > 256) return `${field} must be a list of short strings`;
    const problem = each?.(item);
    if (problem) return `${field}: ${problem}`;
  }
  return undefined;
}

/** The idempotency key of a request, or an InputError. */
export function idempotencyKey(header: unknown): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || header.length > MAX_KEY_LENGTH)
    throw new InputError(`Idempotency-Key must be one header of at most ${MAX_KEY_LENGTH} characters`);
  return header;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether a Host header names this machine's loopback: localhost, 127.x.x.x or [::1], with any port (or none). */
export function isLoopbackHostHeader(header: unknown): boolean {
  const host = hostOfHeader(header);
  return host !== undefined && isLoopbackHost(host);
}

export function createJobService(opts: JobServiceOptions): JobService {
  const store = new JobStore(path.join(opts.dataDir, `${opts.name}-jobs.sqlite`), opts.sealer ?? stackSealer({ dataDir: opts.dataDir }));
  // A job that ends calls back the URL its submission gave (best effort: the submitter polls anyway).
  const runner = new JobRunner(store, opts.work, { ...opts.runner, onEnd: (job) => void callBack(opts.name, job.input, job) });
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT });

  if (opts.token === undefined) {
    app.addHook('onRequest', async (request, reply) => {
      if (!isLoopbackHostHeader(request.headers.host)) {
        return reply.code(421).send({
          error:
            `this service answers only requests to localhost, ` +
            `127.0.0.1 or [::1] (Host: ${printable(String(request.headers.host ?? ''), 100)}); set LOCAL_STACK_TOKEN to serve others`,
        });
      }
    });
  } else {
    const expected = digest(opts.token);
    app.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization;
      const given = typeof header === 'string' ? /^Bearer +(\S{1,512})$/i.exec(header)?.[1] : undefined;
      // Constant time: both sides hashed to 32 bytes, compared with timingSafeEqual.
      if (!given || !timingSafeEqual(digest(given), expected)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'this service wants Authorization: Bearer <token>' });
      }
    });
  }

  // Ensembl's RestClient sends `Content-Type: application/json` on every request, bodiless DELETEs too.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new InputError('the request body is not valid JSON'), undefined);
    }
  });
  // Every error a request can cause is answered {error} with its 4xx code; anything else is ours (500, no details).
  app.setErrorHandler((err: Error & { statusCode?: number }, _request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) console.error(`${opts.name} service:`, err);
    return reply.code(status).send({ error: status === 500 ? 'internal error' : printable(safe(err.message), 500) });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${printable(request.url.split('?')[0], 100)}` }),
  );

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

  const jobById = (id: string) => (/^\d{1,15}$/.test(id) ? store.get(Number(id)) : undefined);

  if (opts.routes) {
    opts.routes(app, service);
  } else {
    app.post<{ Body: Record<string, unknown> }>('/jobs', async (request, reply) => {
      const input = request.body ?? {};
      const problem = bodyProblem(input) ?? callbackProblem(input.callback_url) ?? (await opts.validate(input));
      if (problem) return reply.code(400).send({ error: problem });
      const job = service.submit(opts.name, input, idempotencyKey(request.headers['idempotency-key']));
      return reply.code(201).send({ job_id: job.id });
    });
    app.get<{ Params: { id: string }; Querystring: { format?: string } }>('/jobs/:id', async (request, reply) => {
      const job = jobById(request.params.id);
      if (!job) return reply.code(404).send({ error: `no job ${printable(request.params.id)}` });
      if (request.query.format === 'failures') return { msg: job.failure ? safe(job.failure) : '' };
      return service.view(job);
    });
    app.delete<{ Params: { id: string } }>('/jobs/:id', async (request, reply) => {
      const job = jobById(request.params.id);
      if (!job) return reply.code(404).send({ error: `no job ${printable(request.params.id)}` });
      await runner.kill(job.id);
      return reply.code(204).send();
    });
  }
  app.get('/jobs', () => store.list().map((job) => service.view(job)));
  app.get('/health', () => ({ status: 'ok', service: opts.name }));
  runner.resume();
  return service;
}
