/**
 * An HTTP proxy on a fixed port, in front of one job service, whose misbehaviour a test switches at will:
 *
 * - `pass`: forwards each request and its answer as they are;
 * - `refuse`: not listening at all (the server is closed, its open connections dropped; it listens again on the
 *   same port when the mode changes), so clients get ECONNREFUSED;
 * - `error500`: answers 500 itself, forwarding nothing;
 * - `slow`: forwards the request at once (the service does the work: a submission creates its job), then holds
 *   the answer `slowDelaysMs[i]` ms (taken in turn), which may be longer than the client waits.
 *
 * `seen` counts the requests per mode. A refused connection never reaches the proxy, so `refuse` is counted on
 * the client's side: `watchRefusals()` wraps this process's global fetch (the worker's activities run in the
 * test's process and take `fetch` when they are created, so call it before the worker starts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from './ports';

export type FaultMode = 'pass' | 'refuse' | 'error500' | 'slow';

export interface ProxiedRequest {
  mode: FaultMode;
  method: string;
  path: string;
  /** What the client got: the status, or 'refused' / 'gone' (the client had gone before a slow answer was ready). */
  answer: number | 'refused' | 'gone';
  /** How long a slow answer was held. */
  delayMs?: number;
}

export class FaultProxy {
  mode: FaultMode = 'pass';
  /** Held in turn by `slow` answers. */
  slowDelaysMs: number[] = [1000];
  readonly seen: Record<FaultMode, number> = { pass: 0, refuse: 0, error500: 0, slow: 0 };
  readonly requests: ProxiedRequest[] = [];
  port = 0;
  private target?: URL;
  private server?: http.Server;
  private slowTurn = 0;

  /** Listens on `port` (default: a free one); from then on the port never changes. */
  async start(port?: number): Promise<void> {
    this.port = port ?? (await freePort());
    await this.listen();
  }

  /** Where requests go: the service's origin (http://host:port); paths are forwarded unchanged. */
  setTarget(url: string): void {
    this.target = new URL(new URL(url).origin);
  }

  /** The proxy's address with `path` (e.g. `/copy` for the fake services' copy service). */
  url(path = ''): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async setMode(mode: FaultMode): Promise<void> {
    if (mode === this.mode) return;
    if (mode === 'refuse') await this.close();
    else if (this.mode === 'refuse') await this.listen();
    this.mode = mode;
  }

  /**
   * Counts, as `refuse`, every request of this process's fetch to the proxy's port that found nothing listening.
   * Returns the function that puts the original fetch back.
   */
  watchRefusals(): () => void {
    const original = globalThis.fetch;
    const watched: typeof fetch = async (input, init) => {
      try {
        return await original(input, init);
      } catch (err) {
        const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
        const code = ((err as Error).cause as { code?: string } | undefined)?.code;
        if (url.port === String(this.port) && code === 'ECONNREFUSED') {
          this.seen.refuse++;
          this.requests.push({ mode: 'refuse', method: init?.method ?? 'GET', path: url.pathname + url.search, answer: 'refused' });
        }
        throw err;
      }
    };
    globalThis.fetch = watched;
    return () => {
      if (globalThis.fetch === watched) globalThis.fetch = original;
    };
  }

  async stop(): Promise<void> {
    await this.close();
  }

  private async listen(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    // The port was ours a moment ago; if something took it meanwhile, say so rather than move.
    for (let attempt = 1; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(this.port, '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (err) {
        if (attempt === 10) throw new Error(`the fault proxy could not listen again on port ${this.port}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise((r) => server.close(r));
    server.closeAllConnections(); // kept-alive connections too: nothing gets through while refusing
    await closed;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const mode = this.mode;
    const record: ProxiedRequest = { mode, method: req.method ?? 'GET', path: req.url ?? '/', answer: 0 };
    this.seen[mode]++;
    this.requests.push(record);
    if (mode === 'error500' || !this.target) {
      record.answer = 500;
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'injected fault: 500' }));
      return;
    }
    const delayMs = mode === 'slow' ? this.slowDelaysMs[this.slowTurn++ % this.slowDelaysMs.length] : 0;
    if (mode === 'slow') record.delayMs = delayMs;
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
    });
    const upstream = http.request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.target.host },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const send = () => {
            if (clientGone || res.destroyed) {
              record.answer = 'gone';
              return;
            }
            record.answer = answer.statusCode ?? 502;
            const headers = { ...answer.headers };
            delete headers['transfer-encoding'];
            delete headers.connection;
            res.writeHead(answer.statusCode ?? 502, headers).end(Buffer.concat(chunks));
          };
          if (delayMs > 0) setTimeout(send, delayMs);
          else send();
        });
      },
    );
    upstream.on('error', (err) => {
      record.answer = 502;
      if (!res.headersSent && !res.destroyed)
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `proxy: ${err.message}` }));
    });
    req.pipe(upstream);
  }
}
