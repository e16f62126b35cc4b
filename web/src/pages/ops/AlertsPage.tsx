import { MinusCircleOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Checkbox, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { unwrap } from '../../api/client';
import { Can, useApi, useCan } from '../../auth/SessionProvider';
import { useI18n } from '../../i18n/I18nProvider';
import { StateTag } from '../StateTag';
import { useUrlFilters } from '../../urlFilters';
import { SEVERITY_TONE } from './severity';

const SEVERITIES = ['critical', 'major', 'minor'] as const;
const SPEC = { tab: ['alerts', 'silences'], severity: SEVERITIES, status: ['firing', 'resolved'], all: ['true'] } as const;

interface AlertRow {
  fingerprint: string;
  name: string;
  severity: (typeof SEVERITIES)[number];
  status: 'firing' | 'resolved';
  summary: string | null;
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string | null;
  acknowledgedBy: string | null;
}

interface SilenceRow {
  id: number;
  kind: 'silence' | 'maintenance';
  matchers: { name: string; value: string; regex?: boolean }[];
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string;
  state: 'pending' | 'active' | 'expired';
}

const time = (v: string | null | undefined) => (v ? dayjs(v).format('YYYY-MM-DD HH:mm:ss') : '—');

/** 告警 Alerts: the stored alerts with filters in the URL and acknowledgement; silences and maintenance windows. */
export default function AlertsPage() {
  const { t } = useI18n();
  const [filters, setFilters] = useUrlFilters(SPEC);
  return (
    <Card>
      <Tabs
        activeKey={filters.tab ?? 'alerts'}
        onChange={(k) => setFilters({ tab: k === 'alerts' ? null : k, severity: null, status: null, all: null })}
        items={[
          { key: 'alerts', label: t('al.alerts'), children: <AlertList filters={filters} setFilters={setFilters} /> },
          { key: 'silences', label: t('al.silences'), children: <Silences all={filters.all === 'true'} setAll={(v) => setFilters({ all: v ? 'true' : null })} /> },
        ]}
      />
    </Card>
  );
}

function AlertList({ filters, setFilters }: { filters: { severity?: string; status?: string }; setFilters: (p: Record<string, string | null | undefined>) => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const alerts = useQuery({
    queryKey: ['alerts', filters.severity, filters.status],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/ops/alerts', {
          params: { query: { severity: filters.severity as AlertRow['severity'] | undefined, status: filters.status as AlertRow['status'] | undefined } },
        }),
      ).items as AlertRow[],
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });
  const ack = useMutation({
    mutationFn: async (fingerprint: string) => unwrap(await api.POST('/api/ops/alerts/{fingerprint}/ack', { params: { path: { fingerprint } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['alerts'] });
      message.success(t('al.acked'));
    },
    onError: (e) => message.error(errorText(e)),
  });
  const columns = [
    {
      title: t('al.severity'),
      dataIndex: 'severity',
      key: 'severity',
      render: (s: string) => <StateTag tone={SEVERITY_TONE[s] ?? 'neutral'}>{t(`sev.${s as AlertRow['severity']}`)}</StateTag>,
    },
    { title: t('al.name'), dataIndex: 'name', key: 'name' },
    { title: t('al.summary'), dataIndex: 'summary', key: 'summary', responsive: ['md' as const], render: (v: string | null) => v ?? '—' },
    {
      title: t('al.status'),
      dataIndex: 'status',
      key: 'status',
      render: (s: AlertRow['status'], a: AlertRow) => (
        <Space size={4} wrap>
          <StateTag tone={s === 'firing' ? 'bad' : 'ok'}>{t(`al.status.${s}`)}</StateTag>
          {a.acknowledgedBy && a.status === 'firing' && <StateTag tone="info">{t('al.ackedBy', { name: a.acknowledgedBy })}</StateTag>}
        </Space>
      ),
    },
    { title: t('al.startsAt'), dataIndex: 'startsAt', key: 'startsAt', render: time },
    { title: t('al.endsAt'), dataIndex: 'endsAt', key: 'endsAt', responsive: ['lg' as const], render: time },
    ...(can('ops:incidents')
      ? [
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, a: AlertRow) =>
              a.status === 'firing' && !a.acknowledgedBy ? (
                <Button type="link" size="small" onClick={() => ack.mutate(a.fingerprint)}>
                  {t('al.ack')}
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
          aria-label={t('al.severity')}
          placeholder={t('al.severity')}
          allowClear
          value={filters.severity}
          onChange={(v) => setFilters({ severity: v })}
          style={{ width: 140 }}
          options={SEVERITIES.map((s) => ({ value: s, label: t(`sev.${s}`) }))}
        />
        <Select
          aria-label={t('al.status')}
          placeholder={t('al.status')}
          allowClear
          value={filters.status}
          onChange={(v) => setFilters({ status: v })}
          style={{ width: 140 }}
          options={(['firing', 'resolved'] as const).map((s) => ({ value: s, label: t(`al.status.${s}`) }))}
        />
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void alerts.refetch()} />
      </Space>
      {alerts.error && <Alert type="error" showIcon title={errorText(alerts.error)} style={{ marginBottom: 16 }} />}
      <Table<AlertRow>
        rowKey="fingerprint"
        size="middle"
        loading={alerts.isLoading || alerts.isPlaceholderData}
        dataSource={alerts.data}
        columns={columns}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Typography.Text type="secondary">{t('al.empty')}</Typography.Text> }}
        expandable={{ expandedRowRender: (a) => <Typography.Text code>{JSON.stringify(a.labels)}</Typography.Text> }}
        pagination={{ pageSize: 20, hideOnSinglePage: true, showTotal: (n) => t('common.total', { n }) }}
      />
    </>
  );
}

