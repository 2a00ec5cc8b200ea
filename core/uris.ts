/**
 * URI facts the handover and the local stack share (core/ imports nothing of the project, so both sides may import it
 * without the stack importing the handover's code): the longest URI either reads, and redaction.
 */

/** Longest URI read at all: a longer one is refused before any parsing or pattern runs. */
export const MAX_URI_LENGTH = 2048;

/**
 * Every `scheme://user:password@` of the text as `scheme://user:***@`, in one left-to-right scan.
 * The authority after `://` ends at the first `/`, `?`, `#`, whitespace or the end; its user
 * information runs to its LAST `@` (as the URL standard and SQLAlchemy read it: in
 * `mysql://u:hunter@2secret@h/db` the password is `hunter@2secret`), and the user to its first `:`.
 * A text that is one URI (it begins with `scheme://`) is read as the URL parser reads it: its first
 * authority ends at `/ ? #` only (a password may hold a space), and when the parser refuses it (an
 * unencoded `/ ? #` in the password) its user information runs to the last `@` of the text.
 * Linear in the text: no backtracking pattern. Tested against tests/fixtures/redaction-vectors.json through
 * both callers (common/db-uri.ts redactText, services/db/uri.ts safe).
 */
export function redactUris(text: string): string {
  const parts: string[] = [];
  let done = 0; // text before this index is in parts
  let from = 0;
  const whole = SCHEME_START.test(text) && text.length <= MAX_URI_LENGTH;
  for (let first = true; ; first = false) {
    const sep = text.indexOf('://', from);
    if (sep < 0) break;
    const start = sep + 3;
    from = start;
    if (sep === 0 || !SCHEME_CHAR.test(text[sep - 1])) continue;
    const oneUri = first && whole;
    let end = start;
    let at = -1;
    let colon = -1;
    for (; end < text.length; end++) {
      const c = text.charCodeAt(end);
      if (c === 0x2f || c === 0x3f || c === 0x23 || (!oneUri && isSpace(c))) break; // / ? # (whitespace)
      if (c === 0x40)
        at = end; // @
      else if (c === 0x3a && colon < 0) colon = end; // :
    }
    if (at < 0 && oneUri && !parses(text)) {
      at = text.lastIndexOf('@');
      if (at >= start) end = at + 1;
      else at = -1;
      colon = text.indexOf(':', start); // once per text: this is its one URI
    }
    from = Math.max(start, end - 1); // `h://` may begin at the `:` that ends an authority (`a://b:c@h://…`)
    if (at < 0 || colon < 0 || colon > at) continue; // no user information, or a user without a password
    parts.push(text.slice(done, colon), ':***');
    done = at;
  }
  parts.push(text.slice(done));
  return parts.join('');
}

const SCHEME_START = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0xfeff;
const parses = (uri: string) => {
  try {
    new URL(uri);
    return true;
  } catch {
    return false;
  }
};
