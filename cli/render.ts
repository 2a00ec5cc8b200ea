/** Text output of the CLI: tables, step lists and the watch view's progress bar. */
import { type HandoverProgress, type HandoverReport, cancelledSentence } from '../api/types';
import type { ListRow } from './api-client';

const bar = (done: number, total: number, width = 30) => `[${'#'.repeat(Math.round((done / total) * width)).padEnd(width, '.')}] ${done}/${total}`;

function steps(p: HandoverProgress): string[] {
  return p.timeline.map((t) => `  ${t.step.padEnd(12)} ${(t.outcome ?? 'running').padEnd(10)} ${t.jobs.map((j) => j.url).join(' ')}${t.message ? `  ${t.message}` : ''}`);
}

export function renderWatchFrame(p: HandoverProgress): string {
  const lines = [`${p.token}  ${p.status}${p.status === 'running' ? ` (${p.step})` : ''}  ${bar(p.progress.complete, p.progress.total)}`, ...steps(p)];
  if (p.status === 'running' && p.job?.total !== undefined) {
    lines.push(`  ${p.job.service} job ${p.job.id} ${p.job.status}  ${bar(p.job.complete ?? 0, p.job.total, 20)}${p.job.unit ? ` ${p.job.unit}` : ''}`);
  } else if (p.job_progress && p.status === 'running') lines.push(`  ${p.job_progress}`);
  if (p.failure) lines.push(`failed at ${p.failure.step}: ${p.failure.reason}`, ...(p.failure.checks ?? []).map((c) => `  ${c.check}: ${c.messages.join('; ')}`));
  if (p.cancelled) lines.push(cancelledSentence(p.cancelled));
  return lines.join('\n');
}

export function renderProgress(p: HandoverProgress): string {
  return [
    renderWatchFrame(p),
    `  source   ${p.spec.src_uri}`,
    `  target   ${p.spec.tgt_uri}`,
    `  contact  ${p.spec.contact}    update ${p.update_type ?? '(not recorded)'}    database ${p.database_type ?? p.spec.type}`,
    `  comment  ${p.spec.comment}`,
    ...(p.submitted_by ? [`  submitted by ${p.submitted_by}`] : []),
  ].join('\n');
}

export function renderList(rows: ListRow[]): string {
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
export function renderReports(reports: HandoverReport[]): string {
  return reports.map((r) => `${r.report_time}  ${r.report_type.padEnd(5)}  ${r.message}`).join('\n');
}
