/**
 * The handover's recorded state: what the `progress` query answers, kept in step with the search
 * attributes the Web UI filters on. Deterministic: times come from the workflow clock.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import {
  type CancelRequest,
  type CurrentStep,
  type HandoverFailure,
  type HandoverInput,
  type HandoverProgress,
  type HandoverStatus,
  type JobRef,
  type MetadataEvent,
  type Outcome,
  type Step,
  type TimelineEntry,
  STEPS,
  beginMessage,
  endMessage,
  finishMessage,
  handoverTypes,
  searchAttributes,
} from '../vocabulary';
import { patchedBeforeFlow2 } from './flow';
import { Reporter } from './reports';

const now = () => new Date().toISOString();

export class ProgressTracker {
  private status: HandoverStatus = 'running';
  private step: CurrentStep = 'checking';
  private readonly timeline: TimelineEntry[] = [];
  private failure?: HandoverFailure;
  private endedAt?: string;
  events?: MetadataEvent[];
  cancelled?: CancelRequest;

  /** Every transition is also a structured report (not in histories recorded before reports existed). */
  readonly reports: Reporter;

  constructor(private readonly input: HandoverInput) {
    this.reports = new Reporter(input, patchedBeforeFlow2(input, 'step-reports'));
  }

  begin(step: Step): void {
    this.step = step;
    this.timeline.push({ step, started_at: now(), jobs: [] });
    upsertSearchAttributes([{ key: searchAttributes.step, value: step }]);
    this.report('INFO', beginMessage(step));
  }

  /** Records a job of the current step, so the timeline links to it and cancel can kill it. */
  jobStarted<T extends JobRef | JobRef[]>(jobs: T): T {
    this.current()?.jobs.push(...(Array.isArray(jobs) ? jobs : [jobs]));
    return jobs;
  }

  end(outcome: Outcome, message?: string): void {
    const entry = this.current();
    if (!entry || entry.ended_at) return;
    Object.assign(entry, { ended_at: now(), outcome, message });
    // The outcome and the step's start ride on the report: the worker's metrics time the step from them.
    this.report(
      outcome === 'passed' || outcome === 'skipped' || outcome === 'cancelled' ? 'INFO' : 'ERROR',
      endMessage(entry.step, outcome, message),
      {
        outcome,
        step_started_at: entry.started_at,
      },
    );
  }

  /** Jobs of the step that is still going: what a cancel must kill. */
  runningJobs(): JobRef[] {
    const entry = this.current();
    return entry && !entry.ended_at ? entry.jobs : [];
  }

  finish(status: Exclude<HandoverStatus, 'running'>, failure?: HandoverFailure): void {
    this.status = status;
    this.failure = failure;
    this.endedAt = now();
    if (status === 'completed') this.step = 'done';
    upsertSearchAttributes([
      { key: searchAttributes.status, value: status },
      { key: searchAttributes.step, value: this.step },
    ]);
    this.report(status === 'completed' ? 'INFO' : 'ERROR', finishMessage(status, this.input, failure, this.cancelled));
  }

  snapshot(): HandoverProgress {
    return {
      token: this.input.token,
      restarted_from: this.input.restart?.token,
      status: this.status,
      step: this.step,
      progress: this.counts(),
      spec: this.input.spec,
      update_type: handoverTypes(this.input).updateType,
      database_type: handoverTypes(this.input).databaseType,
      submitted_by: this.input.submittedBy,
      submitted_at: this.input.submittedAt,
      ended_at: this.endedAt,
      timeline: this.timeline,
      failure: this.failure,
      cancelled: this.cancelled,
      events: this.events,
    };
  }

  private counts(): HandoverProgress['progress'] {
    return { complete: this.timeline.filter((t) => t.outcome === 'passed' || t.outcome === 'skipped').length, total: STEPS.length };
  }

  private report(type: 'INFO' | 'ERROR', message: string, extra?: { outcome: Outcome; step_started_at: string }): void {
    this.reports.add(type, message, { step: this.step, status: this.status, ...this.counts() }, extra);
  }

  private current(): TimelineEntry | undefined {
    return this.timeline[this.timeline.length - 1];
  }
}
