import { redactedConfigYaml } from '../../config/config.js';
import { loadOrCreateSecret } from '../../config/localSecrets.js';
import { createStorage } from '../../infra/storage/createStorage.js';
import type { Platform } from '../../server/platform.js';
import { backupKeyFrom } from './archive.js';
import type { DatabaseBackupContext } from './databaseBackup.js';
import type { Cache } from '../../infra/cache/cache.js';
import type { Maintenance } from '../maintenance.js';
import type { BackupType } from './catalog.js';
import type { AuditLog } from '../../services/system/auditLog.js';

/**
 * What the backup and restore operations need, from the platform's config: the platform database,
 * the local backup directory, S3/OSS when configured, and the archive key — `MCP_BACKUP_KEY`, or
 * one generated into `<data dir>/secrets/backup.key` (outside the backup directory: a key stored
 * with the backups would protect nothing).
 */
export type BackupOpsContext = DatabaseBackupContext & { maintenance: Maintenance; retentionDays: Record<BackupType, number>; cache: Cache; audit: AuditLog; effectiveConfig: string; dataDir: string };

export function createBackupContext(p: Platform): BackupOpsContext {
  const c = p.config;
  const secret = c.backup.key ?? loadOrCreateSecret(c.dataDir, 'backup.key', 'MCP_BACKUP_KEY');
  return {
    database: p.database,
    dbUrl: c.dbUrl,
    local: createStorage({ dir: c.backupDir }),
    remote: c.backup.s3 ? createStorage({ s3: c.backup.s3 }) : undefined,
    key: backupKeyFrom(secret),
    clock: p.clock,
    log: p.log,
    maintenance: p.maintenance,
    cache: p.cache,
    audit: p.audit,
    retentionDays: c.backup.retentionDays,
    effectiveConfig: redactedConfigYaml(c),
    dataDir: c.dataDir,
  };
}
