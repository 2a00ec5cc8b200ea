/**
 * The stack key: job stores keep job inputs with their passwords replaced by *** and the full input
 * sealed (AES-256-GCM) with this key, so a job resumes after a restart but the files hold no password.
 * The key is LOCAL_STACK_SECRET_KEY (the `secretKey` option, 16 characters or more), or else a random
 * key kept in <dataDir>/secret.key, created with mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openBytes, scryptKey, sealBytes } from '../../core/secrets';

export interface Sealer {
  seal(text: string): string;
  /** Throws when the text was sealed with another key or altered. */
  open(sealed: string): string;
}

const PREFIX = 'v1:';

export function createSealer(key: Buffer): Sealer {
  if (key.length !== 32) throw new Error('the stack key must be 32 bytes');
  return {
    seal: (text) => PREFIX + sealBytes(key, text).toString('base64'),
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed value');
      return openBytes(key, Buffer.from(sealed.slice(PREFIX.length), 'base64'));
    },
  };
}

/** The stack's sealer: from `secretKey` when given, else from (a new) <dataDir>/secret.key. */
export function stackSealer(opts: { dataDir: string; secretKey?: string }): Sealer {
  if (opts.secretKey !== undefined) {
    if (opts.secretKey.length < 16) throw new Error('LOCAL_STACK_SECRET_KEY must be at least 16 characters');
    return createSealer(scryptKey(opts.secretKey, 'handover-local-stack'));
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(opts.dataDir, 'secret.key');
  if (!existsSync(file)) {
    // Written whole to a file of its own, then linked into place (atomic, fails if it exists): services
    // started as separate processes at the same moment never read a half-written key.
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(draft, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    try {
      linkSync(draft, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another service made it first
    } finally {
      unlinkSync(draft);
    }
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte hex key`);
  return createSealer(key);
}
