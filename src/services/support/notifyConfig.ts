import type { Logger } from 'pino';
import { AppError, conflict, invalid, notFound } from '../../errors/appError.js';
import type { Clock } from '../../infra/clock.js';
import type { Database, Executor } from '../../infra/db/database.js';
import type { NotifyChannelsTable } from '../../infra/db/schema.js';
import { isoTime, toDbTime } from '../../infra/db/time.js';
import { CHANNEL_TYPES, type ChannelType, type NotificationChannel } from '../../infra/notify/channel.js';
import { createEmailChannel } from '../../infra/notify/emailChannel.js';
import { createLogChannel } from '../../infra/notify/logChannel.js';
import { isEmailAddress } from '../../config/config.js';
import { isUniqueViolation } from '../../infra/db/uniqueViolation.js';
import type { Actor } from '../actor.js';
import type { AuditLog } from '../system/contract.js';
import {
  type AlertSeverity,
  BUILTIN_CHANNELS,
  type ChannelInput,
  type ChannelPatch,
  type ChannelView,
  type Contact,
  type ContactGroup,
  type ContactInput,
  type NotifyRouteInput,
  type NotifyRouteView,
  SECRET_MASK,
  SEVERITIES,
  type Silence,
  type SilenceInput,
  type SilenceMatcher,
} from './contract.js';
import type { ChannelFactory } from './notifyConfigChannels.js';
import { BUILTIN_EMAIL, BUILTIN_LOG, DEFAULT_ROUTE_TYPES, type PlannedDelivery, planNotifications } from './routing.js';
import { createSecretBox } from './secretBox.js';

/**
 * The notification center's configuration (issue 11 items 1, 2, 5; support module): channels with
 * their secrets encrypted at rest and never returned, contacts, on-call groups, the route of each
 * severity, and silences / maintenance windows. Every change writes its audit row
 * (`ops.notify.<what>.<verb>`) in its own transaction; no audit row holds a secret value.
 */
export interface NotifyConfigDeps {
  database: Database;
  audit: AuditLog;
  clock: Clock;
  log: Pick<Logger, 'warn'>;
  /** MCP_NOTIFY_KEY (see secretBox.notifyKeyOf). */
  key: string;
  channels: ChannelFactory;
  /** MCP_SMTP_URL and MCP_NOTIFY_EMAIL_TO: the built-in `email` channel and the default recipients. */
  env: { smtpUrl: string | undefined; emailTo: string[] };
  /** Milliseconds the built-in e-mail channel waits for the SMTP server. */
  smtpTimeoutMs?: number;
}

export interface NotifyConfigService {
  listChannels(): Promise<ChannelView[]>;
  getChannel(name: string): Promise<ChannelView>;
  createChannel(actor: Actor, input: ChannelInput): Promise<ChannelView>;
  updateChannel(actor: Actor, name: string, patch: ChannelPatch): Promise<ChannelView>;
  deleteChannel(actor: Actor, name: string): Promise<void>;
  /** The channel ready to send: a stored one (secrets decrypted) or the built-ins `email` / `log`. */
  loadChannel(name: string): Promise<NotificationChannel>;
  /** Who a channel's messages go to: the recipients of every route it is in (or MCP_NOTIFY_EMAIL_TO for e-mail). */
  recipientsOf(name: string): Promise<{ type: ChannelType; to: string[] }>;

  listContacts(): Promise<Contact[]>;
  createContact(actor: Actor, input: ContactInput): Promise<Contact>;
  updateContact(actor: Actor, id: number, patch: Partial<ContactInput>): Promise<Contact>;
  deleteContact(actor: Actor, id: number): Promise<void>;

  listGroups(): Promise<ContactGroup[]>;
  createGroup(actor: Actor, input: { name: string; members?: string[] }): Promise<ContactGroup>;
  setGroupMembers(actor: Actor, name: string, members: string[]): Promise<ContactGroup>;
  deleteGroup(actor: Actor, name: string): Promise<void>;

