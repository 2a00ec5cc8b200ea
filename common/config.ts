/**
 * All configuration, read from environment variables and validated in one place: loadConfig, against the schema in
 * config-schema.ts; here too what the layers derive from it.
 * Errors name the variable and the reason; values are never echoed (some are secrets).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { Duration } from '@temporalio/common';
import type { HandoverTimings } from '../vocabulary';
import { isLoopbackHost } from '../core/addresses';
import type { AdmissionRules } from './admission';
import { schema } from './config-schema';
import { LOCAL_STATE_DIR, PROJECT_STATE_PATHS } from './project-paths';
import { type SourcePlaces, listOf } from './sources';

export type Config = z.infer<typeof schema> & { HANDOVER_SECRET_KEY: string; HANDOVER_PUBLIC_URL: string };

export class ConfigError extends Error {}

/** The admission rules in force. */
export function admissionRulesFrom(c: Config): AdmissionRules {
  return {
    allowedTypes: c.HANDOVER_ALLOWED_TYPES.split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    release: c.HANDOVER_RELEASE,
    // Checked when the configuration was read (HANDOVER_STAGING_RULES's superRefine).
    staging: JSON.parse(c.HANDOVER_STAGING_RULES) as AdmissionRules['staging'],
    defaultStaging: c.HANDOVER_STAGING_URI,
  };
}

/** The update types a submission's `type` may name (lower case, as recorded). */
export function updateTypesFrom(c: Config): string[] {
  return [
    ...new Set(
      c.HANDOVER_UPDATE_TYPES.split(',')
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}

/** The email domains a contact must be at (lower case, without "@"), or undefined: any address. */
export function contactDomainsFrom(c: Config): string[] | undefined {
  if (c.HANDOVER_CONTACT_DOMAINS === undefined) return undefined;
  return [...new Set(c.HANDOVER_CONTACT_DOMAINS.split(',').map((d) => d.trim().replace(/^@/, '').toLowerCase()))];
}

/** The per-step deadlines and polling pace a new handover gets. */
export function timingsFrom(c: Config): HandoverTimings {
  return {
    checkDeadline: c.HANDOVER_CHECK_DEADLINE as Duration,
    copyDeadline: c.HANDOVER_COPY_DEADLINE as Duration,
    metadataDeadline: c.HANDOVER_METADATA_DEADLINE as Duration,
    eventDeadline: c.HANDOVER_EVENT_DEADLINE as Duration,
    pollInterval: c.HANDOVER_POLL_INTERVAL as Duration,
    pollMaxInterval: c.HANDOVER_POLL_MAX_INTERVAL as Duration,
    submitTimeout: c.HANDOVER_SUBMIT_TIMEOUT as Duration,
    requestTimeout: c.HANDOVER_REQUEST_TIMEOUT as Duration,
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = result.data;
  if (!c.HANDOVER_SECRET_KEY && !onLocalStack(c)) {
    // A key made on this machine would differ from the other machines' (workers, API): sealed
    // credentials would not open there. Fail at start, not at the first handover.
    throw new ConfigError(
      'Invalid configuration:\n  HANDOVER_SECRET_KEY: is required when Temporal or the job services are not on this machine (the API and ' +
        'every worker must share it)',
    );
  }
  return {
    ...c,
    HANDOVER_SECRET_KEY: c.HANDOVER_SECRET_KEY ?? devSecretKey(),
    HANDOVER_PUBLIC_URL: c.HANDOVER_PUBLIC_URL ?? `http://${c.HOST === '0.0.0.0' ? 'localhost' : c.HOST}:${c.PORT}`,
  };
}

/** The local stack's shape: Temporal and the four services on this machine (loopback). */
function onLocalStack(c: z.infer<typeof schema>): boolean {
  const serviceHosts = [c.HANDOVER_HEALTHCHECK_URL, c.HANDOVER_COPY_URL, c.HANDOVER_METADATA_URL, c.HANDOVER_EVENT_URL].map(
    (u) => new URL(u).hostname,
  );
  const temporalHost = c.TEMPORAL_ADDRESS.replace(/:\d+$/, '');
  return isLoopbackHost(temporalHost) && serviceHosts.every(isLoopbackHost);
}

/** Where job services send completion callbacks (HANDOVER_CALLBACK_URL, else the public URL), or undefined when off. */
export function callbackBaseFrom(c: Config): string | undefined {
  return c.HANDOVER_CALLBACK_URL === 'off' ? undefined : (c.HANDOVER_CALLBACK_URL ?? c.HANDOVER_PUBLIC_URL);
}

/** Where sources may be, and Handover's own services, which no source may be. */
export function sourcePlacesFrom(c: Config): SourcePlaces {
  const service = (what: string, u: string) => {
    const url = new URL(u);
    return { what, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  };
  const temporal = /^(.*):(\d+)$/.exec(c.TEMPORAL_ADDRESS);
  return {
    servers: listOf(c.HANDOVER_SOURCE_SERVERS),
    roots: listOf(c.HANDOVER_SOURCE_ROOTS),
    protectedPaths: PROJECT_STATE_PATHS,
    ownServices: [
      ...(temporal ? [{ what: 'Temporal (TEMPORAL_ADDRESS)', host: temporal[1].replace(/^\[|\]$/g, ''), port: Number(temporal[2]) }] : []),
      service('the healthcheck service (HANDOVER_HEALTHCHECK_URL)', c.HANDOVER_HEALTHCHECK_URL),
      service('the copy service (HANDOVER_COPY_URL)', c.HANDOVER_COPY_URL),
      service('the metadata service (HANDOVER_METADATA_URL)', c.HANDOVER_METADATA_URL),
      service('the event service (HANDOVER_EVENT_URL)', c.HANDOVER_EVENT_URL),
      { what: 'the Handover API (HOST, PORT)', host: c.HOST, port: c.PORT },
    ],
  };
}

/** Every staging place configured: the default and each staging rule's. */
export function stagingUrisFrom(c: Config): string[] {
  return [c.HANDOVER_STAGING_URI, ...(JSON.parse(c.HANDOVER_STAGING_RULES) as Array<{ staging_uri: string }>).map((r) => r.staging_uri)];
}

/**
 * Without HANDOVER_SECRET_KEY (a laptop, the local stack) the API and worker share a key kept in a
 * git-ignored file, made on first use. Production sets the variable on both.
 */
function devSecretKey(): string {
  const file = path.join(LOCAL_STATE_DIR, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(LOCAL_STATE_DIR, { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process (API or worker, started together) made it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readFileSync(file, 'utf8').trim();
}
