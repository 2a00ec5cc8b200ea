/**
 * Requests as people type them: `curl -XPOST .../cancel` with no body, with `-d ''` (a form type) or
 * with a JSON content type and nothing after it, all mean "no body", which the route's schema then
 * accepts or refuses with its usual per-field answer (Fastify validates a missing body as null: a route
 * whose body may be left out says `.nullish()`). A form body that is not empty is refused (415).
 */
import type { FastifyInstance } from 'fastify';

export function acceptEmptyBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (String(body).trim() === '') return done(null, undefined);
    // Fastify's default JSON parser answers through `done` and returns nothing (its type also allows the promise form).
    void parseJson(request, String(body), done);
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    if (String(body).trim() === '') return done(null, undefined);
    done(Object.assign(new Error('send the body as JSON (content-type: application/json)'), { statusCode: 415 }), undefined);
  });
}
