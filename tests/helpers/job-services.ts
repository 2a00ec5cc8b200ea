/**
 * Real HTTP servers playing the four job services of docs/ARCHITECTURE.md, scriptable per service: succeed, fail,
 * find problems, be slow, be down for a while, hang on a submission, hold chosen jobs at a point until
 * release() (fault injection). They echo URIs (with passwords) back in outputs and failure messages, as
 * real services do, so redaction is tested for real.
 */
import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ServiceName } from '../../vocabulary';

export interface ServiceScript {
  /** How the job ends. 'problems' (healthcheck only): complete, with output.status "failed". */
  outcome: 'complete' | 'failed' | 'problems';
  /** Polls answered "running" before the job ends. */
  runningPolls: number;
  /** While true, every request gets a 503. */
  down: boolean;
  /** Milliseconds to hold the response to the first submission (the job is created first). */
  hangFirstSubmitMs: number;
  /** Milliseconds every status poll takes to answer (a slow service: the polling activity is mid-request meanwhile). */
  pollDelayMs: number;
  failureMessage: string;
  events: Array<{ type: string; genome: string }>;
  /** Per-job outcome, from the submitted input (overrides `outcome` when it answers). */
  outcomeFor?: (input: Record<string, unknown>) => ServiceScript['outcome'] | undefined;
  /**
   * Holds a new job (asked once, when it is created; its key and input are set) at a point until release():
   * 'submit': the job is created, and every answer to its submission waits (the submitter is mid-request);
   * 'wait': every poll answers "running" (not counted against `runningPolls`). Undefined: not held.
   */
  holdFor?: (job: Job) => HoldPoint | undefined;
  /**
   * What the service answers instead (a service of another shape, or a hostile one): given the answer it would
   * send, returns the one it sends. A string is sent as the body itself (JSON or not). Undefined: answered as is.
   */
  answer?: (kind: AnswerKind, answer: Record<string, unknown>, job: Job) => unknown;
}

/** The answers a script may rewrite: to a submission, to a poll of the job's state, to `?format=failures`. */
export type AnswerKind = 'submit' | 'poll' | 'failures';

/** Where a held job stops: its submission unanswered, or its polls answered "running". */
export type HoldPoint = 'submit' | 'wait';

export interface Job {
  service: ServiceName;
  id: string;
  key?: string;
  input: Record<string, unknown>;
  pollsLeft: number;
  outcome: ServiceScript['outcome'];
  killed: boolean;
  /** Polls of its status answered (failure messages not counted). */
  polls: number;
  /** Where it is held (ServiceScript.holdFor), until release(). */
  hold?: HoldPoint;
  /** Held: submissions waiting for an answer whose client is still connected. */
  openSubmissions: number;
  /** Held: polls answered "running" because of the hold. */
  heldPolls: number;
}

const defaults = (): ServiceScript => ({
  outcome: 'complete',
  runningPolls: 1,
  down: false,
  hangFirstSubmitMs: 0,
  pollDelayMs: 0,
  failureMessage: 'it broke',
  events: [{ type: 'new_assembly', genome: 'homo_sapiens' }],
});

export class FakeJobServices {
  readonly scripts: Record<ServiceName, ServiceScript> = {
    healthcheck: defaults(),
    copy: defaults(),
    metadata: defaults(),
    event: defaults(),
  };
  readonly jobs: Job[] = [];
  /** Every POST, including ones answered with an existing job. */
  readonly submissions: Array<{ service: ServiceName; key?: string }> = [];
  readonly kills: Array<{ service: ServiceName; id: string }> = [];
  /** Every GET /health (a readiness probe), and every GET /jobs (a job list, which a probe must not ask for). */
  readonly healthProbes: ServiceName[] = [];
  readonly jobLists: ServiceName[] = [];
  private app?: FastifyInstance;
  private base = '';
  private nextId = 1;
  /** Submissions held at 'submit', each resolved by release(). */
  private readonly waiting = new Set<() => void>();

  url(service: ServiceName): string {
    return `${this.base}/${service}`;
  }

