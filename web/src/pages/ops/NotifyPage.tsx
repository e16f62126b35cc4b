import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Switch, Table, Tabs, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { unwrap } from '../../api/client';
import { Can, useApi, useCan } from '../../auth/SessionProvider';
import { DeleteButton } from '../DeleteButton';
import { useI18n } from '../../i18n/I18nProvider';
import { StateTag, type Tone } from '../StateTag';
import { useUrlFilters } from '../../urlFilters';
import { SEVERITY_TONE } from './severity';
import { CHANNEL_FIELDS, CHANNEL_TYPES, type ChannelType, channelConfig } from './channelFields';

const OUTBOX_STATUSES = ['pending', 'queued', 'sending', 'sent', 'merged', 'cancelled', 'dead'] as const;
const SPEC = { tab: ['channels', 'contacts', 'groups', 'routes', 'outbox'], status: OUTBOX_STATUSES } as const;
const MASK = '******';

interface ChannelRow {
  name: string;
  type: ChannelType;
  enabled: boolean;
  config: Record<string, unknown>;
  secretsSet: string[];
  secretsUnreadable?: true;
  updatedAt: string;
}
interface ContactRow {
  id: number;
  name: string;
  email: string | null;
  phone: string | null;
}
interface GroupRow {
  name: string;
  members: string[];
}
interface RouteRow {
  severity: 'critical' | 'major' | 'minor';
  source: 'stored' | 'default';
  channels: string[];
  groups: string[];
  channelTypes?: string[];
  escalateAfterSeconds: number | null;
  escalateMax: number;
}
interface OutboxRow {
  id: number;
  channel: string;
  recipients: string[];
  kind: string;
  severity: string;
  status: (typeof OUTBOX_STATUSES)[number];
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  alerts: { name: string }[];
}

const time = (v: string | null | undefined) => (v ? dayjs(v).format('YYYY-MM-DD HH:mm:ss') : '—');
const items = <T,>(d: unknown) => (d as { items: T[] }).items;

/** 通知 Notifications: channels (secrets write-only), contacts, on-call groups, routes per severity, the outbox. */
export default function NotifyPage() {
  const { t } = useI18n();
  const [filters, setFilters] = useUrlFilters(SPEC);
  return (
    <Card>
      <Tabs
        activeKey={filters.tab ?? 'channels'}
        onChange={(k) => setFilters({ tab: k === 'channels' ? null : k, status: null })}
        items={[
          { key: 'channels', label: t('nt.channels'), children: <Channels /> },
          { key: 'contacts', label: t('nt.contacts'), children: <Contacts /> },
          { key: 'groups', label: t('nt.groups'), children: <Groups /> },
          { key: 'routes', label: t('nt.routes'), children: <RoutesTab /> },
          { key: 'outbox', label: t('nt.outbox'), children: <Outbox status={filters.status} setStatus={(s) => setFilters({ status: s })} /> },
        ]}
      />
    </Card>
  );
}

function useChanged(keys: string[][]) {
  const qc = useQueryClient();
  const { message } = App.useApp();
  const { t } = useI18n();
  return () => {
    message.success(t('common.saved'));
    for (const k of keys) void qc.invalidateQueries({ queryKey: k });
  };
}

