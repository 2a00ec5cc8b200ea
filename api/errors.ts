/** Every refusal the API makes, as a status code and a body that says why. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { fieldIssues } from '../common/spec';
import { HandoverConflict, HandoverEnded, HandoverForbidden, HandoverNotFound, HandoverNotRestartable, HandoverRefused, HandoverRejected } from './handovers';

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4), anywhere in the cause chain: Temporal cannot be reached. */
export function isTemporalUnreachable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
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
  if (err instanceof HandoverRefused) {
    return reply.code(400).send({ error: 'invalid body', issues: [{ field: err.field, message: err.message }] });
  }
  if (err instanceof HandoverRejected) return reply.code(err.closed ? 403 : 422).send({ error: err.message, issues: err.issues, token: err.token });
  if (err instanceof HandoverConflict) return reply.code(409).send({ error: err.message, token: err.token });
  if (err instanceof HandoverNotRestartable) return reply.code(409).send({ error: err.message, status: err.status });
  if (err instanceof HandoverEnded) return reply.code(409).send({ error: err.message, status: err.status });
  if (err instanceof HandoverForbidden) return reply.code(403).send({ error: err.message });
  if (err instanceof HandoverNotFound) return reply.code(404).send({ error: `no handover with token ${err.message}` });
  if (isTemporalUnreachable(err)) {
    request.log.error({ err: err.message }, 'Temporal unreachable');
    return reply.code(503).send({ error: 'Temporal is unreachable; try again shortly' });
  }
  if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
  request.log.error({ err }, 'request failed');
  return reply.code(500).send({ error: 'internal error' });
}
