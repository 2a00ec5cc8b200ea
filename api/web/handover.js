// @ts-check
/**
 * One handover (handover.html?token=…): status, steps done, the running job's own progress, the
 * timeline, the failure, the reports, the Temporal Web UI link, Cancel while it runs and Restart
 * (its "From step" list from GET /vocabulary) once it has failed or been cancelled. It refreshes
 * every 1.5 s until the handover has ended.
 */
import { addOptions, api, badge, byId, config, duration, el, handoverPage, vocabulary, when } from './app.js';

/** @typedef {import('./types').HandoverProgress} HandoverProgress */
/** @typedef {import('./types').ReportList} ReportList */
/** @typedef {import('./types').Submitted} Submitted */
/**
 * @template T
 * @typedef {import('./types').Answer<T>} Answer
 */

const token = new URLSearchParams(location.search).get('token') ?? '';
const path = `/handovers/${encodeURIComponent(token)}`;
/** @type {ReturnType<typeof setInterval> | undefined} */
let timer;

/** @type {Record<string, string>} */
const KINDS = { problems: ' (the checks found problems)', could_not_run: ' (the checks could not run)', timed_out: ' (deadline passed)' };

/** The running job's own progress: a bar with its numbers when its service counts, else its last word. @param {HandoverProgress} h */
function showJob(h) {
  const job = h.status === 'running' ? h.job : undefined;
  const total = job?.total;
  byId('job-box').hidden = !job || total === undefined;
  if (job && total !== undefined) {
    byId('job-label').textContent = `${job.service} job ${job.id} (${job.status})`;
    const bar = byId('job-bar', HTMLProgressElement);
    bar.max = total;
    bar.value = job.complete ?? 0;
    byId('job-text').textContent = `${job.complete ?? 0} of ${total}${job.unit ? ` ${job.unit}` : ''}`;
  }
  const jobWord = byId('job-progress');
  jobWord.hidden = (job !== undefined && total !== undefined) || !(h.status === 'running' && h.job_progress);
  jobWord.textContent = jobWord.hidden ? '' : (h.job_progress ?? '');
}

/** @param {HandoverProgress} h */
function showFailure(h) {
  const f = h.failure;
  const cancelled = h.cancelled;
  byId('failure').replaceChildren(
    ...(f
      ? [
          el(
            'div',
            { class: 'notice bad', id: 'failure-box' },
            el('p', {}, el('strong', {}, `Failed at the ${f.step} step`), KINDS[f.kind] ?? ''),
            el('p', {}, f.reason),
            f.checks ? el('ul', {}, ...f.checks.map((c) => el('li', {}, el('strong', {}, c.check), ': ', c.messages.join('; ')))) : null,
          ),
        ]
      : []),
    ...(cancelled
      ? [
          el(
            'p',
            { class: 'notice' },
            `Cancelled${cancelled.by ? ` by ${cancelled.by}` : ''}${cancelled.reason ? `: ${cancelled.reason}` : ''}`,
          ),
        ]
      : []),
  );
}

