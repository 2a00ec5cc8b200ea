/**
 * What the API publishes: the shapes of its answers, for its clients (the CLI, scripts, tests, the pages'
 * api/web/types.d.ts). A client imports these and nothing else of the server.
 *
 * Each shape is declared once, as the zod schema the route answers with (api/schemas.ts,
 * vocabulary/answers.ts); its type here is that schema's `z.infer`. Imported and exported as types
 * only, so they are erased: a client loads neither zod nor the schemas (tests/unit/published-types.test.ts).
 */
import type { z } from 'zod';
import type {
  admissionAnswer,
  batchAnswer,
  batchSubmittedAnswer,
  errorAnswer,
  listFilters,
  progressAnswer,
  reportAnswer,
  reportListAnswer,
  restartedAnswer,
  rowAnswer,
  rowListAnswer,
  submittedAnswer,
  vocabularyAnswer,
} from './schemas';

// (From the vocabulary's plain modules: a client loads no Temporal code.)
export type { BatchItemStatus, HandoverStatus, RestartableStep } from '../vocabulary/names';
export type { JobProgress } from '../vocabulary/shapes';
export { BATCH_ITEM_STATUSES, HANDOVER_STATUSES, RESTARTABLE_STEPS } from '../vocabulary/names';
export { cancelledSentence } from '../vocabulary/format';

/** GET /handovers/{token}: status, step, timeline (and while a job runs, its progress). */
export type HandoverProgress = z.infer<typeof progressAnswer>;
/** One of a handover's step reports (GET /handovers/{token}/reports). */
export type HandoverReport = z.infer<typeof reportAnswer>;
/** GET /handovers/{token}/reports. */
export type ReportList = z.infer<typeof reportListAnswer>;
/** GET /batches/{batch_id}. */
export type BatchProgress = z.infer<typeof batchAnswer>;
/** One row of `GET /handovers`. */
export type HandoverRow = z.infer<typeof rowAnswer>;
/** GET /handovers. */
export type HandoverList = z.infer<typeof rowListAnswer>;
/** The filters of `GET /handovers` (after defaults: `limit` is always there). */
export type ListFilters = z.output<typeof listFilters>;
/** POST /handovers. */
export type Submitted = z.infer<typeof submittedAnswer>;
/** POST /handovers/{token}/restart. */
export type Restarted = z.infer<typeof restartedAnswer>;
/** POST /batches. */
export type BatchSubmitted = z.infer<typeof batchSubmittedAnswer>;
/** GET /admission. */
export type Admission = z.infer<typeof admissionAnswer>;
/** GET /vocabulary: the lists a client chooses from. */
export type Vocabulary = z.infer<typeof vocabularyAnswer>;
/** Every refusal (4xx/5xx): `{error}`, with the fields to blame, the token it concerns or the status that stopped it. */
export type ErrorAnswer = z.infer<typeof errorAnswer>;
