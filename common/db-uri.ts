/**
 * Database URIs for the handover: how they are read (parse, write back, drop the password, derive a
 * target on staging, the canonical key) lives in core/db-uri.ts, shared with the local stack; here is
 * what only the handover does, redacting free text together with the secrets it knows.
 */
import { redactUris } from '../core/uris';

export {
  type DbUri,
  DbUriError,
  type Engine,
  MAX_URI_LENGTH,
  databaseKey,
  deriveTargetUri,
  formatDbUri,
  identifierProblem,
  parseDbUri,
  withoutPassword,
} from '../core/db-uri';

/**
 * Replaces the password of every URI found in free text with `***`, and every given secret string.
 * Linear in the text (one left-to-right scan, no backtracking pattern): see redactUris.
 */
export function redactText(text: string, secrets: Array<string | undefined> = []): string {
  let out = redactUris(text);
  // split/join is a plain substring search (linear in the text for each secret), not a pattern.
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}
