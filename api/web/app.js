// Shared by the three pages: fetch helpers and small renderers. Plain browser JavaScript, no build step.
// With HANDOVER_API_KEYS the API answers 401 until it gets a key: the page asks once (askForKey) and
// keeps it for this tab (sessionStorage), then retries. An open API never answers 401: no prompt.
const KEY = 'handover-api-key';
let keyPrompt; // the open prompt, shared by every request that is waiting for a key
const waiting = new Map(); // GET path -> its answer, while the prompt is open (polls don't pile up)
const api = async (path, options = {}) => {
  const method = (options.method || 'GET').toUpperCase();
  if (keyPrompt && method === 'GET' && waiting.has(path)) return waiting.get(path);
  const key = sessionStorage.getItem(KEY);
  const headers = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers };
  const res = await fetch(path, { ...options, headers });
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 403 && key && body && !body.token && !body.issues) offerAnotherKey();
  if (res.status !== 401) return { status: res.status, body };
  const retry = (async () => {
    keyPrompt ??= askForKey(key ? `That key was not accepted: ${(body && body.error) || 401}` : '').finally(() => { keyPrompt = undefined; waiting.clear(); });
    await keyPrompt;
    return api(path, options);
  })();
  if (method === 'GET') waiting.set(path, retry);
  return retry;
};
// A 403 for the key itself (its role is too low, or not its handover): the page says why; this offers a way to use another key.
function offerAnotherKey() {
  if (document.getElementById('another-key')) return;
  (document.querySelector('main') || document.body).prepend(el('p', { id: 'another-key', class: 'hint' }, 'This tab uses an API key that may not do everything here. ',
    el('button', { type: 'button', onclick: () => { sessionStorage.removeItem(KEY); location.reload(); } }, 'Use another API key')));
}
function askForKey(problem) {
  return new Promise((resolve) => {
    const input = el('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'api-key-hint api-key-error', spellcheck: 'false' });
    const form = el('form', { id: 'key-form', class: 'notice', 'aria-labelledby': 'key-form-title' },
      el('h2', { id: 'key-form-title' }, 'This Handover API needs a key'),
      el('div', { class: 'field' }, el('label', { for: 'api-key' }, 'API key'), input,
        el('span', { id: 'api-key-hint', class: 'hint' }, 'Kept for this tab only, until it is closed.'),
        el('span', { id: 'api-key-error', class: 'error', role: 'alert' }, problem)),
      el('button', { class: 'primary', type: 'submit' }, 'Use this key'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) { form.querySelector('#api-key-error').textContent = 'Enter the API key you were given.'; input.focus(); return; }
      sessionStorage.setItem(KEY, value);
      form.remove();
      resolve();
    });
    (document.querySelector('main') || document.body).prepend(form);
    input.focus();
  });
}
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
  return node;
};
const badge = (status) => el('span', { class: `badge ${status}` }, status);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
const duration = (from, to) => {
  if (!from) return '';
  const s = Math.max(0, Math.round(((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
};
const handoverPage = (token) => `/ui/handover.html?token=${encodeURIComponent(token)}`;
let configPromise;
const config = () => (configPromise ??= api('/ui/config.json').then((r) => r.body));
