/**
 * Step transitions as structured reports, in Ensembl's report shape and wording (so their report
 * consumers, and scripts matching "successful" or "failed", keep working). Reports are queued in
 * order and sent by one loop through a local activity that logs them as JSON and publishes them to
 * AMQP (all that are queued at once: a step's end and the next step's start share one); the workflow
 * keeps what was sent, for the `reports` query.
 */
import { CancellationScope, condition, log, proxyLocalActivities } from '@temporalio/workflow';
import { patchedBeforeFlow2 } from './flow';
import {
  type CurrentStep,
  type HandoverActivities,
  type HandoverInput,
  type HandoverReport,
  type HandoverStatus,
  handoverTypes,
  reportTypes,
  reportTime,
} from '../vocabulary';

/** The patch that sends the queued reports in one local activity (publishReports). */
export const BATCHED_REPORTS = 'batched-reports';

const reporting = proxyLocalActivities<HandoverActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumAttempts: 4 },
});

export class Reporter {
  private readonly sent: HandoverReport[] = [];
  private readonly queue: HandoverReport[] = [];

  /** `enabled` is false when replaying histories recorded before reports existed. */
  constructor(
    private readonly input: HandoverInput,
    private readonly enabled: boolean,
  ) {
    // Not cancellable: a cancelled handover still reports how it ended.
    if (enabled) void CancellationScope.nonCancellable(() => this.sendInOrder());
  }

  /** `ended`: on a step's end report, its outcome and when it started (params `outcome`, `step_started_at`). */
  add(
    report_type: HandoverReport['report_type'],
    message: string,
    state: { step: CurrentStep; status: HandoverStatus; complete: number; total: number },
    ended?: { outcome: string; step_started_at: string },
  ): void {
    if (!this.enabled) return;
    const { spec, token, database, restart } = this.input;
    this.queue.push({
      report_type,
      process: 'handover',
      resource: state.step === 'metadata' || state.step === 'event' || state.step === 'done' ? spec.tgt_uri : spec.src_uri,
      params: {
        handover_token: token,
        database,
        src_uri: spec.src_uri,
        tgt_uri: spec.tgt_uri,
        contact: spec.contact,
        comment: spec.comment,
        // (`type` as Ensembl's reports carry it: the kind of update.)
        ...reportTypes(handoverTypes(this.input)),
        source: spec.source,
        restarted_from: restart?.token,
        step: state.step,
        status: state.status,
        progress_complete: state.complete,
        progress_total: state.total,
        ...ended,
      },
      report_time: reportTime(new Date()),
      message,
    });
  }

  all(): HandoverReport[] {
    return [...this.sent, ...this.queue];
  }

  /** Resolves once every report made so far has been sent (call before the workflow ends). */
  async allSent(): Promise<void> {
    await CancellationScope.nonCancellable(() => condition(() => this.queue.length === 0));
  }

  private async sendInOrder(): Promise<never> {
    for (;;) {
      await condition(() => this.queue.length > 0);
      // Everything queued goes in one local activity (a step's end and the next one's start come together).
      // (Workers before the patch sent one report per local activity: their histories replay unchanged.)
      const batched = patchedBeforeFlow2(this.input, BATCHED_REPORTS);
      const batch = batched ? [...this.queue] : [this.queue[0]];
      try {
        this.sent.push(...(batched ? await reporting.publishReports(batch) : [await reporting.publishReport(batch[0])]));
      } catch (err) {
        // A report that cannot be published never holds up or fails the handover; it stays readable here.
        log.warn('could not publish reports', { messages: batch.map((r) => r.message), error: (err as Error).message });
        this.sent.push(...batch);
      }
      this.queue.splice(0, batch.length);
    }
  }
}
