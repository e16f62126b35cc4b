import { ReloadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Space, Table, Typography } from 'antd';
import dayjs from 'dayjs';
import { unwrap } from '../../api/client';
import { useApi } from '../../auth/SessionProvider';
import { useI18n } from '../../i18n/I18nProvider';
import { StateTag, type Tone } from '../StateTag';

type Sweep = Awaited<ReturnType<typeof fetchSweep>>;
type Row = Sweep['modules'][number];
type Probe = NonNullable<Row['live']>;

const TONE: Record<Row['state'], Tone> = { up: 'ok', 'not-ready': 'warn', down: 'bad', 'not-available': 'neutral' };

async function fetchSweep(api: ReturnType<typeof useApi>) {
  return unwrap(await api.GET('/api/ops/health', { params: { query: {} } }));
}

/** 服务健康: every module's liveness and readiness (RES-4, the same sweep as `mcp-platform health`). */
export default function ServicesPage() {
  const { t } = useI18n();
  const api = useApi();
  const sweep = useQuery({ queryKey: ['module-health'], queryFn: () => fetchSweep(api), refetchInterval: 10_000 });
  const probe = (p: Probe | null) =>
    !p ? '—' : p.ok ? <Typography.Text>{`${p.status ?? 'OK'} · ${p.ms} ms`}</Typography.Text> : <Typography.Text type="danger">{p.error ?? `HTTP ${p.status}`}</Typography.Text>;
  const bad = (sweep.data?.modules ?? []).filter((m) => m.state === 'down' || m.state === 'not-ready');

  return (
    <Card
      title={t('services.title')}
      extra={
        <Space>
          {sweep.data && (
            <Typography.Text type="secondary">
              {t('services.checkedAt')}: {dayjs(sweep.data.checkedAt).format('HH:mm:ss')}
            </Typography.Text>
          )}
          <Button icon={<ReloadOutlined />} loading={sweep.isFetching} onClick={() => void sweep.refetch()}>
            {t('services.refresh')}
          </Button>
        </Space>
      }
    >
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
          {t('services.hint')}
        </Typography.Paragraph>
        {sweep.data &&
          (bad.length ? <Alert type="error" showIcon message={t('services.someDown', { n: bad.length })} /> : <Alert type="success" showIcon message={t('services.allOk')} />)}
        <Table<Row>
          rowKey="module"
          size="middle"
          loading={sweep.isLoading}
          pagination={false}
          dataSource={sweep.data?.modules ?? []}
          columns={[
            { title: t('services.module'), dataIndex: 'module', key: 'module', render: (m: Row['module']) => t(`services.mod.${m}`) },
            {
              title: t('services.state'),
              dataIndex: 'state',
              key: 'state',
              render: (s: Row['state']) => <StateTag tone={TONE[s]}>{t(`services.state.${s}`)}</StateTag>,
            },
            {
              title: t('services.url'),
              dataIndex: 'url',
              key: 'url',
              responsive: ['md' as const],
              render: (u: string, r) => (r.state === 'not-available' ? '—' : u === 'in-process' ? t('services.inProcess') : <Typography.Text code>{u}</Typography.Text>),
            },
            { title: t('services.live'), key: 'live', render: (_: unknown, r) => probe(r.live) },
            { title: t('services.ready'), key: 'ready', render: (_: unknown, r) => probe(r.ready) },
          ]}
        />
      </Space>
    </Card>
  );
}
