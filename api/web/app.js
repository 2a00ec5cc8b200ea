// Shared by the three pages: fetch helpers and small renderers. Plain browser JavaScript, no build step.
const api = async (path, options = {}) => {
  const res = await fetch(path, { headers: { 'content-type': 'application/json' }, ...options });
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  return { status: res.status, body };
};
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
