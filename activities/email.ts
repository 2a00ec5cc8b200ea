/**
 * Emails to the submitter: what happened, which step, why, and where to look.
 * Composed only from the recorded (password-free) handover state.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import type { HandoverNotice, BatchProgress } from '../vocabulary';

export type { HandoverNotice };

export interface Links {
  /** The handover's web page (where a person looks), not the JSON. */
  page: string;
  temporal: string;
}

export interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export function subjectOf(n: HandoverNotice): string {
  if (n.kind === 'completed') return `Handover of ${n.database} completed`;
  if (n.kind === 'cancelled') return `Handover of ${n.database} cancelled`;
  const f = n.failure!;
  switch (f.kind) {
    case 'could_not_run':
      return `Handover of ${n.database} failed: healthchecks could not run`;
    case 'problems':
      return `Handover of ${n.database} failed: healthchecks found problems`;
    case 'rejected':
      return `Handover of ${n.database} refused: ${f.reason}`;
    case 'timed_out':
      return `Handover of ${n.database} failed: ${f.step} step passed its deadline`;
    default:
      return `Handover of ${n.database} failed at the ${f.step} step`;
  }
}

/** Plain lines shared by the text and HTML bodies: [heading, lines[]] blocks. */
function sections(n: HandoverNotice, links: Links): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = [];
  if (n.kind === 'completed') {
    out.push(['Done', [`${n.spec.src_uri} has been copied to ${n.spec.tgt_uri}, checked and recorded.`]]);
  } else if (n.kind === 'cancelled') {
    const by = n.cancelled?.by ? ` by ${n.cancelled.by}` : '';
    const why = n.cancelled?.reason ? `Reason: ${n.cancelled.reason}` : 'No reason was given.';
    out.push(['Cancelled', [`The handover was cancelled${by}. Its running job, if any, was stopped.`, why]]);
  } else {
    const f = n.failure!;
    out.push(['What failed', [`Step: ${f.step}`, `Reason: ${f.reason}`]]);
    if (f.checks?.length) {
      const job = n.timeline.find((t) => t.step === 'healthcheck')?.jobs[0];
      out.push([
        'Failing checks',
        [...f.checks.map((c) => `${c.check}: ${c.messages.join(' | ') || 'failed'}`), ...(job ? [`Full report: ${job.url}`] : [])],
      ]);
    }
  }
  out.push([
    'Handover',
    [
      `Token: ${n.token}`,
      `Source: ${n.spec.src_uri}`,
      `Target: ${n.spec.tgt_uri}`,
      `Update type: ${n.updateType ?? 'not recorded'}`,
      `Database type: ${n.databaseType}`,
      `Comment: ${n.spec.comment}`,
      `Follow it: ${links.page}`,
      `Temporal: ${links.temporal}`,
    ],
  ]);
  out.push([
    'Steps',
    n.timeline.map(
      (t) =>
        `${t.step}: ${t.outcome ?? 'running'}${t.message ? ` (${t.message})` : ''}` +
        `${t.jobs.length ? ` jobs ${t.jobs.map((j) => j.url).join(', ')}` : ''}`,
    ),
  ]);
  return out;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const linkify = (s: string) => escapeHtml(s).replace(/(https?:\/\/[^\s<]+)/g, '<a href="$1">$1</a>');

export function composeEmail(n: HandoverNotice, links: Links): Email {
  const blocks = sections(n, links);
  const subject = subjectOf(n);
  const text = [subject, '', ...blocks.flatMap(([h, lines]) => [h, ...lines.map((l) => `  ${l}`), ''])].join('\n');
  const html = [
    `<h2>${escapeHtml(subject)}</h2>`,
    ...blocks.map(([h, lines]) => `<h3>${escapeHtml(h)}</h3><ul>${lines.map((l) => `<li>${linkify(l)}</li>`).join('')}</ul>`),
  ].join('\n');
  return { to: n.spec.contact, subject, text, html };
}

/** One email when every handover of a batch has ended: counts, then a line per database. */
export function composeBatchSummary(to: string, summary: BatchProgress, pageUrl: (token: string) => string): Email {
  const { counts } = summary;
  const subject =
    `Handover batch ${summary.batch_id}: ${counts.completed} completed, ${counts.failed} failed, ${counts.cancelled} ` +
    `cancelled, ${counts.rejected} rejected, ${counts.locked} locked (another handover of the database was running)`;
  const lines = summary.handovers.map((h) => `${h.database}: ${h.status}${h.reason ? ` (${h.reason})` : ''} ${pageUrl(h.token)}`);
  const text = [subject, '', ...lines].join('\n');
  const html = `<h2>${escapeHtml(subject)}</h2><ul>${lines.map((l) => `<li>${linkify(l)}</li>`).join('')}</ul>`;
  return { to, subject, text, html };
}

export interface Mailer {
  send(email: Email): Promise<void>;
}

/** smtp://, smtps:// (nodemailer's URL form) or file:///folder (each message written as an .eml file). */
export function createMailer(smtpUrl: string, from: string): Mailer {
  if (smtpUrl.startsWith('file://')) {
    const folder = fileURLToPath(smtpUrl);
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
    return {
      async send(email) {
        const info = await transport.sendMail({ from, ...email });
        mkdirSync(folder, { recursive: true });
        writeFileSync(path.join(folder, `${Date.now()}-${info.messageId.replace(/[^\w.-]/g, '')}.eml`), info.message as Buffer);
      },
    };
  }
  // Every wait well under the final email's first try (30 s, workflows/email.ts): a send that timed out there must
  // not deliver late beside the retry that follows it (nodemailer's own socket timeout is 10 minutes).
  const transport = nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
  return {
    async send(email) {
      await transport.sendMail({ from, ...email });
    },
  };
}