function Channels() {
  const { t, lang, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const { message } = App.useApp();
  const changed = useChanged([['channels']]);
  const [editing, setEditing] = useState<ChannelRow | 'new' | null>(null);
  const channels = useQuery({ queryKey: ['channels'], queryFn: async () => items<ChannelRow>(unwrap(await api.GET('/api/support/notify/channels'))) });
  const toggle = useMutation({
    mutationFn: async (c: ChannelRow) => unwrap(await api.PATCH('/api/support/notify/channels/{name}', { params: { path: { name: c.name } }, body: { enabled: !c.enabled } })),
    onSuccess: changed,
    onError: (e) => message.error(errorText(e)),
  });
  const remove = useMutation({
    mutationFn: async (name: string) => unwrap(await api.DELETE('/api/support/notify/channels/{name}', { params: { path: { name } } })),
    onSuccess: changed,
    onError: (e) => message.error(errorText(e)),
  });
  const test = useMutation({
    mutationFn: async (channel: string) => unwrap(await api.POST('/api/ops/notify/test', { body: { channel, lang } })),
    onSuccess: () => message.success(t('nt.testSent')),
    onError: (e) => message.error(errorText(e)),
  });
  const columns = [
    { title: t('nt.name'), dataIndex: 'name', key: 'name' },
    { title: t('nt.type'), dataIndex: 'type', key: 'type', render: (v: ChannelType) => <Tag>{t(`nt.type.${v}`)}</Tag> },
    {
      title: t('nt.enabled'),
      dataIndex: 'enabled',
      key: 'enabled',
      render: (v: boolean, c: ChannelRow) => <Switch checked={v} disabled={!can('ops:notify')} onChange={() => toggle.mutate(c)} aria-label={`${t('nt.enabled')} ${c.name}`} />,
    },
    {
      title: t('nt.config'),
      dataIndex: 'config',
      key: 'config',
      responsive: ['md' as const],
      render: (cfg: Record<string, unknown>, c: ChannelRow) => (
        <Space size={4} wrap>
          {Object.entries(cfg).map(([k, v]) => (
            <Tag key={k}>{`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`}</Tag>
          ))}
          {c.secretsUnreadable && <StateTag tone="bad">{t('nt.secretsUnreadable')}</StateTag>}
        </Space>
      ),
    },
    ...(can('ops:notify')
      ? [
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, c: ChannelRow) => (
              <Space size={0} wrap>
                <Button type="link" size="small" loading={test.isPending && test.variables === c.name} onClick={() => test.mutate(c.name)}>
                  {t('nt.sendTest')}
                </Button>
                <Button type="link" size="small" onClick={() => setEditing(c)}>
                  {t('common.edit')}
                </Button>
                <DeleteButton name={c.name} onConfirm={() => remove.mutateAsync(c.name)} />
              </Space>
            ),
          },
        ]
      : []),
  ];
  return (
    <>
      <Space wrap style={{ marginBottom: 16 }}>
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void channels.refetch()} />
        <Can permission="ops:notify">
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
            {t('nt.createChannel')}
          </Button>
        </Can>
      </Space>
      {channels.error && <Alert type="error" showIcon title={errorText(channels.error)} style={{ marginBottom: 16 }} />}
      <Table<ChannelRow>
        rowKey="name"
        size="middle"
        loading={channels.isFetching}
        dataSource={channels.data}
        columns={columns}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Typography.Text type="secondary">{t('nt.noChannels')}</Typography.Text> }}
        pagination={false}
      />
      {editing && <ChannelModal channel={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </>
  );
}

