/**
 * The activities a workflow may call, as a contract: workflows proxy this interface (they import no
 * activity code, not even its types), and `createActivities` in activities/ implements it.
 */
import type {
  BatchProgress,
  CancelRequest,
  CheckFailure,
  HandoverFailure,
  HandoverReport,
  JobRef,
  MetadataEvent,
  RecordedSpec,
  TimelineEntry,
} from './shapes';

/** A database as the workflow passes it to activities: the recorded URI and, if it had one, its sealed original. */
export interface DbRef {
  uri: string;
  sealed?: string;
  /** The handover the sealed URI belongs to: unsealing checks it. */
  token: string;
}

/** Passed, or ran and found problems. (Checks that could not run fail the activity with JobFailed.) */
export interface HealthcheckReport {
  status: 'passed' | 'problems';
  failures: CheckFailure[];
}

/** What an email to the submitter is made from: the recorded (password-free) handover state. */
export interface HandoverNotice {
  kind: 'completed' | 'failed' | 'cancelled';
  token: string;
  database: string;
  /** The kind of update (absent for handovers recorded before it was asked for). */
  updateType?: string;
  databaseType: string;
  spec: RecordedSpec;
  timeline: TimelineEntry[];
  failure?: HandoverFailure;
  cancelled?: CancelRequest;
}

export interface HandoverActivities {
  /** Step 2: a real connection; resolves with the source's meta.schema_version when it has one. */
  checkSourceExists(db: DbRef): Promise<{ schemaVersion?: string }>;
  submitHealthcheck(input: { token: string; db: DbRef; staging_uri?: string }): Promise<JobRef>;
  waitForHealthcheck(job: JobRef): Promise<HealthcheckReport>;
  submitCopy(input: { token: string; source: DbRef; target: DbRef }): Promise<JobRef>;
  waitForCopy(job: JobRef): Promise<{ runtime?: string }>;
  submitMetadata(input: { token: string; target: DbRef; contact: string; comment: string; updateType?: string }): Promise<JobRef>;
  waitForMetadata(job: JobRef): Promise<{ events: MetadataEvent[] }>;
  /** One event to the event service; the jobs (processes) it started. */
  submitEvent(input: { token: string; index: number; event: MetadataEvent }): Promise<JobRef[]>;
  /** Logs a step report (and publishes it to AMQP when configured); returns it as sent. */
  publishReport(report: HandoverReport): Promise<HandoverReport>;
  /** Several reports at once, in order (handovers started after the `batched-reports` patch); returns them as sent. */
  publishReports(reports: HandoverReport[]): Promise<HandoverReport[]>;
  killJob(job: JobRef): Promise<void>;
  sendEmail(notice: HandoverNotice): Promise<void>;
  sendBatchSummary(input: { to: string; summary: BatchProgress }): Promise<void>;
}
