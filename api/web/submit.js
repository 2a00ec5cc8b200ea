// @ts-check
/**
 * The submit page (submit.html): the update types in force come from GET /vocabulary, whether
 * handover is open from GET /admission; the API's own field errors appear next to each field.
 */
import { addOptions, api, byId, control, el, handoverPage, vocabulary } from './app.js';

/** @typedef {import('./types').Admission} Admission */
/** @typedef {import('./types').ApiError} ApiError */
/** @typedef {import('./types').Submitted} Submitted */
/** @typedef {NonNullable<ApiError['issues']>} Issues */
/**
 * @template T
 * @typedef {import('./types').Answer<T>} Answer
 */

const form = byId('form', HTMLFormElement);
const fields = ['src_uri', 'tgt_uri', 'contact', 'type', 'comment'];
const result = byId('result');
/** @type {Record<string, string>} */
const labels = { src_uri: 'Source', tgt_uri: 'Target', contact: 'Contact', type: 'Update type', comment: 'Comment' };

/** @param {Issues} issues the API's, one per field at fault (none clears them) */
function showErrors(issues) {
  for (const f of fields) {
    const issue = issues.find((i) => i.field === f);
    byId(`${f}-error`).textContent = issue ? `${labels[f]} ${issue.message}` : '';
    control(f).setAttribute('aria-invalid', issue ? 'true' : 'false');
  }
  const first = fields.find((f) => issues.some((i) => i.field === f));
  if (first) control(first).focus();
}

/** @param {...(string | Node)} content */
const say = (...content) => result.replaceChildren(el('p', { class: 'notice bad' }, ...content));

async function showTypes() {
  // The update types in force (HANDOVER_UPDATE_TYPES), as the API accepts them.
  const words = await vocabulary();
  if (words) addOptions(byId('type', HTMLSelectElement), words.update_types, (type) => type.replace(/_/g, ' '));
}

async function showWhetherOpen() {
  /** @type {Answer<Admission>} */
  const admission = await api('/admission');
  if (admission.ok && !admission.body.open) {
    const closed = byId('closed');
    closed.textContent = 'Handover is closed: no database types are being taken now.';
    closed.hidden = false;
    const button = form.querySelector('button[type=submit]');
    if (button instanceof HTMLButtonElement) button.disabled = true;
  }
}

/** @param {SubmitEvent} event */
async function submit(event) {
  event.preventDefault();
  result.replaceChildren();
  /** @type {Record<string, string>} */
  const body = {};
  for (const f of fields) {
    const v = control(f).value.trim();
    if (v) body[f] = v;
  }
  /** @type {Answer<Submitted>} */
  const answer = await api('/handovers', { method: 'POST', body: JSON.stringify(body) });
  if (answer.ok) {
    const { token } = answer.body;
    showErrors([]);
    result.replaceChildren(el('p', { class: 'notice' }, 'Submitted. Token: ', el('a', { href: handoverPage(token), id: 'token' }, token)));
    if (!byId('another', HTMLInputElement).checked) setTimeout(() => (location.href = handoverPage(token)), 800);
    return;
  }
  const { status } = answer;
  const refusal = answer.body ?? {};
  const issues = refusal.issues ?? [];
  if (status === 400) {
    showErrors(issues);
    say('Please correct the fields marked above. Nothing was started.');
  } else if ((status === 403 && refusal.token) || (status === 422 && refusal.token)) {
    // A refusal recorded as a rejected handover. (A 403 without a token: the API key's role is too low, the last branch shows why.)
    showErrors(issues);
    say(
      `${status === 403 ? 'Handover is closed' : 'Refused'}: ${issues.map((i) => i.message).join('; ')} (recorded as `,
      el('a', { href: handoverPage(refusal.token) }, 'rejected'),
      ')',
    );
  } else if (status === 409 && refusal.token) {
    showErrors([]);
    say('This database is already being handed over: ', el('a', { href: handoverPage(refusal.token) }, refusal.token));
  } else {
    say(`The handover could not be submitted: ${refusal.error || status}`);
  }
}

form.addEventListener('submit', (event) => void submit(event));
void showTypes();
void showWhetherOpen();
