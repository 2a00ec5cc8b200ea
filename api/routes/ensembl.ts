/**
 * Ensembl's handover routes and shapes (their G3 service), so teams moving over keep their Python
 * client (ensembl-prodinf-core's HandoverClient) and scripts unchanged:
 *   POST /jobs {src_uri, contact, comment, source?, tgt_uri?}  -> the token, as a bare JSON string
 *   GET  /jobs[?release=N]                                     -> rows: handover_token, src_uri, contact, comment, current_message,
 *                                                                 report_time
 *   GET  /jobs/{token}                                         -> [one row: ... message, progress_complete, progress_total]
 * Ensembl's clients send no `type` (the kind of update): such a handover is recorded as `other`.
 */
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseEnsemblName } from '../../common/admission';
import { handoverSpecSchema } from '../../common/spec';
import { reportTime, statusMessage } from '../../vocabulary';
import type { HandoverService } from '../handovers';
import { common, refusals } from '../schemas';
import { token as tokenParams } from './handovers';

export const ensemblRoutes =
  (handovers: HandoverService, opts: { updateTypes: readonly string[]; contactDomains?: readonly string[] }): FastifyPluginCallbackZod =>
  (app, _opts, done) => {
    const tags = ['Ensembl compatibility'];
    const spec = handoverSpecSchema(opts.updateTypes, { contactDomains: opts.contactDomains });
    const ensemblSpecSchema = spec.extend({ type: spec.shape.type.optional() });

    const row = z.object({
      id: z.string(),
      handover_token: z.string(),
      src_uri: z.string(),
      contact: z.string(),
      comment: z.string(),
      message: z.string(),
      report_time: z.string(),
    });
    app.post(
      '/jobs',
      {
        config: { role: 'submit' },
        schema: {
          summary: "Submit a handover, Ensembl's way: returns the token as a JSON string",
          tags,
          body: ensemblSpecSchema,
          response: { 200: z.string().describe('The token'), ...refusals(400, 403, 409, 413, 415, 422, ...common) },
        },
      },
      async (request, reply) => {
        const token = await handovers.submit({ ...request.body, type: request.body.type ?? 'other' }, request.caller);
        return reply.type('application/json').send(JSON.stringify(token));
      },
    );

    app.get(
      '/jobs',
      {
        config: { role: 'read' },
        schema: {
          summary: "Handovers as Ensembl's service listed them, newest first",
          tags,
          querystring: z.object({ release: z.coerce.number().int().positive().optional(), format: z.string().optional() }),
          response: { 200: z.array(row.extend({ current_message: z.string() })), ...refusals(400, 403, ...common) },
        },
      },
      async (request) => {
        const rows = await handovers.list({ limit: 1000 });
        const now = reportTime(new Date());
        return rows
          .filter((row) => !request.query.release || parseEnsemblName(row.database ?? '')?.release === request.query.release)
          .map((row) => {
            const message = statusMessage((row.status ?? 'running') as never, (row.step ?? 'checking') as never);
            return {
              id: row.token,
              handover_token: row.token,
              // Ensembl's clients index every field: none may be missing, even on a row Temporal knows little of.
              src_uri: row.src_uri ?? '',
              contact: row.contact ?? '',
              comment: row.comment ?? '',
              message,
              current_message: message,
              report_time: row.ended_at ? reportTime(new Date(row.ended_at)) : now,
              handover_submission_time: row.submitted_at ? reportTime(new Date(row.submitted_at)) : undefined,
            };
          });
      },
    );

    app.get(
      '/jobs/:token',
      {
        config: { role: 'read' },
        schema: {
          summary: "One handover as Ensembl's service showed it (a list of one)",
          tags,
          params: tokenParams,
          response: {
            200: z.array(row.extend({ tgt_uri: z.string(), progress_complete: z.number(), progress_total: z.number() })),
            ...refusals(400, 403, 404, ...common),
          },
        },
      },
      async (request) => {
        const { token } = request.params;
        const [progress, reports] = await Promise.all([handovers.progress(token), handovers.reports(token)]);
        const last = reports.at(-1);
        return [
          {
            id: token,
            handover_token: token,
            src_uri: progress.spec.src_uri,
            tgt_uri: progress.spec.tgt_uri,
            contact: progress.spec.contact,
            comment: progress.spec.comment,
            message: last?.message ?? statusMessage(progress.status, progress.step),
            progress_complete: progress.progress.complete,
            progress_total: progress.progress.total,
            report_time: last?.report_time ?? reportTime(new Date(progress.ended_at ?? progress.submitted_at)),
            ...(progress.job_progress ? { job_progress: progress.job_progress } : {}),
          },
        ];
      },
    );
    done();
  };
