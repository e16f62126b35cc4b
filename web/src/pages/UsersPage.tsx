import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Checkbox, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { unwrap } from '../api/client';
import { Can, useApi, useCan, useUser } from '../auth/SessionProvider';
import { useI18n } from '../i18n/I18nProvider';
import { useUrlFilters } from '../urlFilters';
import { StateTag } from './StateTag';

const SPEC = { page: 'int', pageSize: 'int', search: 'string', status: ['active', 'disabled'], role: 'string' } as const;

interface UserRow {
  id: number;
  username: string;
  email: string;
  displayName: string | null;
  status: string;
  roles: string[];
  mustChangePassword: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

type Editing = { mode: 'create' } | { mode: 'edit'; user: UserRow } | { mode: 'reset'; user: UserRow } | null;

export default function UsersPage() {
  const { t, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const me = useUser();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [filters, setFilters] = useUrlFilters(SPEC);
  const [editing, setEditing] = useState<Editing>(null);
  const [search, setSearch] = useState(filters.search ?? '');
  const page = filters.page ?? 1;
  const pageSize = filters.pageSize ?? 20;

  const users = useQuery({
    queryKey: ['users', filters],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/users', {
          params: { query: { page, pageSize, search: filters.search, status: filters.status as 'active' | 'disabled' | undefined, role: filters.role } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const roles = useQuery({
    queryKey: ['roles'],
    queryFn: async () => unwrap(await api.GET('/api/roles')).items,
    enabled: can('roles:read'),
  });
  const roleOptions = (roles.data ?? []).map((r) => ({ value: r.name, label: r.name }));

  const patch = useMutation({
    mutationFn: async ({ id, body }: { id: number; body: Record<string, unknown> }) => unwrap(await api.PATCH('/api/users/{id}', { params: { path: { id } }, body })),
    onSuccess: () => {
      message.success(t('common.saved'));
      void qc.invalidateQueries({ queryKey: ['users'] });
    },
    onError: (e) => message.error(errorText(e)),
  });
  const remove = useMutation({
    mutationFn: async (id: number) => unwrap(await api.DELETE('/api/users/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      message.success(t('common.deleted'));
      void qc.invalidateQueries({ queryKey: ['users'] });
    },
    onError: (e) => message.error(errorText(e)),
  });

  const writable = can('users:write');
  const columns = [
    { title: t('users.username'), dataIndex: 'username', key: 'username' },
    { title: t('users.displayName'), dataIndex: 'displayName', key: 'displayName', responsive: ['md' as const], render: (v: string | null) => v ?? '—' },
    { title: t('users.email'), dataIndex: 'email', key: 'email', responsive: ['lg' as const] },
    {
      title: t('users.roles'),
      dataIndex: 'roles',
      key: 'roles',
      render: (rs: string[]) => rs.map((r) => <Tag key={r}>{r}</Tag>),
    },
    {
      title: t('users.status'),
      dataIndex: 'status',
      key: 'status',
      render: (s: string) => <StateTag tone={s === 'active' ? 'ok' : 'neutral'}>{s === 'active' ? t('users.active') : t('users.disabled')}</StateTag>,
    },
    {
      title: t('users.lastLogin'),
      dataIndex: 'lastLoginAt',
      key: 'lastLoginAt',
      responsive: ['lg' as const],
      render: (v: string | null) => (v ? dayjs(v).format('YYYY-MM-DD HH:mm:ss') : t('users.never')),
    },
    ...(writable || can('users:reset-password')
      ? [
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, u: UserRow) => (
              <Space size={0} wrap>
                <Can permission="users:write">
                  <Button type="link" size="small" onClick={() => setEditing({ mode: 'edit', user: u })}>
                    {t('common.edit')}
                  </Button>
                  {u.status === 'active' ? (
                    <Popconfirm
                      title={t('users.confirmDisable', { name: u.username })}
                      onConfirm={() => patch.mutateAsync({ id: u.id, body: { status: 'disabled' } })}
                      okText={t('common.ok')}
                      cancelText={t('common.cancel')}
                      disabled={u.id === me?.id}
                    >
                      <Button type="link" size="small" disabled={u.id === me?.id}>
                        {t('users.disable')}
                      </Button>
                    </Popconfirm>
                  ) : (
                    <Button type="link" size="small" onClick={() => patch.mutate({ id: u.id, body: { status: 'active' } })}>
                      {t('users.enable')}
                    </Button>
                  )}
                </Can>
                <Can permission="users:reset-password">
                  <Button type="link" size="small" onClick={() => setEditing({ mode: 'reset', user: u })}>
                    {t('users.resetPassword')}
                  </Button>
                </Can>
                <Can permission="users:write">
                  <Popconfirm
                    title={t('common.confirmDelete', { name: u.username })}
                    onConfirm={() => remove.mutateAsync(u.id)}
                    okText={t('common.delete')}
                    okButtonProps={{ danger: true }}
                    cancelText={t('common.cancel')}
                    disabled={u.id === me?.id}
                  >
                    <Button type="link" size="small" danger disabled={u.id === me?.id}>
                      {t('common.delete')}
                    </Button>
                  </Popconfirm>
                </Can>
              </Space>
            ),
          },
        ]
      : []),
  ];

  return (
    <Card>
      <Space wrap style={{ marginBottom: 16 }}>
        <Input.Search
          aria-label={t('common.search')}
          placeholder={t('users.searchPlaceholder')}
          allowClear
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          onSearch={(v) => setFilters({ search: v.trim() })}
          style={{ width: 240 }}
        />
        <Select
          aria-label={t('users.status')}
          placeholder={t('users.status')}
          allowClear
          value={filters.status}
          onChange={(v) => setFilters({ status: v })}
          style={{ width: 120 }}
          options={[
            { value: 'active', label: t('users.active') },
            { value: 'disabled', label: t('users.disabled') },
          ]}
        />
        {can('roles:read') && (
          <Select
            aria-label={t('users.roles')}
            placeholder={t('users.roles')}
            allowClear
            value={filters.role}
            onChange={(v) => setFilters({ role: v })}
            style={{ width: 140 }}
            options={roleOptions}
          />
        )}
        <Button
          onClick={() => {
            setSearch('');
            setFilters({ search: null, status: null, role: null, page: null });
          }}
        >
          {t('common.reset')}
        </Button>
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void users.refetch()} />
        <Can permission="users:write">
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({ mode: 'create' })}>
            {t('users.create')}
          </Button>
        </Can>
      </Space>
      {users.error && <Alert type="error" showIcon title={errorText(users.error)} style={{ marginBottom: 16 }} />}
      <Table<UserRow>
        rowKey="id"
        size="middle"
        loading={users.isFetching}
        dataSource={users.data?.items}
        columns={columns}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Typography.Text type="secondary">{t('common.empty')}</Typography.Text> }}
        pagination={{
          current: page,
          pageSize,
          total: users.data?.total ?? 0,
          showSizeChanger: true,
          pageSizeOptions: [10, 20, 50, 100],
          showTotal: (n) => t('common.total', { n }),
          onChange: (p, s) => setFilters({ page: p === 1 ? null : p, pageSize: s === 20 ? null : s }),
        }}
      />
      {editing?.mode === 'reset' ? (
        <ResetPasswordModal user={editing.user} onClose={() => setEditing(null)} />
      ) : editing ? (
        <UserModal editing={editing} roleOptions={roleOptions} onClose={() => setEditing(null)} />
      ) : null}
    </Card>
  );
}

