/**
 * Completion callbacks: a submission may carry `callback_url`; when its job ends (complete or failed) the
 * service POSTs `{job_id, status}` there once. Best effort: the caller still polls to learn the outcome, so a
 * callback that fails is only logged (by host, never the URL: it carries a signature). No redirects are
 * followed and nothing of the answer is read.
 */
const MAX_URL = 2048;
const TIMEOUT_MS = 5000;

/** What is wrong with a submission's callback_url, or undefined (absent is fine). */
export function callbackProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_URL) return `callback_url must be an http(s) URL of at most ${MAX_URL} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'callback_url must be an http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'callback_url must be an http(s) URL';
  if (url.username || url.password) return 'callback_url must not carry credentials';
  return undefined;
}

/** POSTs the job's end to its callback URL, if it has a valid one; never throws. */
export async function callBack(service: string, input: Record<string, unknown>, job: { id: number; status: string }): Promise<void> {
  const url = input.callback_url;
  if (typeof url !== 'string' || callbackProblem(url)) return;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job_id: job.id, status: job.status }),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status >= 400)
      console.warn(`${service} service: the completion callback of job ${job.id} to ${new URL(url).host} answered ${res.status}`);
  } catch (err) {
    console.warn(
      `${service} service: the completion callback of job ${job.id} to ${new URL(url).host} failed (${(err as Error).name}); ` +
        `the caller will poll`,
    );
  }
}
