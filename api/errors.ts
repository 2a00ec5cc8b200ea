/**
 * Every refusal the API makes: the errors the service throws, and in one place the status code and
 * body each one is answered with. Nothing else in the API chooses a status code for a refusal.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { fieldIssues } from '../common/spec';

/** A request that is well-formed but cannot be done, with the field to blame (400). */
export class InvalidRequest extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
/** Refused by the admission rules (422; 403 when handover is closed), kept as a `rejected` handover under `token`. */
export class HandoverRejected extends Error {
  constructor(
    readonly token: string,
    readonly issues: Array<{ field: string; message: string }>,
    readonly closed: boolean,
  ) {
    super(closed ? 'handover is closed' : 'handover refused');
  }
}
/** Another handover of the database is running (409, with its token). */
export class HandoverConflict extends Error {
  constructor(readonly token: string) {
    super('a handover of this database is already running');
  }
}
/** No handover has this token (404). */
export class HandoverNotFound extends Error {}
/** Running or completed: nothing to restart (409). */
export class HandoverNotRestartable extends Error {
  constructor(readonly status: string) {
    super(status === 'running' ? 'the handover is still running; cancel it first' : 'the handover completed; there is nothing to restart');
  }
}
/** Already ended: nothing to cancel (409). */
export class HandoverEnded extends Error {
  constructor(readonly status: string) {
    super(`the handover has already ended (${status})`);
  }
}
/** The caller may not act on this handover: a `submit` key acting on another's (403). */
export class HandoverForbidden extends Error {}

/** A completion callback whose signature is not the API's for that handover and step (403). */
export class CallbackRefused extends Error {
  constructor() {
    super('the callback signature does not match this handover and step');
  }
}

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4), anywhere in the cause chain: Temporal cannot be reached. */
export function isTemporalUnreachable(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (e.code === 14 || e.code === 4) return true;
    if (/UNAVAILABLE|ECONNREFUSED|Failed to connect|DEADLINE_EXCEEDED|failed to connect/i.test(e.message ?? '')) return true;
  }
  return false;
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = fieldIssues(
      err.validation.map((v) => ({
        path: v.instancePath.split('/').filter(Boolean),
        code: v.keyword,
        message: v.message ?? 'is invalid',
        keys: (v.params as { keys?: string[] }).keys,
      })),
    );
    return reply.code(400).send({ error: `invalid ${err.validationContext ?? 'request'}`, issues });
  }
  if (err instanceof InvalidRequest)
    return reply.code(400).send({ error: 'invalid body', issues: [{ field: err.field, message: err.message }] });
  if (err instanceof HandoverRejected)
    return reply.code(err.closed ? 403 : 422).send({ error: err.message, issues: err.issues, token: err.token });
  if (err instanceof HandoverConflict) return reply.code(409).send({ error: err.message, token: err.token });
  if (err instanceof HandoverNotRestartable) return reply.code(409).send({ error: err.message, status: err.status });
  if (err instanceof HandoverEnded) return reply.code(409).send({ error: err.message, status: err.status });
  if (err instanceof HandoverForbidden || err instanceof CallbackRefused) return reply.code(403).send({ error: err.message });
  if (err instanceof HandoverNotFound) return reply.code(404).send({ error: `no handover with token ${err.message}` });
  if (isTemporalUnreachable(err)) {
    request.log.error({ err: err.message }, 'Temporal unreachable');
    return reply.code(503).send({ error: 'Temporal is unreachable; try again shortly' });
  }
  if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
  request.log.error({ err }, 'request failed');
  return reply.code(500).send({ error: 'internal error' });
}
