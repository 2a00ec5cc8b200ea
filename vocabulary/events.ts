/**
 * A metadata event's `details` in Handover's own shape: an object. Ensembl's metadata updater writes it as a
 * JSON *string* (MetadataUpdater.pm `to_hash`), other services as an object: both are accepted. A string that
 * does not hold a JSON object is kept as `{text}`, so nothing a service said is lost and nothing breaks a read
 * (the activities then bound it: activities/service-answers.ts).
 * Pure (no Node API): the activities normalise with it where the answer enters, and the API with it where it
 * answers (a handover recorded before the activities did so holds the string).
 */
import type { HandoverProgress, MetadataEvent } from './shapes';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `details` as an object: itself, the object a JSON string holds, or `{text}` for any other value; undefined stays undefined. */
export function detailsObject(details: unknown): Record<string, unknown> | undefined {
  if (details === undefined || details === null) return undefined;
  if (isRecord(details)) return details;
  if (typeof details === 'string') {
    try {
      const parsed: unknown = JSON.parse(details);
      if (isRecord(parsed)) return parsed;
    } catch {
      // not JSON: kept as text below
    }
    return { text: details };
  }
  return { text: String(JSON.stringify(details)) };
}

/** An event as Handover answers it: strings where strings are due, details an object (a recorded value of any shape). */
function answerEvent(e: Record<string, unknown>): MetadataEvent {
  const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(JSON.stringify(v)));
  const details = detailsObject(e.details);
  return {
    type: text(e.type),
    genome: text(e.genome),
    ...(e.source !== undefined && e.source !== null ? { source: text(e.source) } : {}),
    ...(details ? { details } : {}),
  };
}

const inShape = (e: unknown): boolean =>
  isRecord(e) &&
  typeof e.type === 'string' &&
  typeof e.genome === 'string' &&
  (e.source === undefined || typeof e.source === 'string') &&
  (e.details === undefined || isRecord(e.details));

/**
 * A progress whose events are all in Handover's shape (what the API answers, whatever the history holds: a handover
 * recorded before the activities normalised events may hold string details, a null event, a number for a type).
 */
export function withObjectDetails(progress: HandoverProgress): HandoverProgress {
  const events: unknown = progress.events;
  if (events === undefined) return progress;
  if (!Array.isArray(events)) return { ...progress, events: [] };
  if (events.every(inShape)) return progress;
  return { ...progress, events: events.filter(isRecord).map(answerEvent) };
}
