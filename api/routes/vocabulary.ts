/**
 * GET /vocabulary: the lists a client chooses from (the web pages' selects, scripts), from the shared
 * vocabulary (vocabulary/names.ts) and the update types in force (HANDOVER_UPDATE_TYPES), so no page
 * keeps a copy of its own.
 */
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { BATCH_ITEM_STATUSES, DATABASE_TYPES, HANDOVER_STATUSES, OUTCOMES, RESTARTABLE_STEPS, STEPS } from '../../vocabulary';
import { vocabularyAnswer } from '../schemas';

export const vocabularyRoutes =
  (opts: { updateTypes: readonly string[] }): FastifyPluginCallbackZod =>
  (app, _opts, done) => {
    const vocabulary: z.infer<typeof vocabularyAnswer> = {
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
        schema: {
          summary: 'The lists to choose from: steps, restartable steps, statuses, update types, database types, outcomes',
          response: { 200: vocabularyAnswer },
        },
      },
      () => vocabulary,
    );
    done();
  };
