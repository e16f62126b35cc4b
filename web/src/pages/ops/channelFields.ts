/** The form fields of each notification channel type (`secret`: write-only, stored encrypted, shown as ******). */
export interface ChannelField {
  name: string;
  secret: boolean;
  required: boolean;
}

export const CHANNEL_TYPES = ['email', 'sms', 'voice', 'dingtalk', 'wecom', 'feishu', 'webhook', 'log'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

const f = (name: string, secret: boolean, required = true): ChannelField => ({ name, secret, required });

/** sms and voice have two providers with many fields: they are edited as JSON (`undefined` here). */
export const CHANNEL_FIELDS: Record<ChannelType, ChannelField[] | undefined> = {
  email: [f('url', true), f('from', false, false)],
  sms: undefined,
  voice: undefined,
  dingtalk: [f('webhookUrl', true), f('secret', true, false)],
  wecom: [f('webhookUrl', true)],
  feishu: [f('webhookUrl', true), f('secret', true, false)],
  webhook: [f('url', true), f('secret', true, false)],
  log: [f('file', false, false)],
};

/**
 * The `config` to send from the form's values. On create every filled field is sent; on edit an
 * empty secret field is left out, so the stored secret is kept (the API never returns it).
 */
export function channelConfig(type: ChannelType, values: Record<string, unknown>, editing: boolean): Record<string, unknown> {
  const fields = CHANNEL_FIELDS[type];
  if (!fields) {
    const raw = String(values.json ?? '').trim();
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  }
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const v = typeof values[field.name] === 'string' ? (values[field.name] as string).trim() : values[field.name];
    if (v === undefined || v === null || v === '') {
      if (editing && !field.secret) out[field.name] = null;
      continue;
    }
    out[field.name] = v;
  }
  return out;
}
