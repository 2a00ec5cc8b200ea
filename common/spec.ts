/** The handover specification a submitter sends, validated with zod; shared by the API and its tests. */
import { z } from 'zod';
import { DEFAULT_UPDATE_TYPES } from '../vocabulary/names';
import { MAX_URI_LENGTH, parseDbUri } from './db-uri';

/** A string field whose messages say "is required" when it is missing, rather than zod's type talk. */
const text = () => z.string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') });

const dbUri = (opts: { staging?: boolean } = {}) =>
  text()
    .min(1, 'is required')
    // (A huge value stops here, before the URI parser or any pattern reads it.)
    .max(MAX_URI_LENGTH, { message: `is longer than ${MAX_URI_LENGTH} characters`, abort: true })
    .superRefine((value, ctx) => {
      try {
        parseDbUri(value, opts);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    });

/**
 * The update type (the seed: "a string describing the type of update"), one of the configured update
 * types, case-insensitive. The kind of database is never typed: its name gives it.
 */
const updateType = (updateTypes: readonly string[]) =>
  text()
    // (A huge value stops here, before anything else reads it.)
    .max(64, { message: `must be one of ${updateTypes.join(', ')}`, abort: true })
    .trim()
    .toLowerCase()
    .refine((v) => updateTypes.includes(v), `must be one of ${updateTypes.join(', ')}`)
    .describe(`The kind of update: one of ${updateTypes.join(', ')} (case-insensitive). Not the database type, which the name gives`);

/**
 * Why `address` may not be mailed under HANDOVER_CONTACT_DOMAINS, or undefined when it may. The domain
 * is what follows the last "@", compared case-insensitively; a subdomain is allowed with its parent
 * (`mail.ebi.ac.uk` for `ebi.ac.uk`: institutions run mail on subdomains), a look-alike is not
 * (`evilebi.ac.uk`, `ebi.ac.uk.evil.org`).
 */
export function contactDomainProblem(address: string, domains: readonly string[] | undefined): string | undefined {
  if (!domains) return undefined;
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  if (domains.some((d) => domain === d || domain.endsWith(`.${d}`))) return undefined;
  return domains.length
    ? `must be an address at ${domains.join(', ')} (or a subdomain): Handover mails only these domains (HANDOVER_CONTACT_DOMAINS)`
    : 'no address may be mailed: HANDOVER_CONTACT_DOMAINS lists no domain';
}

/** Who is told how the handover went: an email address, at one of `domains` when they are set. */
export const contactSchema = (domains?: readonly string[]) =>
  text()
    .max(320, { message: 'must be an email address (at most 320 characters)', abort: true })
    // (abort: the domain is read only from an address.)
    .pipe(z.email({ message: 'must be an email address', abort: true }))
    .superRefine((value, ctx) => {
      const problem = contactDomainProblem(value, domains);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/** The specification a submitter sends, for the update types (and contact domains) in force. */
export function handoverSpecSchema(
  updateTypes: readonly string[] = DEFAULT_UPDATE_TYPES,
  opts: { contactDomains?: readonly string[] } = {},
) {
  return z
    .object({
      src_uri: dbUri().describe('The source database, e.g. mysql://user:pass@host:3306/homo_sapiens_core_110_38'),
      tgt_uri: dbUri().optional().describe('The target database on staging; defaults to HANDOVER_STAGING_URI + the source database name'),
      contact: contactSchema(opts.contactDomains).describe(
        opts.contactDomains
          ? `Who is told how the handover went: an address at ${opts.contactDomains.join(', ')} (or a subdomain)`
          : 'Who is told how the handover went',
      ),
      // The update type, under the wire name Ensembl's clients send: `type` (read it with `updateTypeOf`, vocabulary/shapes.ts).
      type: updateType(updateTypes),
      comment: text().trim().min(1, 'is required').max(2000).describe('Why this database is handed over'),
      source: text().max(200).optional().describe('Which tool or person submitted it'),
    })
    .strict();
}

export type HandoverSpec = z.infer<ReturnType<typeof handoverSpecSchema>>;

export interface FieldIssue {
  field: string;
  message: string;
}

/** The parts of a zod issue we read (also what fastify-type-provider-zod passes on in `validation`). */
export interface IssueLike {
  path: ReadonlyArray<PropertyKey>;
  code: string;
  message: string;
  keys?: string[];
}

/** One entry per bad field, in the order of the schema, messages joined when a field has several. */
export function fieldIssues(issues: ReadonlyArray<IssueLike>): FieldIssue[] {
  const byField = new Map<string, string[]>();
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys ?? []) byField.set(key, ['is not a known field']);
      continue;
    }
    const field = issue.path.map(String).join('.') || '(body)';
    byField.set(field, [...(byField.get(field) ?? []), issue.message]);
  }
  return [...byField].map(([field, messages]) => ({ field, message: messages.join('; ') }));
}
