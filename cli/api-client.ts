/** The Handover API over HTTP, with errors a person can read. */
import type { BatchProgress, ErrorAnswer, HandoverProgress, HandoverReport, HandoverRow } from '../api/types';

export type ListRow = HandoverRow;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: Array<{ field: string; message: string }> = [],
  ) {
    super(message);
  }
}

export class ApiClient {
  constructor(
    private readonly base: string,
    private readonly key?: string,
  ) {}

  submit(body: Record<string, string | undefined>) {
    return this.call<{ token: string; status_url: string }>('POST', '/handovers', body);
  }
  progress(token: string) {
    return this.call<HandoverProgress>('GET', `/handovers/${encodeURIComponent(token)}`);
  }
  async reports(token: string) {
    return (await this.call<{ reports: HandoverReport[] }>('GET', `/handovers/${encodeURIComponent(token)}/reports`)).reports;
  }
  async list(filters: Record<string, string | undefined>) {
    const query = new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => !!e[1]));
    return (await this.call<{ handovers: ListRow[] }>('GET', `/handovers?${query}`)).handovers;
  }
  cancel(token: string, body: { by?: string; reason?: string }) {
    return this.call('POST', `/handovers/${encodeURIComponent(token)}/cancel`, body);
  }
  batch(body: { contact: string; handovers: Array<Record<string, string | undefined>> }) {
    return this.call<{ batch_id: string; status_url: string; tokens: string[] }>('POST', '/batches', body);
  }
  batchStatus(id: string) {
    return this.call<BatchProgress>('GET', `/batches/${encodeURIComponent(id)}`);
  }
  restart(token: string, from?: string) {
    return this.call<{ token: string }>('POST', `/handovers/${encodeURIComponent(token)}/restart`, from ? { from } : {});
  }

  private async call<T>(method: string, path: string, body?: object): Promise<T> {
    const url = `${this.base.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(this.key ? { authorization: `Bearer ${this.key}` } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      throw new Error(
        `cannot reach the Handover API at ${this.base} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); ` +
          `set --api or HANDOVER_API_URL`,
      );
    }
    const answer: unknown = await res.json().catch(() => ({}));
    if (res.status >= 400) {
      // The API's refusals have this shape; anything else in front of it (a proxy) may answer without some fields.
      const refusal = answer as Partial<ErrorAnswer>;
      const extra =
        res.status === 409 && refusal.token
          ? ` (running: ${refusal.token})`
          : res.status === 401
            ? `; give the key with --api-key or HANDOVER_API_KEY${this.key ? ' (the one given was refused)' : ''}`
            : '';
      throw new ApiError(res.status, `${refusal.error ?? `the API answered ${res.status}`}${extra}`, refusal.issues);
    }
    return answer as T;
  }
}
