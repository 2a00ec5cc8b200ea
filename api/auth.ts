/**
 * Who may call what (HANDOVER_API_KEYS), and how often (@fastify/rate-limit).
 *
 * Without keys the API is open: every caller is ANONYMOUS (every right), api/main.ts listens on
 * loopback only, and only requests addressed to localhost and not forwarded by a proxy are served. With keys, every route but
 * GET /health (/health/live, /health/ready) and the page files needs
 * `Authorization: Bearer <key>`: 401 without a key or with an unknown one, 403 when the key's role
 * is below what the route needs (its `config.role`; a route that declares none is refused to
 * everyone, in open mode too). The caller (the key's name and role) is then
 * `request.caller`; whose handover it is, is the service's business.
 *
 * Order on each request: onRequest (app.ts: ANONYMOUS) → onRequest here: who is it, and may they? →
 * the rate limit (a route-level onRequest hook, so after ours: it counts per key name, or per
 * address without a valid key, so guessing keys is limited too) → preParsing here: the 401/403,
 * before any body is read.
 */
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import { msToNumber } from '@temporalio/common/lib/time';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Config } from '../common/config';
import { hostOfHeader, isLoopbackHost } from '../core/addresses';
import { type Caller, ROLES, type Role, hasRole } from './caller';
import { parseApiKeys } from './keys';

/** A request on a keyed API that has not shown a valid key (it only reaches the public routes). */
export const UNAUTHENTICATED: Caller = { name: 'unauthenticated', role: 'read', authenticated: false };

/**
 * What a route needs, declared where the route is defined (`config: { role }`): a role, or nothing
 * (`public`). `key` is for a URL that is no route: any valid key (then 404).
 */
export type Need = Role | 'public' | 'key';
/** What a route may declare. */
export type DeclaredNeed = Exclude<Need, 'key'>;
const DECLARABLE: readonly DeclaredNeed[] = [...ROLES, 'public'];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role the route needs (api/auth.ts). A route that declares none is refused to everyone. */
    role?: DeclaredNeed;
  }
}

/** Never rate-limited: what load balancers poll. (/health/ready is: each call sends a request to every job service.) */
const UNLIMITED = new Set(['/health', '/health/live']);

/** One route and the role it declared, as the onRoute hook saw it (undefined: none declared). */
export interface DeclaredRole {
  method: string;
  url: string;
  role: DeclaredNeed | undefined;
}
/**
 * Every app's routes, so a test can read the roles from the routes themselves. The method and URL are
 * taken at once (Fastify reuses the options for a prefix's trailing-slash twin); the config is read late,
 * since a plugin's own onRoute hook (app.ts gives the documentation's routes theirs) runs after ours.
 */
const declared = new WeakMap<FastifyInstance, Array<{ methods: string[]; url: string; route: RouteOptions }>>();
/** The routes `app` has declared since registerAuth, each with the role it declared. */
export const routeRoles = (app: FastifyInstance): DeclaredRole[] =>
  (declared.get(app) ?? []).flatMap(({ methods, url, route }) => methods.map((method) => ({ method, url, role: route.config?.role })));

/** The role a request's route declared; `key` for a URL that is no route; undefined when the route declared none. */
function needOf(request: FastifyRequest): Need | undefined {
  return request.routeOptions.url === undefined ? 'key' : request.routeOptions.config.role;
}

/** A route that declares no role serves nobody, whatever key (or none, in open mode): forgetting fails closed. */
function undeclared(request: FastifyRequest): Denial | undefined {
  if (needOf(request) !== undefined) return undefined;
  request.log.error({ method: request.method, url: request.routeOptions.url }, 'route declares no role: refused');
  return { status: 403, error: `${request.method} ${request.routeOptions.url} declares no role, so nobody may call it` };
}

interface Denial {
  status: 401 | 403;
  error: string;
}

/** The bearer token of an Authorization header, or undefined. */
function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

function judge(request: FastifyRequest, lookup: (key: string) => Caller | undefined): Denial | undefined {
  const need = needOf(request);
  if (need === undefined || need === 'public') return undefined; // (undefined: refused already, by undeclared)
  const header = request.headers.authorization;
  const presented = bearer(header);
  if (presented === undefined) {
    const how = 'send it as "Authorization: Bearer <key>"';
    if (header) return { status: 401, error: `this API needs an API key: ${how} (the Authorization header given is not a bearer token)` };
    if (request.headers['x-api-key']) return { status: 401, error: `this API needs an API key: ${how} (X-API-Key is not read)` };
    return { status: 401, error: `this API needs an API key: ${how}` };
  }
  const caller = lookup(presented);
  if (!caller) {
    request.log.warn({ address: request.ip, url: request.url }, 'unknown API key');
    return { status: 401, error: 'this API key is not valid (ask for one, or check that it was copied whole)' };
  }
  request.caller = caller;
  if (need !== 'key' && !hasRole(caller.role, need)) {
    return {
      status: 403,
      error: `${request.method} ${request.routeOptions.url} needs the ${need} role; the key "${caller.name}" has the ${caller.role} role`,
    };
  }
  return undefined;
}

