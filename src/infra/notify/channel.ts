/**
 * A notification channel (issue 11 item 1): one way of delivering a message to people. Every
 * implementation rejects with an AppError: INVALID for a message the rules refuse (bad address,
 * subject too long, no recipient), UNAVAILABLE when the channel cannot deliver (server down,
 * authentication refused, timeout). The e-mail channel is the real adapter; the log channel is its
 * embedded twin, used when no SMTP server is configured.
 */
export interface NotifyMessage {
  subject: string;
  text: string;
  to: string[];
}

export interface NotificationChannel {
  readonly name: 'email' | 'log';
  /** Delivers the message; `id` is the channel's message id when it has one. */
  send(message: NotifyMessage): Promise<{ id?: string }>;
}