function ChannelModal({ channel, onClose }: { channel: ChannelRow | null; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const changed = useChanged([['channels']]);
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const type = (Form.useWatch('type', form) as ChannelType | undefined) ?? channel?.type ?? 'webhook';
  const fields = CHANNEL_FIELDS[type];
  const save = useMutation({
    mutationFn: async (v: Record<string, unknown>) => {
      let config: Record<string, unknown>;
      try {
        config = channelConfig(type, v, !!channel);
      } catch {
        throw new Error(t('nt.badJson'));
      }
      if (channel) return unwrap(await api.PATCH('/api/support/notify/channels/{name}', { params: { path: { name: channel.name } }, body: { config } }));
      return unwrap(await api.POST('/api/support/notify/channels', { body: { name: String(v.name).trim(), type, config, enabled: true } }));
    },
    onSuccess: () => {
      changed();
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });
  const initial: Record<string, unknown> = channel
    ? { name: channel.name, type: channel.type, ...Object.fromEntries(Object.entries(channel.config).filter(([, v]) => v !== MASK)) }
    : { type: 'webhook' };
  if (channel && !fields) initial.json = '';
  return (
    <Modal
      open
      title={channel ? t('nt.editChannel', { name: channel.name }) : t('nt.createChannel')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form form={form} layout="vertical" initialValues={initial} onFinish={(v) => save.mutate(v)}>
        <Form.Item label={t('nt.name')} name="name" rules={[{ required: true, pattern: /^[a-z0-9-]{1,64}$/, message: t('nt.nameRule') }]}>
          <Input disabled={!!channel} autoComplete="off" />
        </Form.Item>
        <Form.Item label={t('nt.type')} name="type">
          <Select aria-label={t('nt.type')} disabled={!!channel} options={CHANNEL_TYPES.map((c) => ({ value: c, label: t(`nt.type.${c}`) }))} />
        </Form.Item>
        {fields ? (
          fields.map((f) => {
            const isSet = !!channel?.secretsSet.includes(f.name);
            return (
              <Form.Item
                key={f.name}
                label={f.name}
                name={f.name}
                extra={f.secret ? (isSet ? t('nt.secretKept') : t('nt.secretHint')) : undefined}
                rules={[{ required: f.required && !(f.secret && isSet), message: t('login.required', { field: f.name }) }]}
              >
                {f.secret ? <Input.Password autoComplete="new-password" placeholder={isSet ? MASK : undefined} visibilityToggle={false} /> : <Input autoComplete="off" />}
              </Form.Item>
            );
          })
        ) : (
          <Form.Item label={t('nt.configJson')} name="json" extra={t('nt.configJsonHint')} rules={[{ required: !channel, message: t('nt.configJson') }]}>
            <Input.TextArea rows={5} spellCheck={false} />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}

function Contacts() {
  const { t, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const { message } = App.useApp();
  const changed = useChanged([['contacts'], ['groups']]);
  const [editing, setEditing] = useState<ContactRow | 'new' | null>(null);
  const contacts = useQuery({ queryKey: ['contacts'], queryFn: async () => items<ContactRow>(unwrap(await api.GET('/api/support/notify/contacts'))) });
  const remove = useMutation({
    mutationFn: async (id: number) => unwrap(await api.DELETE('/api/support/notify/contacts/{id}', { params: { path: { id: String(id) } } })),
    onSuccess: changed,
    onError: (e) => message.error(errorText(e)),
  });
  const columns = [
    { title: t('nt.name'), dataIndex: 'name', key: 'name' },
    { title: t('nt.email'), dataIndex: 'email', key: 'email', render: (v: string | null) => v ?? '—' },
    { title: t('nt.phone'), dataIndex: 'phone', key: 'phone', render: (v: string | null) => v ?? '—' },
    ...(can('ops:notify')
      ? [
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, c: ContactRow) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => setEditing(c)}>
                  {t('common.edit')}
                </Button>
                <DeleteButton name={c.name} onConfirm={() => remove.mutateAsync(c.id)} />
              </Space>
            ),
          },
        ]
      : []),
  ];
  return (
    <>
      <Space wrap style={{ marginBottom: 16 }}>
        <Can permission="ops:notify">
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
            {t('nt.createContact')}
          </Button>
        </Can>
      </Space>
      {contacts.error && <Alert type="error" showIcon title={errorText(contacts.error)} style={{ marginBottom: 16 }} />}
      <Table<ContactRow>
        rowKey="id"
        size="middle"
        loading={contacts.isFetching}
        dataSource={contacts.data}
        columns={columns}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Typography.Text type="secondary">{t('common.empty')}</Typography.Text> }}
        pagination={false}
      />
      {editing && <ContactModal contact={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </>
  );
}

function ContactModal({ contact, onClose }: { contact: ContactRow | null; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const changed = useChanged([['contacts']]);
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: async (v: { name: string; email?: string; phone?: string }) => {
      const body = { name: v.name.trim(), email: v.email?.trim() || null, phone: v.phone?.trim() || null };
      if (contact) return unwrap(await api.PATCH('/api/support/notify/contacts/{id}', { params: { path: { id: String(contact.id) } }, body }));
      return unwrap(await api.POST('/api/support/notify/contacts', { body }));
    },
    onSuccess: () => {
      changed();
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });
  return (
    <Modal
      open
      title={contact ? t('nt.editContact') : t('nt.createContact')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form form={form} layout="vertical" initialValues={contact ?? {}} onFinish={(v) => save.mutate(v)}>
        <Form.Item label={t('nt.name')} name="name" rules={[{ required: true, whitespace: true, message: t('login.required', { field: t('nt.name') }) }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item label={t('nt.email')} name="email" rules={[{ type: 'email', message: t('nt.email') }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item label={t('nt.phone')} name="phone">
          <Input autoComplete="off" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function Groups() {
  const { t, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const { message } = App.useApp();
  const changed = useChanged([['groups']]);
  const [editing, setEditing] = useState<GroupRow | 'new' | null>(null);
  const groups = useQuery({ queryKey: ['groups'], queryFn: async () => items<GroupRow>(unwrap(await api.GET('/api/support/notify/groups'))) });
  const remove = useMutation({
    mutationFn: async (name: string) => unwrap(await api.DELETE('/api/support/notify/groups/{name}', { params: { path: { name } } })),
    onSuccess: changed,
    onError: (e) => message.error(errorText(e)),
  });
  const columns = [
    { title: t('nt.name'), dataIndex: 'name', key: 'name' },
    { title: t('nt.members'), dataIndex: 'members', key: 'members', render: (ms: string[]) => (ms.length ? ms.map((m) => <Tag key={m}>{m}</Tag>) : '—') },
    ...(can('ops:notify')
      ? [
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, g: GroupRow) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => setEditing(g)}>
                  {t('common.edit')}
                </Button>
                <DeleteButton name={g.name} onConfirm={() => remove.mutateAsync(g.name)} />
              </Space>
            ),
          },
        ]
      : []),
  ];
  return (
    <>
      <Space wrap style={{ marginBottom: 16 }}>
        <Can permission="ops:notify">
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
            {t('nt.createGroup')}
          </Button>
        </Can>
      </Space>
      {groups.error && <Alert type="error" showIcon title={errorText(groups.error)} style={{ marginBottom: 16 }} />}
      <Table<GroupRow>
        rowKey="name"
        size="middle"
        loading={groups.isFetching}
        dataSource={groups.data}
        columns={columns}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Typography.Text type="secondary">{t('common.empty')}</Typography.Text> }}
        pagination={false}
      />
      {editing && <GroupModal group={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </>
  );
}

function GroupModal({ group, onClose }: { group: GroupRow | null; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const changed = useChanged([['groups']]);
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const contacts = useQuery({ queryKey: ['contacts'], queryFn: async () => items<ContactRow>(unwrap(await api.GET('/api/support/notify/contacts'))) });
  const save = useMutation({
    mutationFn: async (v: { name: string; members?: string[] }) => {
      if (group) return unwrap(await api.PUT('/api/support/notify/groups/{name}/members', { params: { path: { name: group.name } }, body: { members: v.members ?? [] } }));
      return unwrap(await api.POST('/api/support/notify/groups', { body: { name: v.name.trim(), members: v.members ?? [] } }));
    },
    onSuccess: () => {
      changed();
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });
  return (
    <Modal
      open
      title={group ? t('nt.editGroup', { name: group.name }) : t('nt.createGroup')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form form={form} layout="vertical" initialValues={group ?? { members: [] }} onFinish={(v) => save.mutate(v)}>
        <Form.Item label={t('nt.name')} name="name" rules={[{ required: true, whitespace: true, message: t('login.required', { field: t('nt.name') }) }]}>
          <Input disabled={!!group} autoComplete="off" />
        </Form.Item>
        <Form.Item label={t('nt.members')} name="members">
          <Select mode="multiple" aria-label={t('nt.members')} options={(contacts.data ?? []).map((c) => ({ value: c.name, label: c.name }))} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function RoutesTab() {
  const { t, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const [editing, setEditing] = useState<RouteRow | null>(null);
  const routes = useQuery({ queryKey: ['routes'], queryFn: async () => items<RouteRow>(unwrap(await api.GET('/api/support/notify/routes'))) });
  const columns = [
    {
      title: t('al.severity'),
      dataIndex: 'severity',
      key: 'severity',
      render: (s: string) => <StateTag tone={SEVERITY_TONE[s] ?? 'neutral'}>{t(`sev.${s as RouteRow['severity']}`)}</StateTag>,
    },
    { title: t('nt.source'), dataIndex: 'source', key: 'source', render: (s: RouteRow['source']) => t(`nt.source.${s}`) },
    {
      title: t('nt.channels'),
      key: 'channels',
      render: (_: unknown, r: RouteRow) =>
        r.source === 'default' ? (
          <Typography.Text type="secondary">{t('nt.defaultRoute', { types: (r.channelTypes ?? []).map((c) => t(`nt.type.${c as ChannelType}`)).join('、') })}</Typography.Text>
        ) : (
          r.channels.map((c) => <Tag key={c}>{c}</Tag>)
        ),
    },
    { title: t('nt.groups'), dataIndex: 'groups', key: 'groups', render: (gs: string[]) => (gs.length ? gs.map((g) => <Tag key={g}>{g}</Tag>) : '—') },
    {
      title: t('nt.escalate'),
      key: 'esc',
      render: (_: unknown, r: RouteRow) => (r.escalateAfterSeconds ? t('nt.escalateValue', { s: r.escalateAfterSeconds, n: r.escalateMax }) : '—'),
    },
    ...(can('ops:notify')
      ? [
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, r: RouteRow) => (
              <Button type="link" size="small" onClick={() => setEditing(r)}>
                {t('common.edit')}
              </Button>
            ),
          },
        ]
      : []),
  ];
  return (
    <>
      {routes.error && <Alert type="error" showIcon title={errorText(routes.error)} style={{ marginBottom: 16 }} />}
      <Table<RouteRow>
        rowKey="severity"
        size="middle"
        loading={routes.isFetching}
        dataSource={routes.data}
        columns={columns}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Typography.Text type="secondary">{t('common.empty')}</Typography.Text> }}
        pagination={false}
      />
      {editing && <RouteModal route={editing} onClose={() => setEditing(null)} />}
    </>
  );
}

function RouteModal({ route, onClose }: { route: RouteRow; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const changed = useChanged([['routes']]);
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const channels = useQuery({ queryKey: ['channels'], queryFn: async () => items<ChannelRow>(unwrap(await api.GET('/api/support/notify/channels'))) });
  const groups = useQuery({ queryKey: ['groups'], queryFn: async () => items<GroupRow>(unwrap(await api.GET('/api/support/notify/groups'))) });
  const save = useMutation({
    mutationFn: async (v: { channels?: string[]; groups?: string[]; escalateAfterSeconds?: number | null; escalateMax?: number }) =>
      unwrap(
        await api.PUT('/api/support/notify/routes/{severity}', {
          params: { path: { severity: route.severity } },
          body: {
            channels: v.channels ?? [],
            groups: v.groups ?? [],
            escalateAfterSeconds: v.escalateAfterSeconds ?? null,
            ...(v.escalateMax ? { escalateMax: v.escalateMax } : {}),
          },
        }),
      ),
    onSuccess: () => {
      changed();
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });
  return (
    <Modal
      open
      title={t('nt.editRoute', { severity: t(`sev.${route.severity}`) })}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form
        form={form}
        layout="vertical"
        initialValues={{
          channels: route.source === 'stored' ? route.channels : [],
          groups: route.groups,
          escalateAfterSeconds: route.escalateAfterSeconds,
          escalateMax: route.escalateMax,
        }}
        onFinish={(v) => save.mutate(v)}
      >
        <Form.Item label={t('nt.channels')} name="channels">
          <Select mode="multiple" aria-label={t('nt.channels')} options={(channels.data ?? []).map((c) => ({ value: c.name, label: c.name }))} />
        </Form.Item>
        <Form.Item label={t('nt.groups')} name="groups">
          <Select mode="multiple" aria-label={t('nt.groups')} options={(groups.data ?? []).map((g) => ({ value: g.name, label: g.name }))} />
        </Form.Item>
        <Form.Item label={t('nt.escalateAfter')} name="escalateAfterSeconds">
          <InputNumber min={60} max={86_400} addonAfter="s" style={{ width: 200 }} />
        </Form.Item>
        <Form.Item label={t('nt.escalateMax')} name="escalateMax">
          <InputNumber min={1} max={10} style={{ width: 200 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function Outbox({ status, setStatus }: { status?: string; setStatus: (s: string | null) => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const { message } = App.useApp();
  const changed = useChanged([['outbox']]);
  const outbox = useQuery({
    queryKey: ['outbox', status],
    queryFn: async () => items<OutboxRow>(unwrap(await api.GET('/api/support/notify/outbox', { params: { query: { status: status as OutboxRow['status'] | undefined } } }))),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  const retry = useMutation({
    mutationFn: async (id: number) => unwrap(await api.POST('/api/support/notify/outbox/{id}/retry', { params: { path: { id: String(id) } } })),
    onSuccess: changed,
    onError: (e) => message.error(errorText(e)),
  });
  const color: Record<string, Tone> = { sent: 'ok', dead: 'bad', cancelled: 'neutral', merged: 'neutral', pending: 'info', queued: 'info', sending: 'info' };
  const columns = [
    { title: 'ID', dataIndex: 'id', key: 'id' },
    { title: t('nt.channel'), dataIndex: 'channel', key: 'channel' },
    {
      title: t('nt.status'),
      dataIndex: 'status',
      key: 'status',
      render: (s: string) => <StateTag tone={color[s] ?? 'neutral'}>{t(`nt.status.${s as OutboxRow['status']}`)}</StateTag>,
    },
    { title: t('nt.alertsCol'), dataIndex: 'alerts', key: 'alerts', responsive: ['md' as const], render: (as: OutboxRow['alerts']) => as.map((a) => a.name).join(', ') || '—' },
    { title: t('nt.recipients'), dataIndex: 'recipients', key: 'recipients', responsive: ['lg' as const], render: (rs: string[]) => rs.join(', ') || '—' },
    { title: t('nt.attempts'), dataIndex: 'attempts', key: 'attempts' },
    { title: t('nt.lastError'), dataIndex: 'lastError', key: 'lastError', render: (v: string | null) => (v ? <Typography.Text type="danger">{v}</Typography.Text> : '—') },
    { title: t('nt.createdAt'), dataIndex: 'createdAt', key: 'createdAt', responsive: ['md' as const], render: time },
    ...(can('ops:notify')
      ? [
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, o: OutboxRow) =>
              o.status === 'dead' ? (
                <Button type="link" size="small" onClick={() => retry.mutate(o.id)}>
                  {t('nt.retry')}
                </Button>
              ) : null,
          },
        ]
      : []),
  ];
  return (
    <>
      <Space wrap style={{ marginBottom: 16 }}>
        <Select
          aria-label={t('nt.status')}
          placeholder={t('nt.status')}
          allowClear
          value={status}
          onChange={(v) => setStatus(v ?? null)}
          style={{ width: 140 }}
          options={OUTBOX_STATUSES.map((s) => ({ value: s, label: t(`nt.status.${s}`) }))}
        />
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void outbox.refetch()} />
      </Space>
      {outbox.error && <Alert type="error" showIcon title={errorText(outbox.error)} style={{ marginBottom: 16 }} />}
      <Table<OutboxRow>
        rowKey="id"
        size="middle"
        loading={outbox.isLoading || outbox.isPlaceholderData}
        dataSource={outbox.data}
        columns={columns}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Typography.Text type="secondary">{t('nt.outboxEmpty')}</Typography.Text> }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
      />
    </>
  );
}
