import { AppError } from '../../errors/appError.js';
import { isEmailAddress } from '../../config/config.js';
import type { NotifyMessage } from './channel.js';

export { isEmailAddress };

/** Longest subject a channel accepts (RFC 5322 recommends lines under 78 characters; Chinese subjects are shorter). */
export const MAX_SUBJECT_LENGTH = 200;

/** The rules every channel applies before delivering; INVALID names what is wrong. */
export function checkMessage(message: NotifyMessage): void {
  if (message.to.length === 0) throw new AppError('INVALID', 'the message has no recipient');
  const bad = message.to.filter((a) => !isEmailAddress(a));
  if (bad.length) throw new AppError('INVALID', `not an e-mail address: ${bad.join(', ')}`, { addresses: bad });
  if (!message.subject.trim()) throw new AppError('INVALID', 'the subject is empty');
  if (/[\r\n]/.test(message.subject)) throw new AppError('INVALID', 'the subject contains a line break');
  if (message.subject.length > MAX_SUBJECT_LENGTH) throw new AppError('INVALID', `the subject is longer than ${MAX_SUBJECT_LENGTH} characters`);
}
