/**
 * Sealed credentials. A submitted URI may carry a password; the workflow must never record it.
 * The API seals the full URI (AES-256-GCM with a key only the API and workers hold) and the
 * workflow carries the sealed blob; activities unseal it at the moment they connect or submit.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const PREFIX = 'sealed:v1:';

export interface Sealer {
  seal(plain: string): string;
  unseal(sealed: string): string;
}

export function createSealer(secretKey: string): Sealer {
  const key = createHash('sha256').update(secretKey).digest();
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    unseal(sealed) {
      if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed value');
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('sealed credentials do not open with this HANDOVER_SECRET_KEY (API and worker must share it)');
      }
    },
  };
}
