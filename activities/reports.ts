/**
 * The reporting activity: completes a step-transition report with the worker's host, writes it to the
 * log as one JSON line, and publishes it to the AMQP topic exchange (routing key report.<level>) when
 * one is configured, as Ensembl's handover did for its report consumers.
 */
import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';
import pino, { type DestinationStream } from 'pino';
import type { HandoverActivities, HandoverReport } from '../vocabulary';
import type { TopicPublisher } from './amqp';
import type { WorkerMetrics } from './metrics';

export interface ReportDeps {
  /** Where report lines go (stdout by default). */
  log?: DestinationStream;
  publisher?: TopicPublisher;
  redact: (text: string) => string;
  /** Handovers ended, step durations and running steps are read from the reports (activities/metrics.ts). */
  metrics?: Pick<WorkerMetrics, 'observeReport'>;
}

/** Typed by the contract (vocabulary/activities.ts): the compiler checks each signature against it. */
export function reportActivities({
  log,
  publisher,
  redact,
  metrics,
}: ReportDeps): Pick<HandoverActivities, 'publishReport' | 'publishReports'> {
  // The line is the report itself, plus the log level by name (no pino time or pid keys beside Ensembl's fields).
  const logger = pino(
    { base: undefined, timestamp: false, messageKey: 'message', formatters: { level: (label) => ({ level: label }) } },
    log ?? pino.destination(1),
  );
  /** Completes, logs (once, at the first attempt) and publishes one report. */
  const send = async (report: HandoverReport, attempt: number): Promise<HandoverReport> => {
    const params = Object.fromEntries(Object.entries(report.params).map(([k, v]) => [k, typeof v === 'string' ? redact(v) : v]));
    const full: HandoverReport = {
      ...report,
      host: hostname(),
      resource: redact(report.resource),
      params,
      message: redact(report.message),
    };
    // Logged and counted once, however many attempts the publishing takes.
    if (attempt === 1) {
      const { message, ...fields } = full;
      logger.info(fields, message);
      metrics?.observeReport(full);
    }
    await publisher?.publish(`report.${full.report_type.toLowerCase()}`, full);
    return full;
  };
  return {
    async publishReport(report) {
      return send(report, Context.current().info.attempt);
    },
    /** The reports made since the last were sent, in order: one local activity for a step's end and the next one's start. */
    async publishReports(reports) {
      const attempt = Context.current().info.attempt;
      const sent: HandoverReport[] = [];
      for (const report of reports) sent.push(await send(report, attempt));
      return sent;
    },
  };
}
