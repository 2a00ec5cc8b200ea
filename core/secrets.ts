/**
 * Sealing: AES-256-GCM, a 12-byte IV and a 16-byte tag before the cipher text. Both sides seal with it,
 * in formats of their own that stay as they are on the wire (stored handovers and job stores hold them):
 *   the handover: `sealed:v2:` + base64url, key = SHA-256 of HANDOVER_SECRET_KEY, bound to its handover
 *                 by associated data (common/secrets.ts);
 *   the stack:    `v1:` + base64, key = scrypt of LOCAL_STACK_SECRET_KEY or a key file, unbound
 *                 (services/jobs/secrets.ts).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';

const IV = 12;
const TAG = 16;
/** Bytes a sealed value has before its cipher text: shorter is not a sealed value. */
export const SEALED_OVERHEAD = IV + TAG;

/** IV, tag and cipher text of `plain`, with `aad` (when given) as associated data. */
export function sealBytes(key: Buffer, plain: string, aad?: Buffer): Buffer {
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** The plain text of `raw` (as sealBytes made it); throws when the key, the associated data or the bytes differ. */
export function openBytes(key: Buffer, raw: Buffer, aad?: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV));
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(raw.subarray(IV, IV + TAG));
  return Buffer.concat([decipher.update(raw.subarray(IV + TAG)), decipher.final()]).toString('utf8');
}

/** The handover's key: SHA-256 of the configured secret (API and workers derive the same). */
export const sha256Key = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/** The stack's key from a pass phrase (scrypt, so a short phrase is slow to guess). */
export const scryptKey = (secret: string, salt: string): Buffer => scryptSync(secret, salt, 32);