function Silences({ all, setAll }: { all: boolean; setAll: (v: boolean) => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [creating, setCreating] = useState(false);
  const silences = useQuery({
    queryKey: ['silences', all],
    queryFn: async () =>
      (unwrap(await api.GET('/api/support/alerts/silences', { params: { query: { all: all ? 'true' : 'false' } } })) as unknown as { items: SilenceRow[] }).items,
  });
  const expire = useMutation({
    mutationFn: async (id: number) => unwrap(await api.DELETE('/api/support/alerts/silences/{id}', { params: { path: { id: String(id) } } })),
    onSuccess: () => {
      message.success(t('al.expired'));
      void qc.invalidateQueries({ queryKey: ['silences'] });
    },
    onError: (e) => message.error(errorText(e)),
  });
  const columns = [
    { title: t('al.kind'), dataIndex: 'kind', key: 'kind', render: (k: SilenceRow['kind']) => <Tag>{t(`al.kind.${k}`)}</Tag> },
    {
      title: t('al.matchers'),
      dataIndex: 'matchers',
      key: 'matchers',
      render: (ms: SilenceRow['matchers']) =>
        ms.length ? ms.map((m) => <Tag key={`${m.name}${m.value}`}>{`${m.name}${m.regex ? '=~' : '='}${m.value}`}</Tag>) : t('al.everything'),
    },
    {
      title: t('al.state'),
      dataIndex: 'state',
      key: 'state',
      render: (s: SilenceRow['state']) => <StateTag tone={s === 'active' ? 'ok' : s === 'pending' ? 'info' : 'neutral'}>{t(`al.state.${s}`)}</StateTag>,
    },
    { title: t('al.startsAt'), dataIndex: 'startsAt', key: 'startsAt', responsive: ['md' as const], render: time },
    { title: t('al.endsAt'), dataIndex: 'endsAt', key: 'endsAt', render: time },
    { title: t('al.comment'), dataIndex: 'comment', key: 'comment', responsive: ['lg' as const] },
    { title: t('al.createdBy'), dataIndex: 'createdBy', key: 'createdBy', responsive: ['lg' as const] },
    ...(can('ops:notify')
      ? [
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, s: SilenceRow) =>
              s.state !== 'expired' ? (
                <Popconfirm title={t('al.expireConfirm')} okText={t('common.ok')} cancelText={t('common.cancel')} onConfirm={() => expire.mutateAsync(s.id)}>
                  <Button type="link" size="small" danger>
                    {t('al.expire')}
                  </Button>
                </Popconfirm>
              ) : null,
          },
        ]
      : []),
  ];
  return (
    <>
      <Space wrap style={{ marginBottom: 16 }}>
        <Checkbox checked={all} onChange={(e) => setAll(e.target.checked)}>
          {t('al.showExpired')}
        </Checkbox>
        <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void silences.refetch()} />
        <Can permission="ops:notify">
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('al.createSilence')}
          </Button>
        </Can>
      </Space>
      {silences.error && <Alert type="error" showIcon title={errorText(silences.error)} style={{ marginBottom: 16 }} />}
      <Table<SilenceRow>
        rowKey="id"
        size="middle"
        loading={silences.isFetching}
        dataSource={silences.data}
        columns={columns}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Typography.Text type="secondary">{t('al.noSilences')}</Typography.Text> }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
      />
      {creating && <SilenceModal onClose={() => setCreating(false)} />}
    </>
  );
}