  urls(): Record<ServiceName, string> {
    return { healthcheck: this.url('healthcheck'), copy: this.url('copy'), metadata: this.url('metadata'), event: this.url('event') };
  }

  jobsOf(service: ServiceName): Job[] {
    return this.jobs.filter((j) => j.service === service);
  }

  reset(): void {
    for (const s of Object.keys(this.scripts) as ServiceName[]) this.scripts[s] = defaults();
  }

  /** The jobs held now (ServiceScript.holdFor). */
  held(): Job[] {
    return this.jobs.filter((j) => j.hold);
  }

  /** Lets every held job go: waiting submissions are answered, polls follow the script again. Jobs created later are asked holdFor anew. */
  release(): void {
    for (const job of this.jobs) job.hold = undefined;
    for (const resolve of this.waiting) resolve();
    this.waiting.clear();
  }

  async start(): Promise<void> {
    const app = Fastify();
    const isDown = (service: ServiceName) => this.scripts[service]?.down;

    app.addHook('onRequest', async (request, reply) => {
      const service = request.url.split('/')[1] as ServiceName;
      if (isDown(service)) return reply.code(503).send({ error: `${service} is down` });
    });

    app.post<{ Params: { service: ServiceName }; Body: Record<string, unknown> }>('/:service/jobs', async (request, reply) => {
      const { service } = request.params;
      const script = this.scripts[service];
      const key = request.headers['idempotency-key'] as string | undefined;
      this.submissions.push({ service, key });
      let job = key ? this.jobs.find((j) => j.service === service && j.key === key) : undefined;
      const firstTime = !job;
      if (!job) {
        const outcome = script.outcomeFor?.(request.body) ?? script.outcome;
        job = {
          service,
          id: String(this.nextId++),
          key,
          input: request.body,
          pollsLeft: script.runningPolls,
          outcome,
          killed: false,
          polls: 0,
          openSubmissions: 0,
          heldPolls: 0,
        };
        job.hold = script.holdFor?.(job);
        this.jobs.push(job);
      }
      if (firstTime && script.hangFirstSubmitMs) await new Promise((r) => setTimeout(r, script.hangFirstSubmitMs));
      if (job.hold === 'submit') await this.holdSubmission(job, reply.raw);
      if (service === 'event') {
        return this.send(reply.code(200), service, 'submit', { event: request.body, processes: [{ process: 'dump', job: job.id }] }, job);
      }
      return this.send(reply.code(201), service, 'submit', { job_id: job.id }, job);
    });

    const poll = (service: ServiceName, id: string, format?: string) => {
      const job = this.jobs.find((j) => j.service === service && j.id === id);
      if (!job) return undefined;
      const answer = pollAnswer(job, format);
      return answer && { job, kind: (format === 'failures' ? 'failures' : 'poll') as AnswerKind, answer };
    };
    const pollAnswer = (job: Job, format?: string): Record<string, unknown> => {
      if (format === 'failures') return { msg: this.failureMessage(job) };
      job.polls++;
      if (job.killed) return { id: job.id, input: job.input, status: 'failed' };
      if (job.hold === 'wait') {
        job.heldPolls++;
        return { id: job.id, input: job.input, status: 'running', progress: { complete: 1, total: 3 } };
      }
      if (job.pollsLeft-- > 0) return { id: job.id, input: job.input, status: 'running', progress: { complete: 1, total: 3 } };
      if (job.outcome === 'failed') return { id: job.id, input: job.input, status: 'failed' };
      return { id: job.id, input: job.input, status: 'complete', output: this.output(job) };
    };

    app.get<{ Params: { service: ServiceName; id: string }; Querystring: { format?: string } }>(
      '/:service/jobs/:id',
      async (request, reply) => {
        const delay = request.query.format === 'failures' ? 0 : (this.scripts[request.params.service]?.pollDelayMs ?? 0);
        if (delay) await new Promise((r) => setTimeout(r, delay));
        const found = poll(request.params.service, request.params.id, request.query.format);
        return found
          ? this.send(reply, request.params.service, found.kind, found.answer, found.job)
          : reply.code(404).send({ error: 'no such job' });
      },
    );
    app.get<{ Params: { process: string; id: string } }>('/event/jobs/:process/:id', async (request, reply) => {
      const found = poll('event', request.params.id);
      return found ? this.send(reply, 'event', found.kind, found.answer, found.job) : reply.code(404).send({ error: 'no such job' });
    });

    app.get<{ Params: { service: ServiceName } }>('/:service/health', (request, reply) => {
      this.healthProbes.push(request.params.service);
      void reply.send({ status: 'ok' });
    });
    app.get<{ Params: { service: ServiceName } }>('/:service/jobs', (request, reply) => {
      this.jobLists.push(request.params.service);
      void reply.send(this.jobsOf(request.params.service).map((j) => ({ id: j.id, input: j.input, status: 'running' })));
    });

    const kill = (service: ServiceName, id: string) => {
      const job = this.jobs.find((j) => j.service === service && j.id === id);
      if (!job) return false;
      job.killed = true;
      this.kills.push({ service, id });
      return true;
    };
    app.delete<{ Params: { service: ServiceName; id: string } }>('/:service/jobs/:id', async (request, reply) =>
      reply.code(kill(request.params.service, request.params.id) ? 204 : 404).send(),
    );
    app.delete<{ Params: { process: string; id: string } }>('/event/jobs/:process/:id', async (request, reply) =>
      reply.code(kill('event', request.params.id) ? 204 : 404).send(),
    );

    this.base = await app.listen({ host: '127.0.0.1', port: 0 });
    this.app = app;
  }

