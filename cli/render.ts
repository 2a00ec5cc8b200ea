/**
 * Text output of the CLI: tables, step lists and the watch view's progress bar. Everything printed
 * that came from elsewhere (comments, failure texts, check messages, events: written by submitters,
 * sources and services) goes through `printable` first, so that no terminal control reaches the
 * screen: every render function below cleans its input with `clean`.
 */
import { type HandoverProgress, type HandoverReport, cancelledSentence } from '../api/types';
import type { ListRow } from './api-client';

/**
 * C0 and C1 controls (ESC, BEL, CR, backspace, and newline and tab too: data must not start lines of
 * its own), DEL, and the Unicode characters that reorder or break lines (bidi overrides and isolates,
 * line and paragraph separators). ESC shown as \x1b leaves no escape sequence to act on.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escaped = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** A text from data, as the terminal may show it: every control character written out (\x1b, \x07, \n, \u202e). */
export function printable(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/** A value from the API with every string in it made printable (objects and arrays copied). */
export function clean<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => clean(v)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [printable(k), clean(v)])) as T;
  return value;
}

/** What JSON.stringify leaves raw inside strings (it escapes C0 itself; the C0 left in its output is its own layout). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON for --json: the data exact, and DEL, C1, bidi controls and separators as \u escapes. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const bar = (done: number, total: number, width = 30) =>
  `[${'#'.repeat(Math.round((done / total) * width)).padEnd(width, '.')}] ${done}/${total}`;

function steps(p: HandoverProgress): string[] {
  return p.timeline.map(
    (t) =>
      `  ${t.step.padEnd(12)} ${(t.outcome ?? 'running').padEnd(10)} ${t.jobs.map((j) => j.url).join(' ')}` +
      `${t.message ? `  ${t.message}` : ''}`,
  );
}

export function renderWatchFrame(progress: HandoverProgress): string {
  const p = clean(progress);
  const lines = [
    `${p.token}  ${p.status}${p.status === 'running' ? ` (${p.step})` : ''}  ${bar(p.progress.complete, p.progress.total)}`,
    ...steps(p),
  ];
  if (p.status === 'running' && p.job?.total !== undefined) {
    lines.push(
      `  ${p.job.service} job ${p.job.id} ${p.job.status}  ${bar(p.job.complete ?? 0, p.job.total, 20)}` +
        `${p.job.unit ? ` ${p.job.unit}` : ''}`,
    );
  } else if (p.job_progress && p.status === 'running') lines.push(`  ${p.job_progress}`);
  if (p.failure)
    lines.push(
      `failed at ${p.failure.step}: ${p.failure.reason}`,
      ...(p.failure.checks ?? []).map((c) => `  ${c.check}: ${c.messages.join('; ')}`),
    );
  if (p.cancelled) lines.push(cancelledSentence(p.cancelled));
  return lines.join('\n');
}

export function renderProgress(progress: HandoverProgress): string {
  const p = clean(progress);
  return [
    renderWatchFrame(progress),
    `  source   ${p.spec.src_uri}`,
    `  target   ${p.spec.tgt_uri}`,
    `  contact  ${p.spec.contact}    update ${p.update_type ?? '(not recorded)'}    database ${p.database_type ?? p.spec.type}`,
    `  comment  ${p.spec.comment}`,
    ...(p.submitted_by ? [`  submitted by ${p.submitted_by}`] : []),
  ].join('\n');
}

export function renderList(list: ListRow[]): string {
  const rows = clean(list);
  const header = ['TOKEN', 'SUBMITTED', 'DATABASE', 'CONTACT', 'DB_TYPE', 'UPDATE_TYPE', 'STATUS', 'STEP'];
  const data = rows.map((r) => [
    r.token,
    r.submitted_at?.slice(0, 19).replace('T', ' ') ?? '',
    r.database ?? '',
    r.contact ?? '',
    r.type ?? '',
    r.update_type ?? '-',
    r.status ?? '',
    r.step ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...data.map((d) => d[i].length)));
  return [header, ...data]
    .map((line) =>
      line
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A line per report: time, level, message. */
export function renderReports(list: HandoverReport[]): string {
  const reports = clean(list);
  return reports.map((r) => `${r.report_time}  ${r.report_type.padEnd(5)}  ${r.message}`).join('\n');
}
