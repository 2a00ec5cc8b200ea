/** The web pages: plain files from api/web, read once at start-up; `/` leads to the list. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

const WEB = path.join(__dirname, '..', 'web');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

export function webRoutes(app: FastifyInstance, settings: { temporalWebUrl: string; namespace: string }): void {
  const files = new Map(readdirSync(WEB).map((name) => [name, readFileSync(path.join(WEB, name))]));
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui/index.html'));
  app.get('/ui/config.json', { schema: { hide: true } }, async () => settings);
  app.get<{ Params: { file: string } }>('/ui/:file', { schema: { hide: true } }, async (request, reply) => {
    const body = files.get(request.params.file);
    if (!body) return reply.code(404).send({ error: 'no such page' });
    return reply.type(TYPES[path.extname(request.params.file)] ?? 'application/octet-stream').send(body);
  });
}
