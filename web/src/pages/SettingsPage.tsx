import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Form, Input, Modal, Space, Table, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { unwrap } from '../api/client';
import { Can, useApi, useCan } from '../auth/SessionProvider';
import { DeleteButton } from './DeleteButton';
import { useI18n } from '../i18n/I18nProvider';

interface SettingRow {
  name: string;
  value: unknown;
  updatedAt: string;
  updatedBy: string | null;
}

export default function SettingsPage() {
  const { t, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [editing, setEditing] = useState<SettingRow | 'new' | null>(null);
  const settings = useQuery({ queryKey: ['settings'], queryFn: async () => unwrap(await api.GET('/api/system/settings')).items });
  const remove = useMutation({
    mutationFn: async (name: string) => unwrap(await api.DELETE('/api/system/settings/{name}', { params: { path: { name } } })),
    onSuccess: () => {
      message.success(t('common.deleted'));
      void qc.invalidateQueries({ queryKey: ['settings'] });
    },
    onError: (e) => message.error(errorText(e)),
  });

  const columns = [
    { title: t('settings.name'), dataIndex: 'name', key: 'name', width: 220, render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
    {
      title: t('settings.value'),
      dataIndex: 'value',
      key: 'value',
      ellipsis: true,
      render: (v: unknown) => <Typography.Text>{JSON.stringify(v)}</Typography.Text>,
    },
    {
      title: t('settings.updatedAt'),
      dataIndex: 'updatedAt',
      key: 'updatedAt',
      width: 180,
      responsive: ['md' as const],
      render: (v: string) => dayjs(v).format('YYYY-MM-DD HH:mm:ss'),
    },
    { title: t('settings.updatedBy'), dataIndex: 'updatedBy', key: 'updatedBy', width: 120, responsive: ['md' as const], render: (v: string | null) => v ?? '—' },
    ...(can('settings:write')
      ? [
          {
            title: t('common.actions'),
            key: 'actions',
            width: 140,
            render: (_: unknown, s: SettingRow) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => setEditing(s)}>
                  {t('common.edit')}
                </Button>
                <DeleteButton name={s.name} onConfirm={() => remove.mutateAsync(s.name)} />
              </Space>
            ),
          },
        ]
      : []),
  ];

  return (
    <Card>
      <Can permission="settings:write">
        <Button type="primary" icon={<PlusOutlined />} style={{ marginBottom: 16 }} onClick={() => setEditing('new')}>
          {t('settings.create')}
        </Button>
      </Can>
      {settings.error && <Alert type="error" showIcon title={errorText(settings.error)} style={{ marginBottom: 16 }} />}
      <Table<SettingRow>
        rowKey="name"
        size="middle"
        loading={settings.isLoading}
        dataSource={settings.data}
        columns={columns}
        pagination={false}
        locale={{ emptyText: <Typography.Text type="secondary">{t('common.empty')}</Typography.Text> }}
      />
      {editing && <SettingModal setting={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </Card>
  );
}

function SettingModal({ setting, onClose }: { setting: SettingRow | null; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: async (v: { name: string; value: string }) =>
      unwrap(await api.PUT('/api/system/settings/{name}', { params: { path: { name: v.name } }, body: { value: JSON.parse(v.value) as unknown } })),
    onSuccess: () => {
      message.success(t('common.saved'));
      void qc.invalidateQueries({ queryKey: ['settings'] });
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });
  return (
    <Modal
      open
      title={setting ? t('settings.edit', { name: setting.name }) : t('settings.create')}
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
        initialValues={setting ? { name: setting.name, value: JSON.stringify(setting.value, null, 2) } : { value: '' }}
        onFinish={(v) => save.mutate(v)}
      >
        <Form.Item label={t('settings.name')} name="name" rules={[{ required: true, message: t('login.required', { field: t('settings.name') }) }]}>
          <Input disabled={!!setting} autoComplete="off" />
        </Form.Item>
        <Form.Item
          label={t('settings.value')}
          name="value"
          rules={[
            {
              validator: (_, v: string) => {
                try {
                  JSON.parse(v);
                  return Promise.resolve();
                } catch {
                  return Promise.reject(new Error(t('settings.badJson')));
                }
              },
            },
          ]}
        >
          <Input.TextArea rows={6} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
