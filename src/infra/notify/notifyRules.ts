import { AppError } from '../../errors/appError.js';
import { isEmailAddress } from '../../config/config.js';
import type { ChannelType, NotifyMessage } from './channel.js';

export { isEmailAddress };

/** Longest subject a channel accepts (RFC 5322 recommends lines under 78 characters; Chinese subjects are shorter). */
export const MAX_SUBJECT_LENGTH = 200;

/**
 * A phone number as SMS/voice providers take it: digits, optionally after `+` (`13800138000`,
 * `+8613800138000`, `85291234567`), 5 to 20 digits.
 */
export function isPhoneNumber(value: string): boolean {
  return /^\+?[0-9]{5,20}$/.test(value);
}

/** What `message.to` holds for each channel type, and whether it may be empty. */
const RECIPIENTS: Record<ChannelType, { kind: 'email' | 'phone' | 'any'; required: boolean }> = {
  email: { kind: 'email', required: true },
  sms: { kind: 'phone', required: true },
  voice: { kind: 'phone', required: true },
  dingtalk: { kind: 'phone', required: false },
  wecom: { kind: 'any', required: false },
  feishu: { kind: 'any', required: false },
  webhook: { kind: 'any', required: false },
  log: { kind: 'any', required: false },
};

/**
 * The rules every channel applies before delivering; INVALID names what is wrong. `as` is the
 * channel type whose recipient rules apply (default e-mail: the first channels were e-mail only).
 */
export function checkMessage(message: NotifyMessage, as: ChannelType = 'email'): void {
  const rule = RECIPIENTS[as];
  if (rule.required && message.to.length === 0) throw new AppError('INVALID', 'the message has no recipient');
  if (rule.kind === 'email') {
    const bad = message.to.filter((a) => !isEmailAddress(a));
    if (bad.length) throw new AppError('INVALID', `not an e-mail address: ${bad.join(', ')}`, { addresses: bad });
  } else if (rule.kind === 'phone') {
    const bad = message.to.filter((a) => !isPhoneNumber(a));
    if (bad.length) throw new AppError('INVALID', `not a phone number: ${bad.join(', ')}`, { numbers: bad });
  }
  if (!message.subject.trim()) throw new AppError('INVALID', 'the subject is empty');
  if (/[\r\n]/.test(message.subject)) throw new AppError('INVALID', 'the subject contains a line break');
  if (message.subject.length > MAX_SUBJECT_LENGTH) throw new AppError('INVALID', `the subject is longer than ${MAX_SUBJECT_LENGTH} characters`);
}

/**
 * Sends to several targets one request each (voice calls, SMS batches): every target is tried even
 * when one fails. All delivered → their results. Otherwise the error of the first failure that
 * can be retried (else the first failure), its details extended with `delivered` (the recipients
 * already reached, so a retry can leave them out) and `failed` (`{to, code, providerCode}`, `to`
 * comma-joined for a batch).
 */
export async function deliverEach<T, R>(targets: readonly T[], label: (t: T) => string | readonly string[], send: (t: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  const delivered: string[] = [];
  const failures: { target: string; error: unknown }[] = [];
  for (const t of targets) {
    try {
      results.push(await send(t));
      delivered.push(...[label(t)].flat());
    } catch (error) {
      failures.push({ target: [label(t)].flat().join(','), error });
    }
  }
  if (failures.length === 0) return results;
  const retryable = failures.find((f) => f.error instanceof AppError && f.error.code !== 'INVALID');
  const chosen = (retryable ?? failures[0]!).error;
  if (!(chosen instanceof AppError) || targets.length === 1) throw chosen;
  const failed = failures.map((f) => ({ to: f.target, code: f.error instanceof AppError ? f.error.code : 'INTERNAL', providerCode: providerCodeOf(f.error) }));
  throw new AppError(chosen.code, `${chosen.message} (${failures.length} of ${targets.length} failed)`, { ...(chosen.details as object), delivered, failed }, { cause: chosen });
}

function providerCodeOf(error: unknown): string | undefined {
  if (!(error instanceof AppError)) return undefined;
  const d = error.details as { providerCode?: string } | undefined;
  return d?.providerCode;
}
