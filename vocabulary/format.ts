/**
 * The sentences Handover says, pure: step reports in Ensembl's wording (so their report consumers,
 * and scripts matching "successful" or "failed", keep working), status lines for lists, who
 * cancelled. Used by the workflow (reports), the API (Ensembl's rows), the emails and the CLI.
 */
import type { CurrentStep, HandoverStatus, Outcome, Step } from './names';
import type { CancelRequest, HandoverFailure, HandoverInput } from './shapes';

const BEGUN: Record<Step, string> = {
  checking: 'Checking the source database',
  healthcheck: 'Healthchecks in progress',
  copy: 'Copying in progress',
  metadata: 'Loading into metadata database',
  event: 'Submitting events for further processing',
};

const PASSED: Record<Step, string> = {
  checking: 'Source database found',
  healthcheck: 'Healthchecks successful, starting copy',
  copy: 'Copying complete, submitting metadata job',
  metadata: 'Metadata load complete, submitting events',
  event: 'Events submitted',
};

export const beginMessage = (step: Step) => BEGUN[step];

export function endMessage(step: Step, outcome: Outcome, detail?: string): string {
  const why = detail ? `: ${detail}` : '';
  switch (outcome) {
    case 'passed':
      return PASSED[step];
    case 'skipped':
      return `${BEGUN[step].replace(/ in progress$/, '')} skipped${why}`;
    case 'problems':
      return `Healthchecks found problems, Handover failed${why}`;
    case 'cancelled':
      return `The ${step} step was cancelled${why}`;
    default:
      return `The ${step} step ${outcome === 'timed out' ? 'timed out' : 'failed'}, Handover failed${why}`;
  }
}

export function finishMessage(
  status: Exclude<HandoverStatus, 'running'>,
  input: Pick<HandoverInput, 'database' | 'spec'>,
  failure?: HandoverFailure,
  cancelled?: CancelRequest,
): string {
  switch (status) {
    case 'completed':
      return `Handover successful: ${input.database} is on staging at ${input.spec.tgt_uri}`;
    case 'cancelled':
      return `Handover failed, ${cancelledSentence(cancelled)}`;
    case 'rejected':
      return `Handover failed, refused: ${failure?.reason ?? 'by the admission rules'}`;
    default:
      return `Handover failed at the ${failure?.step ?? 'checking'} step: ${failure?.reason ?? 'unknown error'}`;
  }
}

/** The last message a list row can show without asking the workflow (status and step only). */
export function statusMessage(status: HandoverStatus, step: CurrentStep): string {
  switch (status) {
    case 'running':
      return step === 'done' ? 'Finishing' : BEGUN[step];
    case 'completed':
      return 'Handover successful';
    case 'cancelled':
      return 'Handover failed, cancelled';
    case 'rejected':
      return 'Handover failed, refused by the admission rules';
    default:
      return `Handover failed at the ${step} step`;
  }
}

/** Ensembl's report time: UTC, milliseconds, no zone (their clients parse it with %Y-%m-%dT%H:%M:%S.%f). */
export const reportTime = (date: Date) => date.toISOString().slice(0, 23);

/** "cancelled by alice: wrong file", "cancelled by alice", "cancelled": said the same way everywhere. */
export function cancelledSentence(cancelled?: CancelRequest, word = 'cancelled'): string {
  return `${word}${cancelled?.by ? ` by ${cancelled.by}` : ''}${cancelled?.reason ? `: ${cancelled.reason}` : ''}`;
}