function SilenceModal({ onClose }: { onClose: () => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: async (v: { kind: 'silence' | 'maintenance'; matchers?: { name: string; value: string; regex?: boolean }[]; hours: number; comment: string }) =>
      unwrap(
        await api.POST('/api/support/alerts/silences', {
          body: {
            kind: v.kind,
            matchers: (v.matchers ?? []).filter((m) => m?.name && m.value).map((m) => ({ name: m.name.trim(), value: m.value, ...(m.regex ? { regex: true } : {}) })),
            endsAt: dayjs().add(v.hours, 'hour').toISOString(),
            comment: v.comment.trim(),
          },
        }),
      ),
    onSuccess: () => {
      message.success(t('common.saved'));
      void qc.invalidateQueries({ queryKey: ['silences'] });
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });
  return (
    <Modal
      open
      title={t('al.createSilence')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form form={form} layout="vertical" initialValues={{ kind: 'silence', hours: 2, matchers: [{ name: 'alertname', value: '' }] }} onFinish={(v) => save.mutate(v)}>
        <Form.Item label={t('al.kind')} name="kind">
          <Select aria-label={t('al.kind')} options={(['silence', 'maintenance'] as const).map((k) => ({ value: k, label: t(`al.kind.${k}`) }))} />
        </Form.Item>
        <Form.List name="matchers">
          {(fields, { add, remove }) => (
            <>
              <Typography.Text>{t('al.matchers')}</Typography.Text>
              {fields.map((f) => (
                <Space key={f.key} align="baseline" wrap>
                  <Form.Item name={[f.name, 'name']} rules={[{ required: true, message: t('al.matcherName') }]}>
                    <Input placeholder={t('al.matcherName')} aria-label={t('al.matcherName')} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'value']} rules={[{ required: true, message: t('al.matcherValue') }]}>
                    <Input placeholder={t('al.matcherValue')} aria-label={t('al.matcherValue')} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'regex']} valuePropName="checked">
                    <Checkbox>{t('al.regex')}</Checkbox>
                  </Form.Item>
                  <Button type="text" icon={<MinusCircleOutlined />} aria-label={t('common.delete')} onClick={() => remove(f.name)} />
                </Space>
              ))}
              <Form.Item>
                <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ name: '', value: '' })}>
                  {t('al.addMatcher')}
                </Button>
              </Form.Item>
            </>
          )}
        </Form.List>
        <Form.Item label={t('al.duration')} name="hours" rules={[{ required: true }]}>
          <InputNumber min={0.25} max={720} step={0.5} addonAfter={t('al.hours')} style={{ width: 200 }} />
        </Form.Item>
        <Form.Item label={t('al.comment')} name="comment" rules={[{ required: true, whitespace: true, message: t('al.comment') }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
