/** Turns the workflow's password-free URI (+ sealed full URI) back into a usable URI, inside an activity only. */
import { ApplicationFailure } from '@temporalio/common';
import { parseDbUri, redactText, withoutPassword } from '../common/db-uri';
import type { Sealer } from '../common/secrets';
import { type DbRef, failureTypes } from '../vocabulary';

export interface Credentials {
  reveal(ref: DbRef): string;
  /** Removes passwords (any URI's, and every password revealed so far) from text bound for history. */
  redact: (text: string) => string;
}

export function createCredentials(sealer: Sealer): Credentials {
  const seen = new Set<string>();
  return {
    reveal(ref) {
      if (!ref.sealed) return ref.uri;
      let uri: string;
      try {
        uri = sealer.unseal(ref.sealed, { token: ref.token, uri: ref.uri });
      } catch (err) {
        // Retrying cannot make them open: the handover fails at once, saying why.
        throw ApplicationFailure.nonRetryable((err as Error).message, failureTypes.credentialsRefused);
      }
      // The binding already proves it; this says so in words if the recorded URI was changed.
      if (withoutPassword(uri) !== ref.uri)
        throw ApplicationFailure.nonRetryable(
          `sealed credentials are for another database than ${ref.uri}`,
          failureTypes.credentialsRefused,
        );
      const password = parseDbUri(uri).password;
      if (password) seen.add(password);
      return uri;
    },
    redact(text) {
      return redactText(text, [...seen]);
    },
  };
}
