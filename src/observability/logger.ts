import { pino, type Logger } from 'pino';
import type { Config } from '../config/config.js';

/** Paths whose values never reach a log line (SPEC LOG-4, SEC-1). */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'currentPassword',
  '*.currentPassword',
  'newPassword',
  '*.newPassword',
  'refreshToken',
  '*.refreshToken',
  'accessToken',
  '*.accessToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'mcp-platform' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}