/** @param {HandoverProgress} h */
function showFacts(h) {
  /** @type {Array<[string, string | Node | undefined]>} */
  const facts = [
    ['Token', h.token],
    ...(h.restarted_from
      ? [/** @type {[string, Node]} */ (['Restarts', el('a', { href: handoverPage(h.restarted_from) }, h.restarted_from)])]
      : []),
    ['Source', h.spec.src_uri],
    ['Target', h.spec.tgt_uri],
    ['Contact', h.spec.contact],
    ['Update type', h.update_type || 'not recorded'],
    ['Database type', h.database_type],
    ['Comment', h.spec.comment],
    ...(h.submitted_by ? [/** @type {[string, string]} */ (['Submitted by', h.submitted_by])] : []),
    ['Submitted', when(h.submitted_at)],
    ['Ended', when(h.ended_at)],
  ];
  byId('facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v || '')]));
}

/** @param {HandoverProgress} h */
function showTimeline(h) {
  byId('timeline').replaceChildren(
    ...h.timeline.map((t) =>
      el(
        'tr',
        { 'data-step': t.step },
        el('td', {}, t.step),
        el('td', {}, t.outcome || 'running'),
        el('td', {}, when(t.started_at)),
        el('td', {}, when(t.ended_at)),
        el('td', {}, duration(t.started_at, t.ended_at)),
        el('td', {}, ...t.jobs.map((j) => el('a', { href: j.url }, `${j.service} ${j.id}`))),
        el('td', {}, t.message || ''),
      ),
    ),
  );
}

async function showReports() {
  /** @type {Answer<ReportList>} */
  const answer = await api(`${path}/reports`);
  if (!answer.ok) return;
  const { reports } = answer.body;
  byId('report-count').textContent = String(reports.length);
  byId('reports').replaceChildren(
    ...reports.map((r) =>
      el(
        'tr',
        { class: r.report_type === 'ERROR' ? 'bad' : undefined },
        el('td', { class: 'nowrap' }, r.report_time.replace('T', ' ')),
        el('td', {}, r.report_type),
        el('td', {}, r.message),
      ),
    ),
  );
}

async function refresh() {
  /** @type {Answer<HandoverProgress>} */
  const answer = await api(path);
  if (!answer.ok) {
    byId('status').textContent = answer.body?.error || `error ${answer.status}`;
    return;
  }
  const h = answer.body;
  const name = h.spec.tgt_uri.split('/').pop() ?? '';
  document.title = `Handover ${name} – ${h.status}`;
  byId('db').textContent = name.replace(/\.sqlite$/, '');
  byId('status').replaceChildren(badge(h.status));
  byId('step').textContent = h.status === 'running' ? `current step: ${h.step}` : '';
  showJob(h);
  const progress = byId('progress', HTMLProgressElement);
  progress.max = h.progress.total;
  progress.value = h.progress.complete;
  byId('progress-text').textContent = `${h.progress.complete} of ${h.progress.total}`;
  showFailure(h);
  showFacts(h);
  showTimeline(h);
  // The forms follow the status shown, at once (not after the reports have been fetched).
  byId('cancel-form').hidden = h.status !== 'running';
  byId('restart-form').hidden = h.status !== 'failed' && h.status !== 'cancelled';
  if (h.status !== 'running') clearInterval(timer);
  await showReports();
}

async function cancel() {
  const reason = byId('reason', HTMLInputElement).value || undefined;
  /** @type {Answer<unknown>} */
  const answer = await api(`${path}/cancel`, { method: 'POST', body: JSON.stringify({ by: 'web page', reason }) });
  byId('cancel-result').textContent =
    answer.status === 202 ? 'Cancelling…' : `Could not cancel: ${(!answer.ok && answer.body?.error) || answer.status}`;
  await refresh();
}

async function restart() {
  const from = byId('from', HTMLSelectElement).value || undefined;
  /** @type {Answer<Submitted>} */
  const answer = await api(`${path}/restart`, { method: 'POST', body: JSON.stringify({ from }) });
  if (answer.ok) location.href = handoverPage(answer.body.token);
  else
    byId('restart-result').textContent = `Could not restart: ${answer.body?.issues?.[0]?.message || answer.body?.error || answer.status}`;
}

byId('cancel-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void cancel();
});
byId('restart-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void restart();
});
void config().then((c) => {
  if (c) byId('temporal', HTMLAnchorElement).href = `${c.temporalWebUrl}/namespaces/${c.namespace}/workflows/${encodeURIComponent(token)}`;
});
// The steps a restart may begin at, from the API (after "the step that failed").
void vocabulary().then((words) => {
  if (words) addOptions(byId('from', HTMLSelectElement), words.restartable_steps);
});
void refresh();
timer = setInterval(() => void refresh(), 1500);