function UserModal({
  editing,
  roleOptions,
  onClose,
}: {
  editing: Exclude<Editing, null | { mode: 'reset' }>;
  roleOptions: { value: string; label: string }[];
  onClose: () => void;
}) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const user = editing.mode === 'edit' ? editing.user : null;

  const save = useMutation({
    mutationFn: async (v: { username: string; email: string; displayName?: string; password?: string; roles?: string[]; mustChangePassword?: boolean }) => {
      const displayName = v.displayName?.trim() ? v.displayName.trim() : null;
      if (user) return unwrap(await api.PATCH('/api/users/{id}', { params: { path: { id: user.id } }, body: { email: v.email, displayName, roles: v.roles ?? [] } }));
      return unwrap(
        await api.POST('/api/users', {
          body: { username: v.username, email: v.email, displayName, password: v.password ?? '', roles: v.roles ?? [], mustChangePassword: v.mustChangePassword ?? true },
        }),
      );
    },
    onSuccess: () => {
      message.success(t('common.saved'));
      void qc.invalidateQueries({ queryKey: ['users'] });
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });

  return (
    <Modal
      open
      title={user ? t('users.edit') : t('users.create')}
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
        initialValues={
          user ? { username: user.username, email: user.email, displayName: user.displayName ?? '', roles: user.roles } : { roles: ['viewer'], mustChangePassword: true }
        }
        onFinish={(v) => save.mutate(v)}
      >
        <Form.Item label={t('users.username')} name="username" rules={[{ required: true, message: t('login.required', { field: t('users.username') }) }]}>
          <Input disabled={!!user} autoComplete="off" />
        </Form.Item>
        <Form.Item label={t('users.email')} name="email" rules={[{ required: true, type: 'email', message: t('login.required', { field: t('users.email') }) }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item label={t('users.displayName')} name="displayName">
          <Input autoComplete="off" />
        </Form.Item>
        {!user && (
          <Form.Item label={t('users.password')} name="password" rules={[{ required: true, message: t('login.required', { field: t('users.password') }) }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        )}
        <Form.Item label={t('users.roles')} name="roles">
          <Select mode="multiple" options={roleOptions} aria-label={t('users.roles')} />
        </Form.Item>
        {!user && (
          <Form.Item name="mustChangePassword" valuePropName="checked">
            <Checkbox>{t('users.mustChange')}</Checkbox>
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}

function ResetPasswordModal({ user, onClose }: { user: UserRow; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const reset = useMutation({
    mutationFn: async (v: { password: string }) =>
      unwrap(await api.PATCH('/api/users/{id}', { params: { path: { id: user.id } }, body: { password: v.password, mustChangePassword: true } })),
    onSuccess: () => {
      message.success(t('users.resetDone'));
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });
  return (
    <Modal
      open
      title={t('users.resetTitle', { name: user.username })}
      okText={t('common.ok')}
      okButtonProps={{ danger: true }}
      cancelText={t('common.cancel')}
      confirmLoading={reset.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('users.resetHint')}</Typography.Paragraph>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form form={form} layout="vertical" onFinish={(v) => reset.mutate(v)}>
        <Form.Item label={t('users.newPassword')} name="password" rules={[{ required: true, message: t('login.required', { field: t('users.newPassword') }) }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
