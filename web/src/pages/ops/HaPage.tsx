import { ReloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Checkbox, Descriptions, Empty, Modal, Select, Space, Spin, Table, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { ApiError, unwrap } from '../../api/client';
import { Can, useApi } from '../../auth/SessionProvider';
import { useI18n } from '../../i18n/I18nProvider';
import { StateTag } from '../StateTag';

interface ServerRow {
  address: string;
  configuredAs: 'primary' | 'replica';
  reachable: boolean;
  error?: string;
  role: 'primary' | 'replica' | 'read-only' | 'unknown';
  version?: string;
  serverId?: number;
  readOnly?: boolean;
  gtid?: string;
  replication?: { source: string; ioRunning?: boolean; sqlRunning?: boolean; ioState?: string; lagSeconds?: number | null; lastIoError?: string; lastSqlError?: string };
  gtidBehind?: number | null;
  errantGtids?: string;
  semiSync?: { primary?: boolean; replica?: boolean };
}

interface MonitorState {
  monitor: string | null;
  epoch: number | null;
  primary: string | null;
  blockedSince: string | null;
  lastFailover: { epoch: number; from: string; to: string; at: string; reason: string } | null;
  semiSync: { enabled?: boolean; active?: boolean | null } | null;
}

/** The database the platform runs on, from `/ready` (public): high availability applies to MySQL/MariaDB only. */
async function databaseKind(): Promise<string | undefined> {
  const res = await fetch('/ready', { headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => undefined)) as { checks?: { db?: { kind?: string } } } | undefined;
  return body?.checks?.db?.kind;
}

/** The "not applicable" answer of the HA routes on SQLite (400 INVALID): a calm state, not an error. */
const notApplicable = (e: unknown) => e instanceof ApiError && e.status === 400;

const yesNo = (v: boolean | undefined, t: (k: 'common.yes' | 'common.no') => string) =>
  v === undefined ? '—' : <StateTag tone={v ? 'ok' : 'bad'}>{v ? t('common.yes') : t('common.no')}</StateTag>;

/** 数据库高可用 HA: the servers and their replication, switchover and failover by hand, the failover monitor. */
export default function HaPage() {
  const { t, errorText } = useI18n();
  const api = useApi();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [switching, setSwitching] = useState(false);
  const [failingOver, setFailingOver] = useState(false);

  const kind = useQuery({ queryKey: ['db-kind'], queryFn: databaseKind, staleTime: 60_000 });
  const applicable = kind.data !== undefined && kind.data !== 'sqlite';
  const topology = useQuery({
    queryKey: ['db-topology'],
    queryFn: async () => unwrap(await api.GET('/api/ops/db/topology')),
    enabled: applicable,
    refetchInterval: 5000,
    retry: (n, e) => !notApplicable(e) && n < 2,
  });
  const monitor = useQuery({
    queryKey: ['ha-monitor'],
    queryFn: async () => unwrap(await api.GET('/api/ops/ha/monitor')) as unknown as MonitorState,
    enabled: applicable,
    refetchInterval: 10_000,
    retry: (n, e) => !notApplicable(e) && n < 2,
  });
  const ack = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/ops/ha/ack', { body: {} })),
    onSuccess: () => {
      message.success(t('ha.acked'));
      void qc.invalidateQueries({ queryKey: ['ha-monitor'] });
    },
    onError: (e) => message.error(errorText(e)),
  });

  if (kind.isLoading) return <Spin aria-label={t('app.loading')} />;
  if (!applicable || notApplicable(topology.error)) {
    return (
      <Card title={t('nav.ha')}>
        <Empty data-testid="ha-not-applicable" description={<Typography.Text>{t('ha.notApplicable')}</Typography.Text>}>
          <Typography.Paragraph type="secondary">{t('ha.notApplicableHint')}</Typography.Paragraph>
        </Empty>
      </Card>
    );
  }

  const servers = (topology.data?.servers ?? []) as ServerRow[];
  const replicas = servers.filter((s) => s.reachable && s.role === 'replica');
  const columns = [
    {
      title: t('ha.server'),
      dataIndex: 'address',
      key: 'address',
      render: (v: string, s: ServerRow) => (
        <Space direction="vertical" size={0}>
          <Typography.Text code>{v}</Typography.Text>
          {s.error && <Typography.Text type="danger">{s.error}</Typography.Text>}
        </Space>
      ),
    },
    {
      title: t('ha.role'),
      dataIndex: 'role',
      key: 'role',
      render: (r: ServerRow['role'], s: ServerRow) =>
        s.reachable ? (
          <StateTag tone={r === 'primary' ? 'info' : r === 'replica' ? 'info' : 'neutral'}>{t(`ha.role.${r}`)}</StateTag>
        ) : (
          <StateTag tone="bad">{t('ha.unreachable')}</StateTag>
        ),
    },
    { title: 'IO', key: 'io', render: (_: unknown, s: ServerRow) => (s.replication ? yesNo(s.replication.ioRunning, t) : '—') },
    { title: 'SQL', key: 'sql', render: (_: unknown, s: ServerRow) => (s.replication ? yesNo(s.replication.sqlRunning, t) : '—') },
    { title: t('ha.lag'), key: 'lag', render: (_: unknown, s: ServerRow) => ((s.replication?.lagSeconds ?? null) === null ? '—' : `${s.replication?.lagSeconds} s`) },
    { title: t('ha.gtidBehind'), dataIndex: 'gtidBehind', key: 'gtidBehind', render: (v: number | null | undefined) => v ?? '—' },
    { title: t('ha.errant'), dataIndex: 'errantGtids', key: 'errant', render: (v: string | undefined) => (v ? <Typography.Text type="danger">{v}</Typography.Text> : '—') },
    {
      title: t('ha.semiSync'),
      key: 'semi',
      render: (_: unknown, s: ServerRow) => (s.semiSync ? [s.semiSync.primary && 'primary', s.semiSync.replica && 'replica'].filter(Boolean).join(', ') || t('common.no') : '—'),
    },
    { title: 'GTID', dataIndex: 'gtid', key: 'gtid', responsive: ['xl' as const], render: (v: string | undefined) => (v ? <Typography.Text code>{v}</Typography.Text> : '—') },
  ];
  const m = monitor.data;

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card
        title={t('ha.topology')}
        extra={
          <Space wrap>
            <Can permission="ops:failover">
              <Button onClick={() => setSwitching(true)} disabled={!replicas.length}>
                {t('ha.switchover')}
              </Button>
              <Button danger onClick={() => setFailingOver(true)}>
                {t('ha.failover')}
              </Button>
            </Can>
            <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void topology.refetch()} />
          </Space>
        }
      >
        {topology.error && <Alert type="error" showIcon title={errorText(topology.error)} style={{ marginBottom: 16 }} />}
        {topology.data?.splitBrain && <Alert type="error" showIcon title={t('ha.splitBrain')} style={{ marginBottom: 16 }} />}
        <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 16 }}>
          <Descriptions.Item label={t('ha.primary')}>{topology.data?.primary ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('ha.epoch')}>{topology.data?.epoch ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('ha.readAt')}>{topology.data ? dayjs(topology.data.readAt).format('HH:mm:ss') : '—'}</Descriptions.Item>
        </Descriptions>
        <Table<ServerRow>
          rowKey="address"
          size="middle"
          loading={topology.isLoading}
          dataSource={servers}
          columns={columns}
          scroll={{ x: 'max-content' }}
          pagination={false}
          locale={{ emptyText: <Typography.Text type="secondary">{t('common.empty')}</Typography.Text> }}
        />
      </Card>
      <Card
        title={t('ha.monitor')}
        extra={
          m?.blockedSince ? (
            <Can permission="ops:failover">
              <Button type="primary" loading={ack.isPending} onClick={() => ack.mutate()}>
                {t('ha.ack')}
              </Button>
            </Can>
          ) : null
        }
      >
        {monitor.error && <Alert type="error" showIcon title={errorText(monitor.error)} />}
        {m && (
          <Descriptions size="small" column={{ xs: 1, md: 2 }}>
            <Descriptions.Item label={t('ha.monitorHolder')}>{m.monitor ?? t('ha.monitorNone')}</Descriptions.Item>
            <Descriptions.Item label={t('ha.blocked')}>
              {m.blockedSince ? <StateTag tone="bad">{dayjs(m.blockedSince).format('YYYY-MM-DD HH:mm:ss')}</StateTag> : t('common.no')}
            </Descriptions.Item>
            <Descriptions.Item label={t('ha.lastFailover')}>
              {m.lastFailover ? `${m.lastFailover.from} → ${m.lastFailover.to} (${dayjs(m.lastFailover.at).format('YYYY-MM-DD HH:mm:ss')})` : '—'}
            </Descriptions.Item>
            <Descriptions.Item label={t('ha.semiSync')}>
              {m.semiSync ? t('ha.semiSyncState', { enabled: t(m.semiSync.enabled ? 'common.yes' : 'common.no'), active: t(m.semiSync.active ? 'common.yes' : 'common.no') }) : '—'}
            </Descriptions.Item>
          </Descriptions>
        )}
      </Card>
      {switching && <SwitchoverModal replicas={replicas.map((r) => r.address)} onClose={() => setSwitching(false)} />}
      {failingOver && <FailoverModal replicas={servers.filter((s) => s.role !== 'primary').map((r) => r.address)} onClose={() => setFailingOver(false)} />}
    </Space>
  );
}

