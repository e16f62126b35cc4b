import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Config } from '../../config/config.js';
import { loadOrCreateSecret } from '../../config/localSecrets.js';
import { AppError } from '../../errors/appError.js';

/**
 * Encryption of notification channels' secrets at rest (issue 11 item 1): AES-256-GCM under a key
 * derived (HKDF-SHA256) from MCP_NOTIFY_KEY, stored as `v1:<iv>:<tag>:<ciphertext>` (base64). The
 * channel's name is the additional authenticated data, so a row's secrets cannot be moved to
 * another channel: opening them under any other name fails like a wrong key does.
 */
export interface SecretBox {
  seal(secrets: Record<string, unknown>, channel: string): string;
  /** Throws UNAVAILABLE "cannot decrypt channel secrets …" when the key changed or the text was altered or moved. */
  open(sealed: string, channel: string): Record<string, unknown>;
}

const VERSION = 'v1';
const INFO = 'mcp-platform notify channel secrets v1';

/** The key from the configuration (MCP_NOTIFY_KEY or _FILE), else generated once into `<dataDir>/secrets/notify-key`. */
export function notifyKeyOf(config: Pick<Config, 'dataDir'> & { notify: Pick<Config['notify'], 'key'> }): string {
  return config.notify.key ?? loadOrCreateSecret(config.dataDir, 'notify-key', 'MCP_NOTIFY_KEY');
}

export function createSecretBox(key: string): SecretBox {
  if (key.length < 32) throw new AppError('INVALID', 'MCP_NOTIFY_KEY must be at least 32 characters');
  const k = Buffer.from(hkdfSync('sha256', Buffer.from(key, 'utf8'), Buffer.alloc(0), INFO, 32));
  const refuse = (channel: string, cause?: unknown) =>
    new AppError('UNAVAILABLE', `cannot decrypt channel secrets of ${channel}: MCP_NOTIFY_KEY changed?`, { channel }, cause === undefined ? undefined : { cause });
  return {
    seal(secrets, channel) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', k, iv);
      cipher.setAAD(Buffer.from(channel, 'utf8'));
      const ct = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
    },
    open(sealed, channel) {
      const parts = sealed.split(':');
      if (parts.length !== 4 || parts[0] !== VERSION) throw refuse(channel);
      try {
        const decipher = createDecipheriv('aes-256-gcm', k, Buffer.from(parts[1]!, 'base64'));
        decipher.setAAD(Buffer.from(channel, 'utf8'));
        decipher.setAuthTag(Buffer.from(parts[2]!, 'base64'));
        const plain = Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64')), decipher.final()]).toString('utf8');
        return JSON.parse(plain) as Record<string, unknown>;
      } catch (e) {
        throw refuse(channel, e);
      }
    },
  };
}
