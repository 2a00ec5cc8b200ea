/** Turns the workflow's password-free URI (+ sealed full URI) back into a usable URI, inside an activity only. */
import { parseDbUri, redactText } from '../common/db-uri';
import type { Sealer } from '../common/secrets';

/** A database as the workflow passes it to activities: the recorded URI and, if it had one, its sealed original. */
export interface DbRef {
  uri: string;
  sealed?: string;
}

export interface Credentials {
  reveal(ref: DbRef): string;
  /** Removes passwords (any URI's, and every password revealed so far) from text bound for history. */
  redact(text: string): string;
}

export function createCredentials(sealer: Sealer): Credentials {
  const seen = new Set<string>();
  return {
    reveal(ref) {
      if (!ref.sealed) return ref.uri;
      const uri = sealer.unseal(ref.sealed);
      const password = parseDbUri(uri).password;
      if (password) seen.add(password);
      return uri;
    },
    redact(text) {
      return redactText(text, [...seen]);
    },
  };
}
