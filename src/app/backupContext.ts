import { redactedConfigYaml } from '../config/config.js';
import { loadOrCreateSecret } from '../config/localSecrets.js';
import { createStorage } from '../infra/storage/createStorage.js';
import { guardStorage } from '../infra/storage/guardedStorage.js';
import { backupKeyFrom } from '../ops/backup/archive.js';
import type { BackupOpsContext } from '../ops/backup/context.js';
import type { Platform } from './platform.js';

/** Bound on one S3 listing, stat or delete (ms); transfers are counted by the breaker, not bounded. */
const S3_TIMEOUT_MS = 30_000;

/** The parts of the platform the backup and restore operations are given. */
export type BackupWiring = Pick<Platform, 'config' | 'database' | 'clock' | 'log' | 'maintenance' | 'userPeer' | 'audit' | 'breaker'>;

/**
 * The backup and restore context from the platform's config: the platform database, the local
 * backup directory, S3/OSS when configured, and the archive key — `MCP_BACKUP_KEY`, or one
 * generated into `<data dir>/secrets/backup.key` (outside the backup directory: a key stored with
 * the backups would protect nothing).
 */
export function createBackupContext(p: BackupWiring): BackupOpsContext {
  const c = p.config;
  const secret = c.backup.key ?? loadOrCreateSecret(c.dataDir, 'backup.key', 'MCP_BACKUP_KEY');
  return {
    database: p.database,
    dbUrl: c.dbUrl,
    local: createStorage({ dir: c.backupDir }),
    remote: c.backup.s3 ? guardStorage(createStorage({ s3: c.backup.s3 }), p.breaker('s3', { timeoutMs: S3_TIMEOUT_MS })) : undefined,
    key: backupKeyFrom(secret),
    clock: p.clock,
    log: p.log,
    maintenance: p.maintenance,
    users: p.userPeer,
    audit: p.audit,
    retentionDays: c.backup.retentionDays,
    effectiveConfig: redactedConfigYaml(c),
    dataDir: c.dataDir,
  };
}
