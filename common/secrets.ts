/**
 * Sealed credentials. A submitted URI may carry a password; the workflow must never record it.
 * The API seals the full URI (AES-256-GCM with a key only the API and workers hold) and the
 * workflow carries the sealed blob; activities unseal it at the moment they connect or submit.
 * A sealed URI is bound to its handover: the token and the recorded (password-free) URI are the
 * cipher's associated data, so a blob copied into another handover, or beside another URI, does
 * not open.
 */
import { SEALED_OVERHEAD, openBytes, sealBytes, sha256Key } from '../core/secrets';

const PREFIX = 'sealed:v2:';
/** Sealed before credentials were bound to their handover: no longer opened. */
const UNBOUND_PREFIX = 'sealed:v1:';

/** What a sealed URI belongs to. */
export interface SealBinding {
  token: string;
  /** The URI as the workflow records it (no password). */
  uri: string;
}

export interface Sealer {
  seal(plain: string, binding: SealBinding): string;
  unseal(sealed: string, binding: SealBinding): string;
}

const associatedData = (b: SealBinding) => Buffer.from(JSON.stringify(['handover', b.token, b.uri]), 'utf8');

export function createSealer(secretKey: string): Sealer {
  const key = sha256Key(secretKey);
  return {
    seal: (plain, binding) => PREFIX + sealBytes(key, plain, associatedData(binding)).toString('base64url'),
    unseal(sealed, binding) {
      if (sealed.startsWith(UNBOUND_PREFIX)) {
        throw new Error('these credentials were sealed before they were bound to their handover; restart the handover to seal them again');
      }
      if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed value');
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
      if (raw.length < SEALED_OVERHEAD) throw new Error('not a sealed value');
      try {
        return openBytes(key, raw, associatedData(binding));
      } catch {
        throw new Error(
          `sealed credentials do not open for handover ${binding.token}: sealed for another handover or URI, ` +
            `or with another HANDOVER_SECRET_KEY (API and worker must share it)`,
        );
      }
    },
  };
}