  async stop(): Promise<void> {
    this.release(); // a held submission would keep the server from closing
    await this.app?.close();
  }

  /** Sends an answer, as the service's script rewrites it (ServiceScript.answer). */
  private send(reply: FastifyReply, service: ServiceName, kind: AnswerKind, answer: Record<string, unknown>, job: Job): FastifyReply {
    const rewrite = this.scripts[service].answer;
    const sent = rewrite ? rewrite(kind, answer, job) : answer;
    return typeof sent === 'string' ? reply.type('application/json').send(sent) : reply.send(sent);
  }

  /** Keeps a submission of a held job unanswered until release(); counts it open while its client is connected. */
  private async holdSubmission(job: Job, response: ServerResponse): Promise<void> {
    job.openSubmissions++;
    let open = true;
    const closed = () => {
      if (open) job.openSubmissions--;
      open = false;
    };
    response.once('close', closed); // the client gave up (its request timeout) or died
    await new Promise<void>((resolve) => this.waiting.add(resolve));
    closed();
  }

  private failureMessage(job: Job): string {
    // The services' database fields are URIs (strings); each service names its own.
    const input = job.input as Record<string, string | undefined>;
    const uri = input.db_uri ?? input.source_db_uri ?? input.database_uri;
    return `${this.scripts[job.service].failureMessage} (while working on ${uri})`;
  }

  private output(job: Job): unknown {
    const input = job.input as Record<string, string>;
    switch (job.service) {
      case 'healthcheck': {
        const problems = job.outcome === 'problems';
        return {
          db_name: 'db',
          db_uri: input.db_uri,
          status: problems ? 'failed' : 'passed',
          results: {
            MetaKeys: problems
              ? { status: 'failed', messages: ['meta key species.production_name is missing', `checked ${input.db_uri}`] }
              : { status: 'passed', messages: [] },
            ForeignKeys: { status: 'passed', messages: [] },
          },
        };
      }
      case 'copy':
        return { source_db_uri: input.source_db_uri, target_db_uri: input.target_db_uri, runtime: '2 seconds' };
      case 'metadata':
        return {
          database_uri: input.database_uri,
          runtime: '1 second',
          events: this.scripts.metadata.events.map((e) => ({
            ...e,
            source: 'Handover',
            details: { email: input.email, comment: input.comment, current_database_list: [] },
          })),
        };
      default:
        return { files: 3 };
    }
  }
}
