import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Checkbox, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { unwrap } from '../api/client';
import { Can, useApi, useCan } from '../auth/SessionProvider';
import { DeleteButton } from './DeleteButton';
import { useI18n } from '../i18n/I18nProvider';
import { StateTag } from './StateTag';

interface RoleRow {
  id: number;
  name: string;
  description: string;
  builtin: boolean;
  permissions: string[];
}

interface PermissionEntry {
  name: string;
  description: string;
}

/** A catalog description is "中文 / English": the half in the console's language. */
export function describePermission(description: string, lang: string): string {
  const at = description.search(/\s*\/\s+[A-Za-z]/);
  if (at < 0) return description;
  return lang === 'en' ? description.slice(description.indexOf('/', at) + 1).trim() : description.slice(0, at).trim();
}

export default function RolesPage() {
  const { t, lang, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [editing, setEditing] = useState<{ role: RoleRow | null; readOnly: boolean } | null>(null);

  const roles = useQuery({ queryKey: ['roles'], queryFn: async () => unwrap(await api.GET('/api/roles')).items });
  const catalog = useQuery({ queryKey: ['permissions'], queryFn: async () => unwrap(await api.GET('/api/permissions')).items });
  const remove = useMutation({
    mutationFn: async (id: number) => unwrap(await api.DELETE('/api/roles/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      message.success(t('common.deleted'));
      void qc.invalidateQueries({ queryKey: ['roles'] });
    },
    onError: (e) => message.error(errorText(e)),
  });

  const columns = [
    {
      title: t('roles.name'),
      dataIndex: 'name',
      key: 'name',
      render: (n: string, r: RoleRow) =>
        r.builtin ? (
          <Space>
            {n}
            <StateTag tone="info">{t('roles.builtin')}</StateTag>
          </Space>
        ) : (
          n
        ),
    },
    {
      title: t('roles.description'),
      dataIndex: 'description',
      key: 'description',
      ellipsis: true,
      responsive: ['md' as const],
      render: (d: string) => describePermission(d, lang),
    },
    {
      title: t('roles.permissions'),
      dataIndex: 'permissions',
      key: 'permissions',
      render: (ps: string[]) => <Typography.Text title={ps.join(', ')}>{t('roles.count', { n: ps.length })}</Typography.Text>,
    },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_: unknown, r: RoleRow) =>
        // built-in roles cannot be changed (the server refuses): they open read-only
        r.builtin || !can('roles:write') ? (
          <Button type="link" size="small" onClick={() => setEditing({ role: r, readOnly: true })}>
            {t('common.view')}
          </Button>
        ) : (
          <Space size={0}>
            <Button type="link" size="small" onClick={() => setEditing({ role: r, readOnly: false })}>
              {t('common.edit')}
            </Button>
            <DeleteButton name={r.name} onConfirm={() => remove.mutateAsync(r.id)} />
          </Space>
        ),
    },
  ];

  return (
    <Card>
      <Can permission="roles:write">
        <Button type="primary" icon={<PlusOutlined />} style={{ marginBottom: 16 }} onClick={() => setEditing({ role: null, readOnly: false })}>
          {t('roles.create')}
        </Button>
      </Can>
      {(roles.error || catalog.error) && <Alert type="error" showIcon title={errorText(roles.error ?? catalog.error)} style={{ marginBottom: 16 }} />}
      <Table<RoleRow>
        rowKey="id"
        size="middle"
        loading={roles.isLoading}
        dataSource={roles.data}
        columns={columns}
        pagination={false}
        locale={{ emptyText: <Typography.Text type="secondary">{t('common.empty')}</Typography.Text> }}
        expandable={{
          expandedRowRender: (r) => (
            <Space wrap>
              {r.permissions.map((p) => (
                <Tag key={p}>{p}</Tag>
              ))}
            </Space>
          ),
        }}
      />
      {editing && <RoleModal role={editing.role} readOnly={editing.readOnly} catalog={catalog.data ?? []} onClose={() => setEditing(null)} />}
    </Card>
  );
}

/** Create or edit a role: name (new only), description and the permission catalog as checkboxes. */
function RoleModal({ role, readOnly, catalog, onClose }: { role: RoleRow | null; readOnly: boolean; catalog: PermissionEntry[]; onClose: () => void }) {
  const { t, lang, errorText } = useI18n();
  const api = useApi();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: async (v: { name: string; description?: string; permissions?: string[] }) =>
      role
        ? unwrap(await api.PATCH('/api/roles/{id}', { params: { path: { id: role.id } }, body: { description: v.description ?? '', permissions: v.permissions ?? [] } }))
        : unwrap(await api.POST('/api/roles', { body: { name: v.name, description: v.description ?? '', permissions: v.permissions ?? [] } })),
    onSuccess: () => {
      message.success(t('common.saved'));
      void qc.invalidateQueries({ queryKey: ['roles'] });
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });
  return (
    <Modal
      open
      width={720}
      title={role ? t(readOnly ? 'roles.view' : 'roles.edit', { name: role.name }) : t('roles.create')}
      okText={t('common.save')}
      cancelText={readOnly ? t('common.close') : t('common.cancel')}
      okButtonProps={readOnly ? { style: { display: 'none' } } : {}}
      confirmLoading={save.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form form={form} layout="vertical" disabled={readOnly} initialValues={role ?? { permissions: [] }} onFinish={(v) => save.mutate(v)}>
        <Form.Item
          label={t('roles.name')}
          name="name"
          extra={role ? undefined : t('roles.namePattern')}
          rules={[{ required: true, pattern: /^[a-z][a-z0-9_-]{1,63}$/, message: t('roles.namePattern') }]}
        >
          <Input disabled={!!role} autoComplete="off" />
        </Form.Item>
        <Form.Item label={t('roles.description')} name="description">
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item label={t('roles.permissions')} name="permissions">
          <Checkbox.Group style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(300px, 1fr))', gap: 8 }}>
            {catalog.map((p) => (
              <Checkbox key={p.name} value={p.name}>
                <Typography.Text code>{p.name}</Typography.Text> {describePermission(p.description, lang)}
              </Checkbox>
            ))}
          </Checkbox.Group>
        </Form.Item>
      </Form>
    </Modal>
  );
}
