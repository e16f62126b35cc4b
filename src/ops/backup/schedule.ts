import { registerTask } from '../scheduler.js';
import { archiveBinlogs } from './binlogArchive.js';
import { backupDatabase } from './databaseBackup.js';
import { archiveFiles } from './fileArchive.js';
import { pruneBackups } from './retention.js';

/**
 * The backup module's scheduled tasks and their default schedules (manual §5.1, §6.2.1): full
 * daily at 02:00, binlogs hourly, schema and config weekly, logs and retention daily. Each
 * returns what its audit row says about the outcome, as the CLI's rows do.
 */
const backupId = (r: { id: string }) => ({ backup: r.id });

registerTask({ name: 'backup.full', schedule: '0 2 * * *', run: async (ctx) => backupId(await backupDatabase(ctx.backup(), { type: 'full' })) });
registerTask({
  name: 'backup.incremental',
  schedule: '0 * * * *',
  run: async (ctx) => ({ archived: ctx.database.dialect === 'mysql' ? (await archiveBinlogs(ctx.backup())).map((r) => r.id) : [] }),
});
registerTask({ name: 'backup.schema', schedule: '0 3 * * 0', run: async (ctx) => backupId(await backupDatabase(ctx.backup(), { type: 'schema' })) });
registerTask({ name: 'backup.config', schedule: '30 3 * * 0', run: async (ctx) => backupId(await archiveFiles(ctx.backup(), 'config', ctx.config.backup.configPaths)) });
registerTask({ name: 'backup.logs', schedule: '0 4 * * *', run: async (ctx) => backupId(await archiveFiles(ctx.backup(), 'logs', [ctx.config.logDir])) });
registerTask({
  name: 'backup.prune',
  schedule: '30 4 * * *',
  run: async (ctx) => {
    const r = await pruneBackups(ctx.backup());
    return { deleted: r.deleted.map((d) => d.id), kept: r.kept };
  },
});
