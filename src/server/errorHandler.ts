import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/appError.js';
import { toUnavailable } from '../infra/db/database.js';

/**
 * Every failure leaves as `{ error: { code, message, details } }` with a fitting status. Unknown
 * errors become a 500 whose body reveals nothing internal; the log line carries the stack.
 */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID', message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID', message: 'request body is empty but Content-Type is application/json' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'INVALID', message: 'Content-Length does not match the body' },
};

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err.validation) {
      const first = err.validation[0];
      const where = err.validationContext ?? 'body';
      const field = first ? `${where}${first.instancePath.replace(/\//g, '.')}` : where;
      const extra = first?.params && 'additionalProperty' in first.params ? ` "${String(first.params.additionalProperty)}"` : '';
      return reply.status(400).send(
        errorBody('INVALID', `${field} ${first?.message ?? 'is invalid'}${extra}`, {
          field,
          issues: err.validation.map((v) => ({ path: v.instancePath, message: v.message, params: v.params })),
        }),
      );
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known) return reply.status(known.status).send(errorBody(known.code, known.message));
    const mapped = toUnavailable(err);
    if (mapped instanceof AppError) {
      if (mapped.status >= 500) request.log.warn({ code: mapped.code, cause: describeCause(mapped.cause), trace_id: request.traceId }, mapped.message);
      const retryAfter = (mapped.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if (retryAfter) void reply.header('retry-after', String(retryAfter));
      if (mapped.code === 'UNAVAILABLE' && !retryAfter) void reply.header('retry-after', '5');
      return reply.status(mapped.status).send(errorBody(mapped.code, mapped.message, mapped.details));
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send(errorBody('INVALID', err.message));
    }
    request.log.error({ err, trace_id: request.traceId }, 'unhandled error');
    return reply.status(500).send(errorBody('INTERNAL', 'internal error; see the server log', { requestId: request.id }));
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}

function describeCause(cause: unknown): string | undefined {
  if (!cause) return undefined;
  const e = cause as { code?: string; message?: string };
  return e.code ?? e.message;
}
