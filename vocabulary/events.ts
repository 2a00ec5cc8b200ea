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

/** A progress whose events all have object details (what the API answers, whatever the history holds). */
export function withObjectDetails(progress: HandoverProgress): HandoverProgress {
  if (!progress.events?.some((e) => e.details !== undefined && !isRecord(e.details))) return progress;
  return { ...progress, events: progress.events.map((e): MetadataEvent => ({ ...e, details: detailsObject(e.details) })) };
}
