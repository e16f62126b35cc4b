import type { AuditLog } from '../../services/system/contract.js';
import type { UserService } from '../../services/user/contract.js';
import type { Maintenance } from '../maintenance.js';
import type { BackupType } from './catalog.js';
import type { DatabaseBackupContext } from './databaseBackup.js';

/**
 * What the backup and restore operations need: the platform database, the local backup
 * directory, S3/OSS when configured, the archive key, the platform's maintenance flag and audit log,
 * and the user service (a live restore forgets its cached views). Made from the platform's config by the wiring (app/backupContext.ts).
 */
export type BackupOpsContext = DatabaseBackupContext & {
  maintenance: Maintenance;
  retentionDays: Record<BackupType, number>;
  users: Pick<UserService, 'forget' | 'ids'>;
  audit: AuditLog;
  effectiveConfig: string;
  dataDir: string;
};
