/**
 * GET /vocabulary: the lists a client chooses from (the web pages' selects, scripts), from the shared
 * vocabulary (vocabulary/names.ts) and the update types in force (HANDOVER_UPDATE_TYPES), so no page
 * keeps a copy of its own.
 */
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BATCH_ITEM_STATUSES, DATABASE_TYPES, HANDOVER_STATUSES, OUTCOMES, RESTARTABLE_STEPS, STEPS } from '../../vocabulary';

export const vocabularySchema = z.object({
  steps: z.array(z.enum(STEPS)).describe("A handover's steps, in the order they run (the timeline's `step`)"),
  restartable_steps: z.array(z.enum(RESTARTABLE_STEPS)).describe('The steps a failed or cancelled handover can be restarted from (`from` of POST /handovers/{token}/restart)'),
  statuses: z.array(z.enum(HANDOVER_STATUSES)).describe("A handover's statuses (the `status` filter of GET /handovers)"),
  batch_item_statuses: z.array(z.enum(BATCH_ITEM_STATUSES)).describe("A batch item's statuses (GET /batches/{id})"),
  update_types: z.array(z.string()).describe("The update types in force: a submission's `type` (HANDOVER_UPDATE_TYPES)"),
  database_types: z.array(z.enum(DATABASE_TYPES)).describe('The database types a database name can give (the `type` filter of GET /handovers)'),
  outcomes: z.array(z.enum(OUTCOMES)).describe('How a step ended, on the timeline'),
});

export const vocabularyRoutes =
  (opts: { updateTypes: readonly string[] }): FastifyPluginCallbackZod =>
  (app, _opts, done) => {
    const vocabulary: z.infer<typeof vocabularySchema> = {
      steps: [...STEPS],
      restartable_steps: [...RESTARTABLE_STEPS],
      statuses: [...HANDOVER_STATUSES],
      batch_item_statuses: [...BATCH_ITEM_STATUSES],
      update_types: [...opts.updateTypes],
      database_types: [...DATABASE_TYPES],
      outcomes: [...OUTCOMES],
    };
    app.get(
      '/vocabulary',
      {
        config: { role: 'read' },
        schema: { summary: 'The lists to choose from: steps, restartable steps, statuses, update types, database types, outcomes', response: { 200: vocabularySchema } },
      },
      () => vocabulary,
    );
    done();
  };