  listRoutes(): Promise<NotifyRouteView[]>;
  setRoute(actor: Actor, severity: AlertSeverity, input: NotifyRouteInput): Promise<NotifyRouteView>;

  listSilences(query?: { all?: boolean }): Promise<Silence[]>;
  createSilence(actor: Actor, input: SilenceInput): Promise<Silence>;
  expireSilence(actor: Actor, id: number): Promise<Silence>;
}

/** Longest silence (a maintenance window with an explicit end may be longer). */
export const MAX_SILENCE_MS = 30 * 86_400_000;
const PHONE = /^\+?[0-9]{6,20}$/;
const NAME = /^[a-z0-9-]{1,64}$/;

type ChannelRow = Omit<NotifyChannelsTable, 'id' | 'enabled'> & { id: number; enabled: number };

const sameSet = (a: readonly string[]) => [...new Set(a)];

export function createNotifyConfigService(deps: NotifyConfigDeps): NotifyConfigService {
  const { database, audit, clock, channels } = deps;
  const db = database.db;
  const box = createSecretBox(deps.key);
  const now = () => toDbTime(clock.now());

  const record = (x: Executor, actor: Actor, action: string, target: string, details: Record<string, unknown>) =>
    audit.record({ ...actor, action: `ops.notify.${action}`, target, result: 'success', details }, x);

  const checkType = (type: string): ChannelType => {
    if (!(CHANNEL_TYPES as readonly string[]).includes(type)) throw invalid(`type: must be one of ${CHANNEL_TYPES.join(', ')}`, { field: 'type' });
    return type as ChannelType;
  };

  /** Splits a validated config into its non-secret part and its secrets (only those with a value). */
  const split = (type: ChannelType, config: Record<string, unknown>) => {
    const secretNames = channels.secretFields(type);
    const plain: Record<string, unknown> = {};
    const secrets: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) {
      if (v === undefined || v === null) continue;
      if (secretNames.includes(k)) secrets[k] = v;
      else plain[k] = v;
    }
    return { plain, secrets };
  };

  const view = (r: ChannelRow, secretsSet: string[]): ChannelView => {
    const config: Record<string, unknown> = JSON.parse(r.config) as Record<string, unknown>;
    for (const k of secretsSet) config[k] = SECRET_MASK;
    return {
      name: r.name,
      type: r.type,
      enabled: r.enabled === 1,
      config,
      secretsSet,
      createdBy: r.created_by,
      createdAt: isoTime(r.created_at),
      updatedAt: isoTime(r.updated_at),
    };
  };

  const openSecrets = (r: ChannelRow): Record<string, unknown> => (r.secrets ? box.open(r.secrets, r.name) : {});
  const secretNamesOf = (r: ChannelRow) => Object.keys(openSecrets(r)).sort();

  const loadRow = async (x: Executor, name: string): Promise<ChannelRow> => {
    const row = await x.selectFrom('notify_channels').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw notFound(`channel ${name}`);
    return row as ChannelRow;
  };

  const storedRoutesUsing = async (x: Executor, column: 'channels' | 'groups', name: string) =>
    (await x.selectFrom('notify_routes').select(['severity', column]).execute())
      .filter((r) => (JSON.parse((r as Record<string, string>)[column]!) as string[]).includes(name))
      .map((r) => r.severity);

  // ---- contacts ----
  const contactOf = (r: { id: number; name: string; email: string | null; phone: string | null; created_at: string; updated_at: string }): Contact => ({
    id: r.id,
    name: r.name,
    email: r.email,
    phone: r.phone,
    createdAt: isoTime(r.created_at),
    updatedAt: isoTime(r.updated_at),
  });
  const checkContact = (c: Partial<ContactInput>) => {
    if (c.name !== undefined && (!c.name.trim() || c.name.length > 64)) throw invalid('name: 1–64 characters', { field: 'name' });
    if (c.email != null && !isEmailAddress(c.email)) throw invalid(`email: not an e-mail address: ${c.email}`, { field: 'email' });
    if (c.phone != null && !PHONE.test(c.phone)) throw invalid('phone: digits with an optional leading + (6–20 digits), e.g. +8613800138000', { field: 'phone' });
  };
  const loadContact = async (x: Executor, id: number) => {
    const row = await x.selectFrom('notify_contacts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`contact ${id}`);
    return row;
  };

  // ---- groups ----
  const groupsOf = async (x: Executor, only?: string): Promise<ContactGroup[]> => {
    let q = x.selectFrom('notify_groups').selectAll().orderBy('name');
    if (only) q = q.where('name', '=', only);
    const groups = await q.execute();
    if (!groups.length) return [];
    const members = await x
      .selectFrom('notify_group_members as m')
      .innerJoin('notify_contacts as c', 'c.id', 'm.contact_id')
      .where(
        'm.group_id',
        'in',
        groups.map((g) => g.id),
      )
      .select(['m.group_id', 'c.name'])
      .orderBy('c.name')
      .execute();
    return groups.map((g) => ({ name: g.name, members: members.filter((m) => m.group_id === g.id).map((m) => m.name), createdAt: isoTime(g.created_at) }));
  };
  const writeMembers = async (x: Executor, groupId: number, members: string[]) => {
    const names = sameSet(members);
    const found = names.length ? await x.selectFrom('notify_contacts').select(['id', 'name']).where('name', 'in', names).execute() : [];
    const missing = names.filter((n) => !found.some((f) => f.name === n));
    if (missing.length) throw invalid(`members: no such contact: ${missing.join(', ')}`, { field: 'members', missing });
    await x.deleteFrom('notify_group_members').where('group_id', '=', groupId).execute();
    if (found.length)
      await x
        .insertInto('notify_group_members')
        .values(found.map((f) => ({ group_id: groupId, contact_id: f.id })))
        .execute();
  };

  // ---- silences ----
  const silenceOf = (r: {
    id: number;
    kind: 'silence' | 'maintenance';
    matchers: string;
    starts_at: string;
    ends_at: string;
    comment: string;
    created_by: string;
    created_at: string;
    expired_at: string | null;
  }): Silence => {
    const t = now();
    return {
      id: r.id,
      kind: r.kind,
      matchers: JSON.parse(r.matchers) as SilenceMatcher[],
      startsAt: isoTime(r.starts_at),
      endsAt: isoTime(r.ends_at),
      comment: r.comment,
      createdBy: r.created_by,
      createdAt: isoTime(r.created_at),
      expiredAt: isoTime(r.expired_at),
      state: r.expired_at !== null || r.ends_at <= t ? 'expired' : r.starts_at > t ? 'pending' : 'active',
    };
  };
  const parseTime = (field: string, s: string): Date => {
    const d = new Date(s);
    if (Number.isNaN(d.getTime())) throw invalid(`${field}: not a time (ISO 8601, e.g. 2026-11-30T02:00:00Z)`, { field });
    return d;
  };

  const routeEnv = () => ({ emailTo: deps.env.emailTo, smtpConfigured: !!deps.env.smtpUrl });

  const service: NotifyConfigService = {
    async listChannels() {
      const rows = (await db.selectFrom('notify_channels').selectAll().orderBy('name').execute()) as ChannelRow[];
      return rows.map(shown);
    },

    async getChannel(name) {
      return shown(await loadRow(db, name));
    },

    async createChannel(actor, input) {
      if (!NAME.test(input.name)) throw invalid('name: 1–64 characters a-z, 0-9 or -', { field: 'name' });
      if ((BUILTIN_CHANNELS as readonly string[]).includes(input.name)) throw invalid(`name: ${input.name} is the built-in channel's name; choose another`, { field: 'name' });
      const type = checkType(input.type);
      const { plain, secrets } = split(type, channels.validate(type, input.config));
      const t = now();
      try {
        return await db.transaction().execute(async (trx) => {
          await trx
            .insertInto('notify_channels')
            .values({
              name: input.name,
              type,
              config: JSON.stringify(plain),
              secrets: Object.keys(secrets).length ? box.seal(secrets, input.name) : null,
              enabled: input.enabled === false ? 0 : 1,
              created_by: actor.actor,
              created_at: t,
              updated_at: t,
            })
            .execute();
          await record(trx, actor, 'channel.create', `channel:${input.name}`, {
            type,
            fields: Object.keys(plain).sort(),
            secretsSet: Object.keys(secrets).sort(),
            enabled: input.enabled !== false,
          });
          return view((await loadRow(trx, input.name)) as ChannelRow, Object.keys(secrets).sort());
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict(`channel ${input.name} already exists`);
        throw e;
      }
    },

    async updateChannel(actor, name, patch) {
      return db.transaction().execute(async (trx) => {
        const row = await loadRow(trx, name);
        let { config, secrets } = row;
        const changed: string[] = [];
        const cleared: string[] = [];
        // Secrets that cannot be decrypted (MCP_NOTIFY_KEY changed) may be entered again: a PATCH with
        // `config` starts from none of them, and validation requires those the channel needs.
        let old: Record<string, unknown>;
        let reset = false;
        try {
          old = openSecrets(row);
        } catch (e) {
          if (!patch.config) throw e;
          old = {};
          reset = true;
        }
        let secretsSet = Object.keys(old).sort();
        if (patch.config) {
          const secretNames = channels.secretFields(row.type);
          const merged: Record<string, unknown> = { ...(JSON.parse(row.config) as Record<string, unknown>), ...old };
          for (const [k, v] of Object.entries(patch.config)) {
            if (v === SECRET_MASK && secretNames.includes(k)) continue; // the masked value sent back: keep the secret
            if (v === null) {
              if (k in merged) cleared.push(k);
              delete merged[k];
            } else {
              merged[k] = v;
              changed.push(k);
            }
          }
          const s = split(row.type, channels.validate(row.type, merged));
          config = JSON.stringify(s.plain);
          secretsSet = Object.keys(s.secrets).sort();
          secrets = secretsSet.length ? box.seal(s.secrets, name) : null;
        }
        const enabled = patch.enabled === undefined ? row.enabled : patch.enabled ? 1 : 0;
        await trx.updateTable('notify_channels').set({ config, secrets, enabled, updated_at: now() }).where('id', '=', row.id).execute();
        await record(trx, actor, 'channel.update', `channel:${name}`, {
          changed: changed.sort(),
          cleared: cleared.sort(),
          ...(reset ? { secretsReset: true } : {}),
          ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
        });
        return view(await loadRow(trx, name), secretsSet);
      });
    },

    async deleteChannel(actor, name) {
      await db.transaction().execute(async (trx) => {
        const row = await loadRow(trx, name);
        const used = await storedRoutesUsing(trx, 'channels', name);
        if (used.length) throw conflict(`channel ${name} is in the route of ${used.join(', ')}; change the route first`, { routes: used });
        await trx.deleteFrom('notify_channels').where('id', '=', row.id).execute();
        await record(trx, actor, 'channel.delete', `channel:${name}`, { type: row.type });
      });
    },

    async loadChannel(name) {
      if (name === BUILTIN_LOG) return createLogChannel(deps.log, 'log');
      if (name === BUILTIN_EMAIL) {
        if (!deps.env.smtpUrl) throw invalid('the e-mail channel is not configured: set MCP_SMTP_URL (smtp://user:pass@host:587)');
        return createEmailChannel({ url: deps.env.smtpUrl, timeoutMs: deps.smtpTimeoutMs });
      }
      const row = await loadRow(db, name);
      if (!row.enabled) throw invalid(`channel ${name} is disabled`);
      const config = { ...(JSON.parse(row.config) as Record<string, unknown>), ...openSecrets(row) };
      return channels.create(row.type, config);
    },

    async recipientsOf(name) {
      const type: ChannelType = name === BUILTIN_LOG ? 'log' : name === BUILTIN_EMAIL ? 'email' : (await loadRow(db, name)).type;
      const to = new Set<string>();
      for (const severity of SEVERITIES) {
        const plan = await planNotifications(db, { name: 'notify-test', severity, labels: {} }, new Date(0), routeEnv());
        for (const d of plan.deliveries) if (d.channel === name) for (const r of d.to) to.add(r);
      }
      if (to.size === 0 && (type === 'email' || type === 'log')) for (const r of deps.env.emailTo) to.add(r);
      return { type, to: [...to] };
    },

    async listContacts() {
      return (await db.selectFrom('notify_contacts').selectAll().orderBy('name').execute()).map(contactOf);
    },

    async createContact(actor, input) {
      checkContact(input);
      if (!input.email && !input.phone) throw invalid('email: a contact needs an e-mail address or a phone number', { field: 'email' });
      const t = now();
      try {
        return await db.transaction().execute(async (trx) => {
          const res = await trx
            .insertInto('notify_contacts')
            .values({ name: input.name.trim(), email: input.email ?? null, phone: input.phone ?? null, created_at: t, updated_at: t })
            .executeTakeFirstOrThrow();
          const id = Number(res.insertId);
          await record(trx, actor, 'contact.create', `contact:${id}`, { name: input.name.trim(), email: !!input.email, phone: !!input.phone });
          return contactOf(await loadContact(trx, id));
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict(`contact ${input.name} already exists`);
        throw e;
      }
    },

    async updateContact(actor, id, patch) {
      checkContact(patch);
      try {
        return await db.transaction().execute(async (trx) => {
          const row = await loadContact(trx, id);
          const next = {
            name: patch.name?.trim() ?? row.name,
            email: patch.email === undefined ? row.email : patch.email,
            phone: patch.phone === undefined ? row.phone : patch.phone,
          };
          if (!next.email && !next.phone) throw invalid('email: a contact needs an e-mail address or a phone number', { field: 'email' });
          await trx
            .updateTable('notify_contacts')
            .set({ ...next, updated_at: now() })
            .where('id', '=', id)
            .execute();
          await record(trx, actor, 'contact.update', `contact:${id}`, { changed: Object.keys(patch).sort() });
          return contactOf(await loadContact(trx, id));
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict(`contact ${patch.name} already exists`);
        throw e;
      }
    },

    async deleteContact(actor, id) {
      await db.transaction().execute(async (trx) => {
        const row = await loadContact(trx, id);
        await trx.deleteFrom('notify_group_members').where('contact_id', '=', id).execute();
        await trx.deleteFrom('notify_contacts').where('id', '=', id).execute();
        await record(trx, actor, 'contact.delete', `contact:${id}`, { name: row.name });
      });
    },

    listGroups: () => groupsOf(db),

    async createGroup(actor, input) {
      if (!NAME.test(input.name)) throw invalid('name: 1–64 characters a-z, 0-9 or -', { field: 'name' });
      try {
        return await db.transaction().execute(async (trx) => {
          const res = await trx.insertInto('notify_groups').values({ name: input.name, created_at: now() }).executeTakeFirstOrThrow();
          await writeMembers(trx, Number(res.insertId), input.members ?? []);
          await record(trx, actor, 'group.create', `group:${input.name}`, { members: sameSet(input.members ?? []) });
          return (await groupsOf(trx, input.name))[0]!;
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict(`group ${input.name} already exists`);
        throw e;
      }
    },

    async setGroupMembers(actor, name, members) {
      return db.transaction().execute(async (trx) => {
        const g = await trx.selectFrom('notify_groups').select('id').where('name', '=', name).executeTakeFirst();
        if (!g) throw notFound(`group ${name}`);
        await writeMembers(trx, g.id, members);
        await record(trx, actor, 'group.members', `group:${name}`, { members: sameSet(members) });
        return (await groupsOf(trx, name))[0]!;
      });
    },

    async deleteGroup(actor, name) {
      await db.transaction().execute(async (trx) => {
        const g = await trx.selectFrom('notify_groups').select('id').where('name', '=', name).executeTakeFirst();
        if (!g) throw notFound(`group ${name}`);
        const used = await storedRoutesUsing(trx, 'groups', name);
        if (used.length) throw conflict(`group ${name} is in the route of ${used.join(', ')}; change the route first`, { routes: used });
        await trx.deleteFrom('notify_group_members').where('group_id', '=', g.id).execute();
        await trx.deleteFrom('notify_groups').where('id', '=', g.id).execute();
        await record(trx, actor, 'group.delete', `group:${name}`, {});
      });
    },

    async listRoutes() {
      const rows = await db.selectFrom('notify_routes').selectAll().execute();
      const stored = await db.selectFrom('notify_channels').select(['name', 'type', 'enabled']).orderBy('name').execute();
      return SEVERITIES.map((severity): NotifyRouteView => {
        const r = rows.find((x) => x.severity === severity);
        if (r)
          return {
            severity,
            source: 'stored',
            channels: JSON.parse(r.channels) as string[],
            groups: JSON.parse(r.groups) as string[],
            escalateAfterSeconds: r.escalate_after_s,
            escalateMax: r.escalate_max,
            updatedBy: r.updated_by,
            updatedAt: isoTime(r.updated_at),
          };
        const types = DEFAULT_ROUTE_TYPES[severity];
        const names: string[] = [];
        for (const type of types) {
          const ofType = stored.filter((s) => s.type === type);
          names.push(...ofType.filter((s) => s.enabled).map((s) => s.name));
          if (type === 'email' && ofType.length === 0 && deps.env.smtpUrl) names.push(BUILTIN_EMAIL);
        }
        return { severity, source: 'default', channels: names, groups: [], channelTypes: [...types], escalateAfterSeconds: null, escalateMax: 0, updatedBy: null, updatedAt: null };
      });
    },

    async setRoute(actor, severity, input) {
      if (!SEVERITIES.includes(severity)) throw invalid(`severity: must be one of ${SEVERITIES.join(', ')}`, { field: 'severity' });
      const channelNames = sameSet(input.channels);
      const groupNames = sameSet(input.groups);
      const escalateAfter = input.escalateAfterSeconds ?? null;
      const escalateMax = input.escalateMax ?? 0;
      if (escalateAfter !== null && (!Number.isInteger(escalateAfter) || escalateAfter < 60 || escalateAfter > 86400))
        throw invalid('escalateAfterSeconds: an integer 60–86400, or null', { field: 'escalateAfterSeconds' });
      if (!Number.isInteger(escalateMax) || escalateMax < 0 || escalateMax > 10) throw invalid('escalateMax: an integer 0–10', { field: 'escalateMax' });
      await db.transaction().execute(async (trx) => {
        const stored = channelNames.length ? await trx.selectFrom('notify_channels').select('name').where('name', 'in', channelNames).execute() : [];
        const missingC = channelNames.filter((n) => !(BUILTIN_CHANNELS as readonly string[]).includes(n) && !stored.some((s) => s.name === n));
        if (missingC.length) throw invalid(`channels: no such channel: ${missingC.join(', ')}`, { field: 'channels', missing: missingC });
        const groups = groupNames.length ? await trx.selectFrom('notify_groups').select('name').where('name', 'in', groupNames).execute() : [];
        const missingG = groupNames.filter((n) => !groups.some((g) => g.name === n));
        if (missingG.length) throw invalid(`groups: no such group: ${missingG.join(', ')}`, { field: 'groups', missing: missingG });
        const values = {
          channels: JSON.stringify(channelNames),
          groups: JSON.stringify(groupNames),
          escalate_after_s: escalateAfter,
          escalate_max: escalateMax,
          updated_by: actor.actor,
          updated_at: now(),
        };
        const updated = await trx.updateTable('notify_routes').set(values).where('severity', '=', severity).executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0)
          await trx
            .insertInto('notify_routes')
            .values({ severity, ...values })
            .execute();
        await record(trx, actor, 'route.set', `route:${severity}`, { channels: channelNames, groups: groupNames, escalateAfterSeconds: escalateAfter, escalateMax });
      });
      return (await service.listRoutes()).find((r) => r.severity === severity)!;
    },

    async listSilences(query = {}) {
      let q = db.selectFrom('notify_silences').selectAll().orderBy('id', 'desc');
      if (!query.all) q = q.where('expired_at', 'is', null).where('ends_at', '>', now());
      return (await q.execute()).map(silenceOf);
    },

    async createSilence(actor, input) {
      const kind = input.kind ?? 'silence';
      if (kind !== 'silence' && kind !== 'maintenance') throw invalid('kind: silence or maintenance', { field: 'kind' });
      if (kind === 'silence' && input.matchers.length === 0)
        throw invalid('matchers: a silence needs at least one matcher (a maintenance window may have none)', { field: 'matchers' });
      for (const [i, m] of input.matchers.entries()) {
        if (!/^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/.test(m.name)) throw invalid(`matchers[${i}].name: not a label name`, { field: `matchers[${i}].name` });
        if (m.regex)
          try {
            new RegExp(`^(?:${m.value})$`, 'u');
          } catch {
            throw invalid(`matchers[${i}].value: not a regular expression`, { field: `matchers[${i}].value` });
          }
      }
      if (!input.comment?.trim()) throw invalid('comment: say why (who is working on what)', { field: 'comment' });
      const current = clock.now();
      const starts = input.startsAt ? parseTime('startsAt', input.startsAt) : current;
      const ends = parseTime('endsAt', input.endsAt);
      if (ends <= starts) throw invalid('endsAt: must be after startsAt', { field: 'endsAt' });
      if (ends <= current) throw invalid('endsAt: is in the past', { field: 'endsAt' });
      if (kind === 'silence' && ends.getTime() - starts.getTime() > MAX_SILENCE_MS)
        throw invalid('endsAt: a silence lasts at most 30 days (use a maintenance window for longer)', { field: 'endsAt' });
      const matchers = input.matchers.map((m) => ({ name: m.name, value: m.value, ...(m.regex ? { regex: true } : {}) }));
      return db.transaction().execute(async (trx) => {
        const res = await trx
          .insertInto('notify_silences')
          .values({
            kind,
            matchers: JSON.stringify(matchers),
            starts_at: toDbTime(starts),
            ends_at: toDbTime(ends),
            comment: input.comment.trim(),
            created_by: actor.actor,
            created_at: toDbTime(current),
            expired_at: null,
          })
          .executeTakeFirstOrThrow();
        const id = Number(res.insertId);
        await record(trx, actor, 'silence.create', `silence:${id}`, { kind, matchers, startsAt: starts.toISOString(), endsAt: ends.toISOString() });
        return silenceOf((await trx.selectFrom('notify_silences').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as never);
      });
    },

    async expireSilence(actor, id) {
      return db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('notify_silences').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw notFound(`silence ${id}`);
        if (row.expired_at === null && row.ends_at > now()) {
          await trx.updateTable('notify_silences').set({ expired_at: now() }).where('id', '=', id).execute();
          await record(trx, actor, 'silence.expire', `silence:${id}`, { kind: row.kind });
        }
        return silenceOf((await trx.selectFrom('notify_silences').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as never);
      });
    },
  };

  /** A row as shown: when its secrets cannot be decrypted (MCP_NOTIFY_KEY changed) it is still listed, marked `secretsUnreadable`. */
  function shown(r: ChannelRow): ChannelView {
    if (!r.secrets) return view(r, []);
    try {
      return view(r, secretNamesOf(r));
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      deps.log.warn({ channel: r.name }, e.message);
      return { ...view(r, []), secretsUnreadable: true };
    }
  }

  return service;
}

export type { PlannedDelivery };