function SwitchoverModal({ replicas, onClose }: { replicas: string[]; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [to, setTo] = useState<string | undefined>(replicas[0]);
  const [error, setError] = useState<string | null>(null);
  const run = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/ops/db/switchover', { body: { to: to ?? '' } })),
    onSuccess: () => {
      message.success(t('ha.switchedOver', { to: to ?? '' }));
      void qc.invalidateQueries({ queryKey: ['db-topology'] });
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });
  return (
    <Modal
      open
      title={t('ha.switchover')}
      okText={t('ha.switchoverOk')}
      cancelText={t('common.cancel')}
      okButtonProps={{ disabled: !to }}
      confirmLoading={run.isPending}
      onOk={() => run.mutate()}
      onCancel={onClose}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Typography.Paragraph>{t('ha.switchoverHint')}</Typography.Paragraph>
      <Select aria-label={t('ha.target')} value={to} onChange={setTo} style={{ width: '100%' }} options={replicas.map((r) => ({ value: r, label: r }))} />
    </Modal>
  );
}

function FailoverModal({ replicas, onClose }: { replicas: string[]; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [to, setTo] = useState<string | undefined>();
  const [sure, setSure] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/ops/db/failover', { body: { ...(to ? { to } : {}), confirm: true } })),
    onSuccess: () => {
      message.success(t('ha.failedOver'));
      void qc.invalidateQueries({ queryKey: ['db-topology'] });
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });
  return (
    <Modal
      open
      title={t('ha.failover')}
      okText={t('ha.failoverOk')}
      okButtonProps={{ danger: true, disabled: !sure }}
      cancelText={t('common.cancel')}
      confirmLoading={run.isPending}
      onOk={() => run.mutate()}
      onCancel={onClose}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Alert type="warning" showIcon title={t('ha.failoverWarn')} style={{ marginBottom: 16 }} />
      <Select
        aria-label={t('ha.target')}
        placeholder={t('ha.failoverAuto')}
        allowClear
        value={to}
        onChange={setTo}
        style={{ width: '100%', marginBottom: 16 }}
        options={replicas.map((r) => ({ value: r, label: r }))}
      />
      <Checkbox checked={sure} onChange={(e) => setSure(e.target.checked)}>
        {t('ha.failoverConfirm')}
      </Checkbox>
    </Modal>
  );
}
