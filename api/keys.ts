/**
 * API keys (HANDOVER_API_KEYS) and who may listen where. A key is looked up in constant time and is
 * never logged, echoed in an error or kept anywhere but in memory; only its name and role travel on.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isLoopbackHost } from '../core/addresses';
import { ConfigError, type Config } from '../common/config';
import { type Caller, ROLES, type Role } from './caller';

export const MIN_KEY_LENGTH = 16;

const entrySchema = z.strictObject(
  {
    name: z
      .string({ error: 'needs a "name" (who this key is, recorded as the submitter)' })
      .trim()
      .min(1, 'needs a non-empty "name"')
      .max(100, 'has a "name" longer than 100 characters')
      .regex(/^[^\p{Cc}]*$/u, 'has control characters in its "name"'),
    role: z.enum(ROLES, { error: `needs a "role": one of ${ROLES.join(', ')}` }),
  },
  { error: 'must be {"name": "...", "role": "read|submit|operate|admin"}' },
);

export interface ApiKeys {
  /** How many keys, and their names and roles (never the keys), for the start-up log. */
  readonly entries: ReadonlyArray<{ name: string; role: Role }>;
  /** The caller a presented key belongs to, or undefined. Takes the same time whatever is presented. */
  lookup: (presented: string) => Caller | undefined;
}

const fail = (reason: string): never => {
  throw new ConfigError(`Invalid configuration:\n  HANDOVER_API_KEYS: ${reason}`);
};

/**
 * HANDOVER_API_KEYS: a JSON object {"<key>": {"name": "...", "role": "read|submit|operate|admin"}},
 * inline (it starts with `{`) or the path of a file that holds it. Unset: undefined (open mode).
 * Errors name the variable and the entry by position and name, never by its key.
 */
export function parseApiKeys(value: string | undefined): ApiKeys | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') fail('is set but empty (unset it for an open API on loopback, or give keys)');
  const inline = value.trim().startsWith('{');
  let text = value;
  if (!inline) {
    try {
      text = readFileSync(value.trim(), 'utf8');
    } catch (err) {
      // The value is not shown: it may be a key pasted on its own, or JSON that does not start with "{".
      fail(
        `is neither inline JSON (starting with "{") nor the path of a readable file ` +
          `(${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      );
    }
  }
  const where = inline ? '' : ` (file ${value.trim()})`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text around the error, which may be a key: not shown.
    fail(`is not valid JSON${where}; expected {"<key>": {"name": "...", "role": "read|submit|operate|admin"}}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail(`must be a JSON object {"<key>": {"name": "...", "role": "read|submit|operate|admin"}}${where}`);
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) fail(`has no keys${where} (unset it for an open API on loopback, or give at least one key)`);
  const keys: Array<{ digest: Buffer; caller: Caller }> = [];
  entries.forEach(([key, raw], i) => {
    const label =
      `entry ${i + 1}` +
      (raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string'
        ? ` ("${(raw as { name: string }).name}")`
        : '') +
      where;
    const entry = entrySchema.safeParse(raw);
    if (!entry.success)
      fail(
        `${label} ` +
          entry.error.issues
            .map((issue) =>
              issue.code === 'unrecognized_keys' ? `has unknown fields (${issue.keys.join(', ')}): only "name" and "role"` : issue.message,
            )
            .join('; '),
      );
    const { name, role } = entry.data!;
    if (key.length < MIN_KEY_LENGTH) fail(`the key of ${label} is shorter than ${MIN_KEY_LENGTH} characters`);
    if (!/^[\x21-\x7e]+$/.test(key)) fail(`the key of ${label} must be printable ASCII without spaces (it travels in an HTTP header)`);
    keys.push({ digest: digest(key), caller: { name, role, authenticated: true } });
  });
  return {
    entries: keys.map((k) => ({ name: k.caller.name, role: k.caller.role })),
    lookup(presented) {
      // Compare fixed-length digests against every key, without stopping at a match.
      const wanted = digest(presented);
      let found: Caller | undefined;
      for (const k of keys) if (timingSafeEqual(k.digest, wanted) && !found) found = k.caller;
      return found;
    },
  };
}

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x.x.x or [::1]) and `localhost`. */
export function isLoopback(host: string): boolean {
  // `*.localhost` names this machine too (RFC 6761): a listening address the API may take, not a Host it serves.
  return isLoopbackHost(host) || host.trim().toLowerCase().endsWith('.localhost');
}

/**
 * What the API may do at start: with keys, anything; without, listen on loopback only. Returns the
 * line to log (open, or how many keys of which roles), or throws a ConfigError saying why it may not start.
 */
export function accessAtStart(
  config: Pick<Config, 'HOST' | 'HANDOVER_API_KEYS' | 'HANDOVER_RATE_LIMIT_MAX' | 'HANDOVER_RATE_LIMIT_WINDOW'>,
): string {
  const keys = parseApiKeys(config.HANDOVER_API_KEYS);
  const limit =
    `rate limit ${config.HANDOVER_RATE_LIMIT_MAX} requests per ${config.HANDOVER_RATE_LIMIT_WINDOW} per key ` + `(per address without one)`;
  if (!keys) {
    if (!isLoopback(config.HOST)) {
      throw new ConfigError(`HOST=${config.HOST} needs HANDOVER_API_KEYS: without keys the API is open and listens on loopback only`);
    }
    return (
      `API access: OPEN, no API keys (HANDOVER_API_KEYS unset): every caller may do everything, ` +
      `so the API listens on loopback only (HOST=${config.HOST}); ${limit}`
    );
  }
  const perRole = ROLES.map((role) => [role, keys.entries.filter((e) => e.role === role).map((e) => e.name)] as const)
    .filter(([, names]) => names.length > 0)
    .map(([role, names]) => `${role}: ${names.join(', ')}`)
    .join('; ');
  return `API access: ${keys.entries.length} API key(s) (${perRole}); every route but GET /health and the page files needs one; ${limit}`;
}
