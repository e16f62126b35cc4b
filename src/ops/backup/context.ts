import type { Cache } from '../../infra/cache/cache.js';
import type { AuditLog } from '../../services/system/auditLog.js';
import type { Maintenance } from '../maintenance.js';
import type { BackupType } from './catalog.js';
import type { DatabaseBackupContext } from './databaseBackup.js';

/**
 * What the backup and restore operations need: the platform database, the local backup
 * directory, S3/OSS when configured, the archive key, and the platform's maintenance flag, cache
 * and audit log. Made from the platform's config by the wiring (app/backupContext.ts).
 */
export type BackupOpsContext = DatabaseBackupContext & { maintenance: Maintenance; retentionDays: Record<BackupType, number>; cache: Cache; audit: AuditLog; effectiveConfig: string; dataDir: string };
