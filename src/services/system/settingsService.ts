import { invalid, notFound } from '../../errors/appError.js';
import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import { isoTime, toDbTime } from '../../infra/db/time.js';
import type { AuditLog } from './contract.js';
import type { Setting, SettingsService } from './contract.js';
import { SETTING_NAME } from './settingNames.js';

const MAX_VALUE_BYTES = 64 * 1024;

export function createSettingsService(deps: { database: Database; audit: AuditLog; clock: Clock }): SettingsService {
  const { db } = deps.database;

  const checkName = (name: string) => {
    if (!SETTING_NAME.test(name)) throw invalid('setting names are lower-case letters, digits, ".", "_" or "-", starting with a letter (max 128)', { field: 'name' });
  };

  async function read(name: string): Promise<Setting | undefined> {
    const r = await db.selectFrom('settings').selectAll().where('name', '=', name).executeTakeFirst();
    return r && { name: r.name, value: JSON.parse(r.value) as unknown, updatedAt: isoTime(r.updated_at), updatedBy: r.updated_by };
  }

  return {
    async list() {
      const rows = await db.selectFrom('settings').selectAll().orderBy('name').execute();
      return rows.map((r) => ({ name: r.name, value: JSON.parse(r.value) as unknown, updatedAt: isoTime(r.updated_at), updatedBy: r.updated_by }));
    },

    async get(name) {
      checkName(name);
      const s = await read(name);
      if (!s) throw notFound(`setting ${name}`);
      return s;
    },

    async set(actor, name, value) {
      checkName(name);
      if (value === undefined) throw invalid('value is required', { field: 'value' });
      const json = JSON.stringify(value);
      if (Buffer.byteLength(json) > MAX_VALUE_BYTES) throw invalid(`value is larger than ${MAX_VALUE_BYTES} bytes`, { field: 'value' });
      const now = toDbTime(deps.clock.now());
      await db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
        if (before) await trx.updateTable('settings').set({ value: json, updated_at: now, updated_by: actor.actor }).where('name', '=', name).execute();
        else await trx.insertInto('settings').values({ name, value: json, updated_at: now, updated_by: actor.actor }).execute();
        await deps.audit.record(
          {
            ...actor,
            action: 'setting.set',
            target: `setting:${name}`,
            result: 'success',
            details: { before: before ? (JSON.parse(before.value) as unknown) : null, after: value },
          },
          trx,
        );
      });
      return (await read(name))!;
    },

    async remove(actor, name) {
      checkName(name);
      await db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
        if (!before) throw notFound(`setting ${name}`);
        await trx.deleteFrom('settings').where('name', '=', name).execute();
        await deps.audit.record(
          { ...actor, action: 'setting.delete', target: `setting:${name}`, result: 'success', details: { before: JSON.parse(before.value) as unknown } },
          trx,
        );
      });
    },
  };
}
