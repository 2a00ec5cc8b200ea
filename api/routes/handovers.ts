/** /handovers: submit, read, list and cancel handovers. */
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { handoverSpecSchema } from '../../common/spec';
import { RESTARTABLE_STEPS } from '../../vocabulary';
import type { HandoverService } from '../handovers';
import {
  admissionAnswer,
  batchAnswer,
  batchSubmittedAnswer,
  common,
  errorResponses,
  listFilters,
  progressAnswer,
  reportListAnswer,
  restartedAnswer,
  rowListAnswer,
  submittedAnswer,
} from '../schemas';

/** The characters an ID in a path may have (a handover's token, a batch's ID). */
const pathId = (message: string) => z.string().regex(/^[^\s'"\\]{1,300}$/, message);
/** The path parameters of a handover's routes: its token (the handover's ID, and nothing else is called a token). */
export const tokenParams = z.object({ token: pathId('is not a handover token') });
/** The path parameters of a batch's route: its ID (`batch-<uuid>`, the batch workflow's ID; not a token). */
const batchParams = z.object({ batch_id: pathId('is not a batch ID') });

export const handoverRoutes =
  (
    handovers: HandoverService,
    opts: { publicUrl: string; updateTypes: readonly string[]; contactDomains?: readonly string[] },
  ): FastifyPluginCallbackZod =>
  (app, _opts, done) => {
    const { publicUrl } = opts;
    const spec = handoverSpecSchema(opts.updateTypes, { contactDomains: opts.contactDomains });
    app.post(
      '/handovers',
      {
        config: { role: 'submit' },
        schema: {
          summary: 'Submit a handover',
          body: spec,
          response: { 201: submittedAnswer, ...errorResponses(400, 403, 409, 413, 415, 422, ...common) },
        },
      },
      async (request, reply) => {
        const submitted = await handovers.submit(request.body, request.caller);
        return reply.code(201).send({ token: submitted, status_url: `${publicUrl}/handovers/${submitted}` });
      },
    );

    app.get(
      '/handovers',
      {
        config: { role: 'read' },
        schema: {
          summary: 'List handovers, newest first',
          querystring: listFilters,
          response: { 200: rowListAnswer, ...errorResponses(400, 403, ...common) },
        },
      },
      async (request) => ({ handovers: await handovers.list(request.query) }),
    );

    app.get(
      '/handovers/:token',
      {
        config: { role: 'read' },
        schema: {
          summary: "A handover's progress: status, step, timeline",
          params: tokenParams,
          response: { 200: progressAnswer, ...errorResponses(400, 403, 404, ...common) },
        },
      },
      async (request) => handovers.progress(request.params.token),
    );

    app.get(
      '/handovers/:token/reports',
      {
        config: { role: 'read' },
        schema: {
          summary: "A handover's step reports (Ensembl's report shape), oldest first",
          params: tokenParams,
          response: { 200: reportListAnswer, ...errorResponses(400, 403, 404, ...common) },
        },
      },
      async (request) => ({ reports: await handovers.reports(request.params.token) }),
    );

    app.post(
      '/handovers/:token/cancel',
      {
        // The service lets a submit key cancel only its own handovers (mayActOn).
        config: { role: 'submit' },
        schema: {
          summary: 'Cancel a running handover (its running job is killed, the submitter emailed)',
          params: tokenParams,
          body: z
            .object({ by: z.string().max(200).optional(), reason: z.string().max(2000).optional() })
            .strict()
            .nullish(),
          response: {
            202: z.object({ token: z.string(), status: z.literal('cancelling') }),
            ...errorResponses(400, 403, 404, 409, 415, ...common),
          },
        },
      },
      async (request, reply) => {
        await handovers.cancel(request.params.token, { by: request.body?.by ?? 'api', reason: request.body?.reason }, request.caller);
        return reply.code(202).send({ token: request.params.token, status: 'cancelling' });
      },
    );

    app.post(
      '/handovers/:token/restart',
      {
        config: { role: 'submit' },
        schema: {
          summary: 'Restart a failed or cancelled handover from a step, without repeating the steps that passed',
          params: tokenParams,
          body: z
            .object({ from: z.enum(RESTARTABLE_STEPS).optional() })
            .strict()
            .nullish(),
          response: { 201: restartedAnswer, ...errorResponses(400, 403, 404, 409, 415, ...common) },
        },
      },
      async (request, reply) => {
        const restarted = await handovers.restart(request.params.token, request.body?.from ?? undefined, request.caller);
        return reply
          .code(201)
          .send({ token: restarted, status_url: `${publicUrl}/handovers/${restarted}`, restarted_from: request.params.token });
      },
    );

    app.post(
      '/batches',
      {
        config: { role: 'submit' },
        schema: {
          summary: 'Submit many databases at once: one handover each, one summary email when all have ended',
          body: z
            .object({
              contact: spec.shape.contact.describe('Who gets the summary (and, unless an item says otherwise, each email)'),
              handovers: z
                .array(spec.partial({ contact: true }))
                .min(1, 'must list at least one database')
                .max(500),
            })
            .strict(),
          response: { 201: batchSubmittedAnswer, ...errorResponses(400, 403, 409, 413, 415, 422, ...common) },
        },
      },
      async (request, reply) => {
        const { contact, handovers: items } = request.body;
        const { batchId, tokens } = await handovers.submitBatch(
          contact,
          items.map((item) => ({ ...item, contact: item.contact ?? contact })),
          request.caller,
        );
        return reply.code(201).send({ batch_id: batchId, status_url: `${publicUrl}/batches/${batchId}`, tokens });
      },
    );

    app.get(
      '/batches/:batch_id',
      {
        config: { role: 'read' },
        schema: {
          summary: "A batch's handovers and their counts by status",
          params: batchParams,
          response: { 200: batchAnswer, ...errorResponses(400, 403, 404, ...common) },
        },
      },
      async (request) => handovers.batch(request.params.batch_id),
    );

    app.get(
      '/admission',
      {
        config: { role: 'read' },
        schema: {
          summary: 'Is handover open, for which types and release?',
          response: { 200: admissionAnswer, ...errorResponses(403, 401, 429) },
        },
      },
      () => handovers.admission(),
    );
    done();
  };
