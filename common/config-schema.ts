/**
 * The configuration's schema: every environment variable, its default and its check (zod). Read by loadConfig
 * (config.ts) alone, the one place configuration is read and validated.
 */
import path from 'node:path';
import { z } from 'zod';
import { msToNumber } from '@temporalio/common/lib/time';
import { parseDbUri } from './db-uri';
import { LOCAL_STATE_DIR } from './project-paths';
import { listOf, parseServer } from './sources';
import { DEFAULT_UPDATE_TYPES } from '../vocabulary/names';
import { HANDOVER_FLOW } from '../vocabulary/shapes';

const duration = z.string().refine((v) => {
  try {
    return msToNumber(v as never) > 0;
  } catch {
    return false;
  }
}, 'must be a duration such as 30s, 10m or 24h');

const url = z.url({ message: 'must be a URL such as http://localhost:4001' });

const stagingUri = z.string().superRefine((v, ctx) => {
  try {
    parseDbUri(v, { staging: true });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${(err as Error).message}` });
  }
});

/** One staging rule: databases whose name matches `pattern` go to `staging_uri`. Both are required; other keys (a note) are ignored. */
const stagingRulesSchema = z.array(
  z.object({
    pattern: z
      .string({ error: 'needs a "pattern" (a regular expression on the database name)' })
      .min(1, 'has an empty "pattern", which would match every database')
      .refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, 'has a "pattern" that is not a regular expression'),
    staging_uri: z.string({ error: 'needs a "staging_uri"' }).superRefine((v, ctx) => {
      try {
        parseDbUri(v, { staging: true });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `has a "staging_uri" that ${(err as Error).message}` });
      }
    }),
  }),
  { error: 'must be a list' },
);

export const schema = z.object({
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS_CA: z.string().optional(),
  /** An API key for a Temporal cluster that takes them (Temporal Cloud): sent over TLS, never logged. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_WEB_URL: url.default('http://localhost:8233'),
  HANDOVER_TASK_QUEUE: z.string().min(1).default('handover'),
  HANDOVER_HEALTHCHECK_URL: url.default('http://localhost:4001'),
  HANDOVER_COPY_URL: url.default('http://localhost:4002'),
  HANDOVER_METADATA_URL: url.default('http://localhost:4003'),
  HANDOVER_EVENT_URL: url.default('http://localhost:4004'),
  HANDOVER_STAGING_URI: stagingUri.default(`sqlite:///${path.join(LOCAL_STATE_DIR, 'staging')}/`),
  HANDOVER_SECRET_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** MySQL servers sources may be on (host:port, comma-separated); with HANDOVER_SOURCE_ROOTS unset too, no source is allowed. */
  HANDOVER_SOURCE_SERVERS: z
    .string()
    .default('')
    .superRefine((v, ctx) => {
      try {
        listOf(v).forEach(parseServer);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `must be comma-separated host:port entries (${(err as Error).message})` });
      }
    }),
  /** Folders SQLite sources may be in (absolute, comma-separated). */
  HANDOVER_SOURCE_ROOTS: z
    .string()
    .default('')
    .refine((v) => listOf(v).every((f) => path.isAbsolute(f)), 'must be comma-separated absolute folders'),
  HANDOVER_ALLOWED_TYPES: z
    .string()
    .regex(/^[a-z, ]*$/, 'must be a comma-separated list of types such as core,variation (empty: handover is closed)')
    .default('core,rnaseq,cdna,otherfeatures,variation,funcgen,compara,ancestral'),
  HANDOVER_UPDATE_TYPES: z
    .string()
    .regex(
      /^[A-Za-z0-9_, ]*[A-Za-z0-9_][A-Za-z0-9_, ]*$/,
      'must be a comma-separated list of update types such as new_assembly,new_genebuild,patch,other',
    )
    .default(DEFAULT_UPDATE_TYPES.join(',')),
  HANDOVER_RELEASE: z.string().regex(/^\d+$/, 'must be a release number such as 110').optional(),
  HANDOVER_STAGING_RULES: z
    .string()
    .default('[]')
    .superRefine((v, ctx) => {
      let rules: unknown;
      try {
        rules = JSON.parse(v);
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          message: `must be JSON [{"pattern": "<regex>", "staging_uri": "<staging URI>"}] (${(err as Error).message})`,
        });
        return;
      }
      // A rule without its pattern would match every database (new RegExp(undefined) is /(?:)/): both fields are required.
      const parsed = stagingRulesSchema.safeParse(rules);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue.path.length ? `rule ${issue.path.join('.')}` : 'the rules';
        ctx.addIssue({
          code: 'custom',
          message: `must be JSON [{"pattern": "<regex>", "staging_uri": "<staging URI>"}]: ${where} ${issue.message}`,
        });
      }
    }),
  HANDOVER_CHECK_DEADLINE: duration.default('24h'),
  HANDOVER_COPY_DEADLINE: duration.default('24h'),
  HANDOVER_METADATA_DEADLINE: duration.default('6h'),
  HANDOVER_EVENT_DEADLINE: duration.default('1h'),
  HANDOVER_POLL_INTERVAL: duration.default('1s'),
  HANDOVER_POLL_MAX_INTERVAL: duration.default('1m'),
  HANDOVER_SUBMIT_TIMEOUT: duration.default('15m'),
  HANDOVER_REQUEST_TIMEOUT: duration.default('30s'),
  SMTP_URL: z
    .string()
    .regex(/^(smtps?:\/\/|file:\/\/\/)/, 'must be smtp://[user:pass@]host:port, smtps://..., or file:///folder')
    .default(`file://${path.join(LOCAL_STATE_DIR, 'mail')}`),
  HANDOVER_MAIL_FROM: z.string().default('Handover <handover@localhost>'),
  /** Whom Handover mails: contacts only at these email domains (comma-separated, subdomains included). Unset: any address. */
  HANDOVER_CONTACT_DOMAINS: z
    .string()
    .max(4000)
    .regex(
      /^\s*@?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\s*(,\s*@?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\s*)*$/,
      'must be a comma-separated list of email domains such as ebi.ac.uk,sanger.ac.uk',
    )
    .optional(),
  /** Step reports are also published here when set (may carry the broker's password: never logged). */
  HANDOVER_REPORT_AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be amqp://[user:pass@]host:port[/vhost] or amqps://...')
    .optional(),
  HANDOVER_REPORT_EXCHANGE: z.string().min(1).default('handover_reports'),
  HANDOVER_PUBLIC_URL: url.optional(),
  /**
   * The API as the job services reach it, for completion callbacks (common/callbacks.ts); `off` sends none.
   * Unset: HANDOVER_PUBLIC_URL.
   */
  HANDOVER_CALLBACK_URL: z.union([z.literal('off'), url]).optional(),
  /**
   * API keys: a JSON object {"<key>": {"name": "...", "role": "read|submit|operate|admin"}}, given
   * inline or as the path of a file holding it. Unset: the API is open, and listens on loopback only.
   */
  HANDOVER_API_KEYS: z.string().optional(),
  /** Requests per key (or per address, without a key) per HANDOVER_RATE_LIMIT_WINDOW. */
  HANDOVER_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(1200),
  HANDOVER_RATE_LIMIT_WINDOW: duration.default('1m'),
  /** Sent to the job services as `Authorization: Bearer ...` (the local stack's LOCAL_STACK_TOKEN). */
  HANDOVER_SERVICE_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** The worker's Prometheus endpoint (GET /metrics); port 0 picks a free port (logged at start). */
  HANDOVER_WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  HANDOVER_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** The Temporal SDK's own metrics, served by the SDK on this port (same host as the worker's); 0 turns them off. */
  HANDOVER_SDK_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** A workflow bundle built by `npm run build:bundle`: the worker starts from it instead of bundling the workflows itself. */
  HANDOVER_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /**
   * Workflows a worker keeps in memory between their tasks. A waiting handover not in the cache is replayed from
   * its short history (under 80 events) when it wakes: a small cache keeps a worker's memory flat however many wait.
   */
  HANDOVER_WORKER_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(100),
  /**
   * The flow the API starts handovers for (workflows/flow.ts): the newest by default. During a rolling upgrade
   * from workers that know no flows, set 1 on the API until every worker runs this release: a flow-2 history
   * does not replay on an older worker.
   */
  HANDOVER_FLOW: z.coerce
    .number()
    .int()
    .min(1)
    .max(HANDOVER_FLOW, `must be at most ${HANDOVER_FLOW}, the newest flow this release knows`)
    .default(HANDOVER_FLOW),
  /** On SIGTERM, how long running activities may finish before they are cancelled and handed back to another worker. */
  HANDOVER_WORKER_SHUTDOWN_GRACE: duration.default('10s'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
