/**
 * Submissions refused by the admission rules, kept in one workflow rather than one workflow each: a
 * burst of refused submissions costs a signal apiece, not a workflow apiece. The API signals it (with
 * signal-with-start) and reads it with the `refusals` query; the list and `GET /handovers/{token}`
 * show its entries as `rejected` handovers. It keeps the newest entries and continues as new before
 * its history grows long.
 */
import { condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { type Refusal, recordRefusalsSignal, refusalsQuery } from '../vocabulary';

/**
 * The newest refusals kept (older ones drop off, as a log rotates). Each is under 1 KB (the API clips
 * its fields), so the log stays well inside Temporal's payload limits (continue-as-new input, query answer).
 */
export const REFUSALS_KEPT = 1000;
/** Signals taken in one run before it continues as new (each is a history event). */
const SIGNALS_PER_RUN = 1000;

export async function refusalsWorkflow(kept: Refusal[] = []): Promise<void> {
  const refusals = [...kept];
  let taken = 0;
  setHandler(recordRefusalsSignal, (batch) => {
    for (const refusal of batch) {
      if (refusals.some((r) => r.token === refusal.token)) continue; // a retried signal
      refusals.push(refusal);
    }
    if (refusals.length > REFUSALS_KEPT) refusals.splice(0, refusals.length - REFUSALS_KEPT);
    taken++;
  });
  setHandler(refusalsQuery, () => refusals);
  await condition(() => taken >= SIGNALS_PER_RUN || workflowInfo().continueAsNewSuggested);
  await continueAsNew<typeof refusalsWorkflow>(refusals);
}
