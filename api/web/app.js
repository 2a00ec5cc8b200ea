// @ts-check
/**
 * Shared by the three pages (an ES module they import): fetch helpers and small renderers. Plain
 * browser JavaScript, no build step; typed with JSDoc and checked by `tsc -p api/web` (types.d.ts).
 * With HANDOVER_API_KEYS the API answers 401 until it gets a key: the page asks once (askForKey) and
 * keeps it for this tab (sessionStorage), then retries. An open API never answers 401: no prompt.
 * The pages run under a strict Content-Security-Policy (api/routes/web.ts): no inline script, no
 * inline style, no inline event handler; listeners are added here with addEventListener.
 */

/** @typedef {import('./types').ApiError} ApiError */
/** @typedef {import('./types').PageConfig} PageConfig */
/** @typedef {import('./types').Vocabulary} Vocabulary */
/**
 * @template T
 * @typedef {import('./types').Answer<T>} Answer
 */
/** @typedef {Node | string | number | null | undefined} Child */
/** @typedef {string | number | boolean | null | undefined | ((event: Event) => void)} Attribute */

const KEY = 'handover-api-key';
/** @type {Promise<void> | undefined} the open prompt, shared by every request that is waiting for a key */
let keyPrompt;
/** @type {Map<string, Promise<Answer<any>>>} GET path -> its answer, while the prompt is open (polls don't pile up) */
const waiting = new Map();

/**
 * A request to the API, with the tab's key when it has one: `ok` and the body for a 2xx answer, else
 * the refusal (`{error, issues?, token?}`, or null). The body's type comes from the caller's annotation.
 * @template T
 * @param {string} path
 * @param {Omit<RequestInit, 'headers'> & { headers?: Record<string, string> }} [options]
 * @returns {Promise<Answer<T>>}
 */
export async function api(path, options = {}) {
  const method = (options.method || 'GET').toUpperCase();
  const pending = keyPrompt && method === 'GET' ? waiting.get(path) : undefined;
  if (pending) return pending;
  const key = sessionStorage.getItem(KEY);
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers };
  const res = await fetch(path, { ...options, headers });
  /** @type {any} */
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 403 && key && body && !body.token && !body.issues) offerAnotherKey();
  if (res.status !== 401) return res.ok ? { ok: true, status: res.status, body } : { ok: false, status: res.status, body };
  /** @type {Promise<Answer<T>>} */
  const retry = (async () => {
    keyPrompt ??= askForKey(key ? `That key was not accepted: ${(body && body.error) || 401}` : '').finally(() => {
      keyPrompt = undefined;
      waiting.clear();
    });
    await keyPrompt;
    return api(path, options);
  })();
  if (method === 'GET') waiting.set(path, retry);
  return retry;
}

/** A 403 for the key itself (its role is too low, or not its handover): the page says why; this offers a way to use another key. */
function offerAnotherKey() {
  if (document.getElementById('another-key')) return;
  const another = () => {
    sessionStorage.removeItem(KEY);
    location.reload();
  };
  (document.querySelector('main') || document.body).prepend(
    el(
      'p',
      { id: 'another-key', class: 'hint' },
      'This tab uses an API key that may not do everything here. ',
      el('button', { type: 'button', onclick: another }, 'Use another API key'),
    ),
  );
}

/**
 * Asks for the API key in a form at the top of the page; resolves once one is entered.
 * @param {string} problem why it is asked again (empty the first time)
 * @returns {Promise<void>}
 */
function askForKey(problem) {
  return new Promise((resolve) => {
    const input = el('input', {
      id: 'api-key',
      type: 'password',
      autocomplete: 'off',
      required: true,
      'aria-describedby': 'api-key-hint api-key-error',
      spellcheck: 'false',
    });
    const error = el('span', { id: 'api-key-error', class: 'error', role: 'alert' }, problem);
    const form = el(
      'form',
      { id: 'key-form', class: 'notice', 'aria-labelledby': 'key-form-title' },
      el('h2', { id: 'key-form-title' }, 'This Handover API needs a key'),
      el(
        'div',
        { class: 'field' },
        el('label', { for: 'api-key' }, 'API key'),
        input,
        el('span', { id: 'api-key-hint', class: 'hint' }, 'Kept for this tab only, until it is closed.'),
        error,
      ),
      el('button', { class: 'primary', type: 'submit' }, 'Use this key'),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) {
        error.textContent = 'Enter the API key you were given.';
        input.focus();
        return;
      }
      sessionStorage.setItem(KEY, value);
      form.remove();
      resolve();
    });
    (document.querySelector('main') || document.body).prepend(form);
    input.focus();
  });
}

/**
 * A new element: attributes (`class`; a function is an event listener, `onclick` → click; null,
 * undefined and false are left out; true is an empty attribute) and children (text or nodes).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, Attribute>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') node.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'class') node.className = String(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
  return node;
}

/**
 * The page's element with this id, checked to be of the expected kind (a missing one is a bug in the page).
 * @template {HTMLElement} [E=HTMLElement]
 * @param {string} id
 * @param {{ new (): E }} [kind] e.g. HTMLInputElement
 * @returns {E}
 */
export function byId(id, kind) {
  const node = document.getElementById(id);
  if (!node || !(node instanceof (kind ?? HTMLElement))) throw new Error(`the page has no ${kind ? `${kind.name} ` : ''}#${id}`);
  return /** @type {E} */ (node);
}

/**
 * A form control (input, select or textarea) by id: its `value` is what a filter or field holds.
 * @param {string} id
 * @returns {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement}
 */
export function control(id) {
  const node = byId(id);
  if (node instanceof HTMLInputElement || node instanceof HTMLSelectElement || node instanceof HTMLTextAreaElement) return node;
  throw new Error(`#${id} is not a form control`);
}

/**
 * Adds an option per value after the options already there (the page's "any" or "choose" option).
 * @param {HTMLSelectElement | HTMLDataListElement} list
 * @param {readonly string[]} values
 * @param {(value: string) => string} [label]
 */
export function addOptions(list, values, label = (value) => value) {
  list.append(...values.map((value) => el('option', { value }, label(value))));
}

/** @param {string} status */
export const badge = (status) => el('span', { class: `badge ${status}` }, status);

/** @param {string | undefined} iso */
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

/**
 * @param {string | undefined} from
 * @param {string | undefined} [to] still running when absent
 */
export function duration(from, to) {
  if (!from) return '';
  const s = Math.max(0, Math.round(((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000));
  return s < 60
    ? `${s} s`
    : s < 3600
      ? `${Math.floor(s / 60)} min ${s % 60} s`
      : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** @param {string} token */
export const handoverPage = (token) => `/ui/handover.html?token=${encodeURIComponent(token)}`;

/** @type {Promise<PageConfig | null> | undefined} */
let configPromise;
/** Where the Temporal Web UI is (GET /ui/config.json), asked once per page. */
export const config = () =>
  (configPromise ??= api('/ui/config.json').then(/** @param {Answer<PageConfig>} r */ (r) => (r.ok ? r.body : null)));

/** @type {Promise<Vocabulary | null> | undefined} */
let vocabularyPromise;
/** The lists the pages choose from (GET /vocabulary): steps, statuses, update and database types. Null if the API refused. */
export const vocabulary = () =>
  (vocabularyPromise ??= api('/vocabulary').then(/** @param {Answer<Vocabulary>} r */ (r) => (r.ok ? r.body : null)));
