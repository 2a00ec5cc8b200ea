/**
 * Open mode (no HANDOVER_API_KEYS) serves this machine only: a reverse proxy on the same host connects
 * from loopback and sends `Host: 127.0.0.1`, so a request carrying a proxy's headers is refused with
 * the reason (403), except the health probes. With inject(), and through a real proxy over real HTTP.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROXY_HEADERS } from '../../api/auth';
import { type Harness, startHarness } from '../helpers/harness';

const REASON =
  'open mode serves this machine only; a request forwarded by a proxy (Forwarded / X-Forwarded-For) needs an API key: ' +
  'set HANDOVER_API_KEYS';
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

const proxyHeaders: Record<string, string> = {
  forwarded: 'for=203.0.113.7;proto=https',
  'x-forwarded-for': '203.0.113.7',
  'x-real-ip': '203.0.113.7',
  'x-forwarded-host': 'handover.example.org',
  'x-forwarded-proto': 'https',
  'x-forwarded-port': '443',
  'x-forwarded-server': 'proxy.example.org',
  via: '1.1 proxy.example.org (squid)',
  'true-client-ip': '203.0.113.7',
  'cf-connecting-ip': '203.0.113.7',
  'x-client-ip': '203.0.113.7',
};

test('every proxy header is refused on every kind of route, with the reason; without them the same requests are served', async () => {
  expect(Object.keys(proxyHeaders).sort()).toEqual([...PROXY_HEADERS].sort());
  const requests: Array<{ method: 'GET' | 'POST'; url: string; payload?: object; served: number }> = [
    { method: 'GET', url: '/handovers?limit=1', served: 200 },
    { method: 'GET', url: '/admission', served: 200 },
    { method: 'GET', url: '/', served: 302 }, // to the list page
    { method: 'POST', url: '/handovers', payload: {}, served: 400 },
    { method: 'POST', url: '/handovers/no-such-token/cancel', served: 404 },
    { method: 'GET', url: '/no/such/route', served: 404 },
  ];
  for (const r of requests) {
    expect((await h.app.inject({ method: r.method, url: r.url, payload: r.payload, headers: { host: '127.0.0.1:8080' } })).statusCode).toBe(
      r.served,
    );
    for (const [name, value] of Object.entries(proxyHeaders)) {
      const res = await h.app.inject({
        method: r.method,
        url: r.url,
        payload: r.payload,
        headers: { host: '127.0.0.1:8080', [name]: value },
      });
      expect([r.url, name, res.statusCode]).toEqual([r.url, name, 403]);
      expect(res.json().error).toBe(`${REASON} (this request carries ${name})`);
    }
  }
  // The health probes say nothing and change nothing: a load balancer behind a proxy may poll them.
  for (const url of ['/health', '/health/live']) {
    expect((await h.app.inject({ method: 'GET', url, headers: { host: '127.0.0.1:8080', ...proxyHeaders } })).statusCode).toBe(200);
  }
});

test(
  'through a real reverse proxy on this machine (Host: 127.0.0.1, X-Forwarded-For added): 403 with the reason; ' + 'directly: served',
  async () => {
    const api = new URL(await h.app.listen({ host: '127.0.0.1', port: 0 }));
    // The smallest reverse proxy: what nginx's `proxy_set_header X-Forwarded-For $remote_addr` does, Host rewritten to the upstream.
    const proxy = http.createServer((req, res) => {
      const upstream = http.request(
        {
          host: api.hostname,
          port: api.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: `127.0.0.1:${api.port}`, 'x-forwarded-for': req.socket.remoteAddress ?? '' },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const via = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const proxied = await fetch(`${via}/handovers?limit=1`);
      expect(proxied.status).toBe(403);
      expect(((await proxied.json()) as { error: string }).error).toBe(`${REASON} (this request carries x-forwarded-for)`);
      const cancel = await fetch(`${via}/handovers/no-such-token/cancel`, { method: 'POST' });
      expect(cancel.status).toBe(403);
      expect((await fetch(`${via}/health`)).status).toBe(200);
      expect((await fetch(`${api.origin}/handovers?limit=1`)).status).toBe(200);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  },
);
