// @ts-check
/**
 * The list page (index.html): every handover, newest first; search, filters (their lists from GET
 * /vocabulary), sortable columns; it reloads itself every 2 s.
 */
import { addOptions, api, badge, byId, control, duration, el, handoverPage, vocabulary, when } from './app.js';

/** @typedef {import('./types').HandoverRow} HandoverRow */
/** @typedef {import('./types').HandoverList} HandoverList */
/**
 * @template T
 * @typedef {import('./types').Answer<T>} Answer
 */
/** @typedef {keyof HandoverRow | 'duration'} ColumnKey */

/** @type {Array<[ColumnKey, string]>} */
const columns = [
  ['token', 'Token'],
  ['submitted_at', 'Submitted'],
  ['database', 'Database'],
  ['contact', 'Contact'],
  ['update_type', 'Update'],
  ['comment', 'Comment'],
  ['status', 'Status'],
  ['step', 'Current step'],
  ['duration', 'Duration'],
];
/** The filters the API applies (GET /handovers); `search` is applied here, to every column. */
const FILTERS = ['status', 'database', 'contact', 'type', 'update_type'];
/** @type {{ key: ColumnKey, dir: 1 | -1 }} */
let sort = { key: 'submitted_at', dir: -1 };
/** @type {HandoverRow[]} */
let rows = [];
const params = new URLSearchParams(location.search);
const search = byId('search', HTMLInputElement);

/** @param {ColumnKey} key */
function sortBy(key) {
  sort = { key, dir: sort.key === key ? /** @type {1 | -1} */ (-sort.dir) : 1 };
  render();
}

function renderHead() {
  byId('head').replaceChildren(
    ...columns.map(([key, label]) =>
      el(
        'th',
        { scope: 'col', 'aria-sort': sort.key === key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none' },
        el('button', { type: 'button', onclick: () => sortBy(key) }, label, sort.key === key ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''),
      ),
    ),
  );
}

/**
 * What a column sorts by: its text, or for the duration the milliseconds so far.
 * @param {HandoverRow} r
 * @param {ColumnKey} key
 * @returns {string | number}
 */
const value = (r, key) =>
  key === 'duration' ? Date.parse(r.ended_at || new Date().toISOString()) - Date.parse(r.submitted_at ?? '') : (r[key] ?? '');

/**
 * @param {string | number} x
 * @param {string | number} y
 */
const compare = (x, y) => (x < y ? -1 : x > y ? 1 : 0);

function render() {
  renderHead();
  const text = search.value.trim().toLowerCase();
  const shown = rows
    .filter(
      (r) =>
        !text ||
        columns.some(
          ([k]) =>
            k !== 'duration' &&
            String(r[k] ?? '')
              .toLowerCase()
              .includes(text),
        ),
    )
    .sort((a, b) => compare(value(a, sort.key), value(b, sort.key)) * sort.dir);
  byId('rows').replaceChildren(
    ...shown.map((r) =>
      el(
        'tr',
        { 'data-token': r.token },
        el('td', {}, el('a', { href: handoverPage(r.token) }, r.token.slice(0, 8))),
        // Long names wrap; long contacts and comments are cut with an ellipsis, the whole text on hover.
        el('td', {}, when(r.submitted_at)),
        el('td', { class: 'wrap' }, r.database),
        el('td', { class: 'clip', title: r.contact }, r.contact),
        el('td', { class: 'clip', title: r.type ? `${r.type} database` : undefined }, r.update_type || '–'),
        el('td', { class: 'clip', title: r.comment }, r.comment),
        el('td', {}, badge(r.status || 'running')),
        el('td', {}, r.step),
        el('td', {}, duration(r.submitted_at, r.ended_at)),
      ),
    ),
  );
  byId('summary').textContent = `${shown.length} handover(s)`;
}

async function load() {
  const q = new URLSearchParams();
  for (const id of FILTERS) {
    const v = control(id).value.trim();
    if (v) q.set(id, v);
  }
  /** @type {Answer<HandoverList>} */
  const answer = await api(`/handovers?${q}`);
  if (answer.ok) {
    rows = answer.body.handovers;
    render();
  } else byId('summary').textContent = `Could not load handovers: ${answer.body?.error || answer.status}`;
}

// The lists come from the API (GET /vocabulary), then the filters given in the address are set.
const words = await vocabulary();
if (words) {
  addOptions(byId('status', HTMLSelectElement), words.statuses);
  addOptions(byId('update_type', HTMLSelectElement), words.update_types);
  addOptions(byId('database-types', HTMLDataListElement), words.database_types);
}
for (const id of [...FILTERS, 'search']) {
  const given = params.get(id);
  if (given) control(id).value = given;
}
byId('filters').addEventListener('input', (event) => (event.target === search ? render() : void load()));
byId('filters').addEventListener('submit', (event) => event.preventDefault());
void load();
setInterval(() => void load(), 2000); // live: the list follows running handovers without a reload
