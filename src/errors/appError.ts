/**
 * Domain errors. Core code throws these; the HTTP layer maps `status` to a response with the
 * stable body `{ error: { code, message, details } }`, the CLI maps them to exit code 1 and one line.
 * `message` is an English fallback; faces translate by `code` (see src/i18n).
 */
export type ErrorCode =
  | 'INVALID'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'LOCKED'
  | 'PASSWORD_CHANGE_REQUIRED'
  | 'UNAVAILABLE'
  | 'MAINTENANCE'
  | 'INTERNAL';

const statusOf: Record<ErrorCode, number> = {
  INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  PASSWORD_CHANGE_REQUIRED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  LOCKED: 423,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  MAINTENANCE: 503,
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = statusOf[code];
  }
}

export const invalid = (message: string, details?: unknown) => new AppError('INVALID', message, details);
export const unauthorized = (message = 'authentication required') => new AppError('UNAUTHORIZED', message);
export const forbidden = (message: string, details?: unknown) => new AppError('FORBIDDEN', message, details);
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string, details?: unknown) => new AppError('CONFLICT', message, details);
export const unavailable = (message: string, cause?: unknown, details?: unknown) => new AppError('UNAVAILABLE', message, details, { cause });

/** A code this version knows (an error that crossed HTTP from another module is rebuilt only from one). */
export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(statusOf, code);