/** Adds the key check and the rate limit to `app`. Call it before any route is declared (the limit attaches to each route). */
export async function registerAuth(app: FastifyInstance, config: Config): Promise<void> {
  const keys = parseApiKeys(config.HANDOVER_API_KEYS);
  const denials = new WeakMap<FastifyRequest, Denial>();
  const routes: Array<{ methods: string[]; url: string; route: RouteOptions }> = [];
  declared.set(app, routes);
  // Every route declared from here on (child plugins included) is recorded; a role that is no role stops the start.
  app.addHook('onRoute', (route) => void routes.push({ methods: [route.method].flat(), url: route.url, route }));
  app.addHook('onReady', (done) => {
    const wrong = routeRoles(app).find(({ role }) => role !== undefined && !DECLARABLE.includes(role));
    done(wrong && new Error(`${wrong.method} ${wrong.url}: config.role ${String(wrong.role)} is not one of ${DECLARABLE.join(', ')}`));
  });

  app.addHook('onRequest', (request, _reply, done) => {
    const denial = (keys ? undefined : fromElsewhere(request)) ?? crossSite(request) ?? undeclared(request);
    if (denial) denials.set(request, denial);
    done();
  });
  if (keys) {
    app.addHook('onRequest', (request, _reply, done) => {
      request.caller = UNAUTHENTICATED;
      if (denials.has(request)) return done();
      const denial = judge(request, keys.lookup);
      if (denial) denials.set(request, denial);
      done();
    });
  }
  // The refusal, after the rate limit (so refused requests count) and before any body is read. An
  // unknown URL is answered by the not-found handler, after its own rate limit.
  app.addHook('preParsing', (request, reply, _payload, done) => {
    const denial = denials.get(request);
    if (!denial || request.routeOptions.url === undefined) return done();
    // Through the API's error handler: {error}, like every other refusal.
    done(Object.assign(new Error(refuse(reply, denial)), { statusCode: denial.status }));
  });

  const window = config.HANDOVER_RATE_LIMIT_WINDOW;
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: config.HANDOVER_RATE_LIMIT_MAX,
    timeWindow: msToNumber(window as never),
    allowList: (request) => UNLIMITED.has(request.routeOptions.url ?? ''),
    keyGenerator: (request) => (request.caller?.authenticated ? `key:${request.caller.name}` : `address:${normalizeIP(request.ip)}`),
    errorResponseBuilder: (request, context) =>
      Object.assign(
        new Error(
          `too many requests: please slow down. At most ${context.max} requests per ${window}` +
            ` ${request.caller?.authenticated ? `for the key "${request.caller.name}"` : 'from one address'}; retry in ${context.after}`,
        ),
        { statusCode: context.statusCode },
      ),
  });
  // Unknown URLs count too: guessing keys against them is limited like anywhere else.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, async (request, reply) => {
    const denial = denials.get(request);
    if (denial) return reply.code(denial.status).send({ error: refuse(reply, denial) });
    return reply.code(404).send({ error: `no such route: ${request.method} ${request.url.slice(0, 200)}` });
  });
}

/** Sets what a refusal's answer carries besides its body (a 401 says how to authenticate); returns its message. */
function refuse(reply: FastifyReply, denial: Denial): string {
  if (denial.status === 401) reply.header('www-authenticate', 'Bearer realm="handover"');
  return denial.error;
}

/** Whether a Host header names the loopback (localhost, 127.x.x.x, [::1], any port): as the local stack decides it. */
const localHost = (header: string | undefined) => {
  const host = hostOfHeader(header);
  return host !== undefined && isLoopbackHost(host);
};

/**
 * In open mode only local requests are served: a page elsewhere whose name was re-pointed at
 * 127.0.0.1 (DNS rebinding) sends its own Host, and is refused.
 */
function fromElsewhere(request: FastifyRequest): Denial | undefined {
  if (!localHost(request.headers.host))
    return { status: 403, error: 'this API is open (no HANDOVER_API_KEYS) and serves only requests addressed to localhost' };
  return forwarded(request);
}

/** Headers a reverse proxy adds: whoever sent them, the request is not this machine's own. */
export const PROXY_HEADERS = [
  'forwarded',
  'x-forwarded-for',
  'x-real-ip',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-server',
  'via',
  'true-client-ip',
  'cf-connecting-ip',
  'x-client-ip',
];
/** What a load balancer polls may come through a proxy: it tells nothing and changes nothing. */
const PROXY_ALLOWED = new Set([
  'GET /health',
  'GET /health/live',
  'GET /health/ready',
  'HEAD /health',
  'HEAD /health/live',
  'HEAD /health/ready',
]);

/**
 * A reverse proxy on this machine connects from loopback and may send `Host: 127.0.0.1`, so open
 * mode would serve the world behind it. A request carrying a proxy's headers is refused: serving it
 * needs API keys. (A proxy that adds none of them is not seen; that is why open mode also listens on loopback only.)
 */
function forwarded(request: FastifyRequest): Denial | undefined {
  const present = PROXY_HEADERS.filter((h) => request.headers[h] !== undefined);
  if (!present.length || PROXY_ALLOWED.has(`${request.method} ${request.routeOptions.url ?? ''}`)) return undefined;
  return {
    status: 403,
    error:
      `open mode serves this machine only; a request forwarded by a proxy (Forwarded / X-Forwarded-For) needs an API key: ` +
      `set HANDOVER_API_KEYS (this request carries ${present.join(', ')})`,
  };
}

/**
 * A browser sends Origin with a cross-site POST: a page elsewhere must not cancel or submit on the
 * user's behalf (a bodiless cancel needs no preflight). curl and the CLI send no Origin.
 */
function crossSite(request: FastifyRequest): Denial | undefined {
  const origin = request.headers.origin;
  if (!origin || request.method === 'GET' || request.method === 'HEAD') return undefined;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    host = '';
  }
  if (host && host === request.headers.host) return undefined;
  return { status: 403, error: `requests from another site (${origin.slice(0, 100)}) may not change anything here` };
}
