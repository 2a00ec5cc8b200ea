/**
 * The web pages: plain files from api/web (HTML, CSS and ES modules), read once at start-up; `/` leads
 * to the list. Served with a strict Content-Security-Policy: scripts, styles and requests only from
 * this origin (no inline script, style or event handler: the pages' scripts are files), never framed.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PROJECT_ROOT } from '../../common/project-paths';

// From the repository, so the compiled API (dist/js/api/) serves the same files.
const WEB = path.join(PROJECT_ROOT, 'api', 'web');
/** What is served, by extension: anything else in api/web (types.d.ts, tsconfig.json) is for the type check only. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** The pages' policy: everything from this origin only (images may also be `data:` URLs, e.g. small icons in the CSS). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Sent with every answer of the page routes (/, /ui/*). */
export const PAGE_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const withPageHeaders = (reply: FastifyReply) => reply.headers(PAGE_HEADERS);

export function webRoutes(app: FastifyInstance, settings: { temporalWebUrl: string; namespace: string }): void {
  const files = new Map(
    readdirSync(WEB)
      .filter((name) => path.extname(name) in TYPES)
      .map((name) => [name, readFileSync(path.join(WEB, name))]),
  );
  // The page and its files load without a key, so the page can ask for one; its settings need a read key.
  app.get('/', { config: { role: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    withPageHeaders(reply).redirect('/ui/index.html'),
  );
  app.get('/ui/config.json', { config: { role: 'read' }, schema: { hide: true } }, async (_request, reply) =>
    withPageHeaders(reply).send(settings),
  );
  app.get<{ Params: { file: string } }>('/ui/:file', { config: { role: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const body = files.get(request.params.file);
    withPageHeaders(reply);
    if (!body) return reply.code(404).send({ error: 'no such page' });
    return reply.type(TYPES[path.extname(request.params.file)] ?? 'application/octet-stream').send(body);
  });
}
