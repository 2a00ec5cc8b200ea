/**
 * Sealed credentials. A submitted URI may carry a password; the workflow must never record it.
 * The API seals the full URI (AES-256-GCM with a key only the API and workers hold) and the
 * workflow carries the sealed blob; activities unseal it at the moment they connect or submit.
 * A sealed URI is bound to its handover: the token and the recorded (password-free) URI are the
 * cipher's associated data, so a blob copied into another handover, or beside another URI, does
 * not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

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
  const key = createHash('sha256').update(secretKey).digest();
  return {
    seal(plain, binding) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(associatedData(binding));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    unseal(sealed, binding) {
      if (sealed.startsWith(UNBOUND_PREFIX)) {
        throw new Error('these credentials were sealed before they were bound to their handover; restart the handover to seal them again');
      }
      if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed value');
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
      if (raw.length < 28) throw new Error('not a sealed value');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(associatedData(binding));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new Error(
          `sealed credentials do not open for handover ${binding.token}: sealed for another handover or URI, or with another HANDOVER_SECRET_KEY (API and worker must share it)`,
        );
      }
    },
  };
}
