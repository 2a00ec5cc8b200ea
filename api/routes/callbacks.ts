/**
 * POST /callbacks/{token}/{step}?sig=…: a job service saying the step's job has ended (common/callbacks.ts).
 * The signature is the credential (services hold no API key); the answer only makes Temporal run the step's
 * waiting poll now, which reads the job's real state. Nothing in the body is trusted or kept.
 */
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { WAITING_STEPS, validCallback } from '../../common/callbacks';
import { CallbackRefused } from '../errors';
import type { HandoverService } from '../handovers';
import { common, errorResponses } from '../schemas';
import { tokenParams } from './handovers';

export const callbackRoutes =
  (handovers: HandoverService, opts: { secretKey: string }): FastifyPluginCallbackZod =>
  (app, _opts, done) => {
    app.post(
      '/callbacks/:token/:step',
      {
        // Services hold no API key: the signature, checked below, is the credential.
        config: { role: 'public' },
        schema: {
          summary: "A job service's completion callback: the step's poll runs at once (polling stays the fallback)",
          params: tokenParams.extend({ step: z.enum(WAITING_STEPS) }),
          querystring: z.object({ sig: z.string().max(100) }),
          body: z
            .looseObject({ job_id: z.union([z.string().max(100), z.number()]).optional(), status: z.string().max(50).optional() })
            .nullish(),
          response: {
            202: z.object({
              polled: z
                .boolean()
                .describe("Whether the step's poll was waiting and now runs (false: the step is not waiting, or the handover has ended)"),
            }),
            ...errorResponses(400, 403, 415, ...common),
          },
        },
      },
      async (request, reply) => {
        const { token, step } = request.params;
        if (!validCallback(opts.secretKey, token, step, request.query.sig)) throw new CallbackRefused();
        return reply.code(202).send({ polled: await handovers.pollNow(token, step) });
      },
    );
    done();
  };
