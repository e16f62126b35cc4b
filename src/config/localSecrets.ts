import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config.js';

/**
 * A key the platform needs but the operator did not supply (`MCP_JWT_SECRET`, `MCP_AUDIT_KEY`):
 * generated once into `<dataDir>/secrets/<name>` with mode 0600 and reused after. Several
 * replicas must share it, so multi-host deployments set the variable (or its _FILE) instead.
 */
export function loadOrCreateSecret(dataDir: string, name: string, variable: string): string {
  const dir = join(dataDir, 'secrets');
  const file = join(dir, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (statSync(file).mode & 0o077) throw new ConfigError(variable, `key file ${file} is readable by group or others; chmod 600 it`);
  const value = readFileSync(file, 'utf8').trim();
  if (value.length < 32) throw new ConfigError(variable, `key file ${file} is shorter than 32 characters`);
  return value;
}
