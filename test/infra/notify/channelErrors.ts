import { expect } from 'vitest';
import { AppError, type ErrorCode } from '../../../src/errors/appError.js';

/**
 * Awaits a send that must fail: the AppError's code and providerCode as expected, and none of
 * `secrets` anywhere in its message or details.
 */
export async function expectSendError(
  send: Promise<unknown>,
  code: ErrorCode,
  o: { providerCode?: string; secrets?: readonly string[] } = {},
): Promise<AppError & { details: Record<string, unknown> }> {
  const e = await send.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'the send should have failed').toBeInstanceOf(AppError);
  const err = e as AppError & { details: Record<string, unknown> };
  expect({ code: err.code, message: err.message }).toMatchObject({ code });
  if (o.providerCode !== undefined) expect(err.details?.providerCode).toBe(o.providerCode);
  const visible = `${err.message} ${JSON.stringify(err.details ?? {})}`;
  for (const s of o.secrets ?? []) expect(visible).not.toContain(s);
  return err;
}
