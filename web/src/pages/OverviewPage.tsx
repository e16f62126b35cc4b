import { CheckCircleFilled, CloseCircleFilled, ReloadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Empty, Row, Skeleton, Space, Spin, Statistic, Typography } from 'antd';
import dayjs from 'dayjs';
import { lazy, Suspense } from 'react';
import { unwrap } from '../api/client';
import { useApi } from '../auth/SessionProvider';
import { useI18n } from '../i18n/I18nProvider';
import { type Dependency, type DependencyName, type Figure, formatValue, SEVERITY_COLOR, SEVERITY_TONE } from './overviewModel';
import { StateTag } from './StateTag';

const OverviewCharts = lazy(() => import('./OverviewCharts'));

export const FIGURE_LABELS: Record<Figure['key'], { 'zh-CN': string; en: string }> = {
  qps: { 'zh-CN': 'QPS', en: 'QPS' },
  p95: { 'zh-CN': 'P95 响应时间', en: 'p95 latency' },
  errorRate: { 'zh-CN': '错误率', en: 'Error rate' },
  cpu: { 'zh-CN': 'CPU 使用率', en: 'CPU' },
  memory: { 'zh-CN': '内存使用率', en: 'Memory' },
  disk: { 'zh-CN': '磁盘使用率', en: 'Disk' },
  dbConnections: { 'zh-CN': '数据库连接', en: 'DB connections' },
  dbPool: { 'zh-CN': '连接池使用率', en: 'DB pool' },
  cacheHitRate: { 'zh-CN': '缓存命中率', en: 'Cache hit rate' },
  replicationLag: { 'zh-CN': '复制延迟', en: 'Replication lag' },
};

const DEPENDENCY_LABELS: Record<DependencyName, { 'zh-CN': string; en: string }> = {
  db: { 'zh-CN': '数据库', en: 'Database' },
  cache: { 'zh-CN': '缓存', en: 'Cache' },
  bus: { 'zh-CN': '消息总线', en: 'Message bus' },
};

export function figureLabel(key: Figure['key'], lang: 'zh-CN' | 'en'): string {
  return FIGURE_LABELS[key]?.[lang] ?? key;
}

export default function OverviewPage() {
  const { t, lang, errorText } = useI18n();
  const api = useApi();
  const overview = useQuery({
    queryKey: ['overview'],
    queryFn: async () => unwrap(await api.GET('/api/ops/overview')),
    refetchInterval: 15_000,
  });
  const series = useQuery({
    queryKey: ['overview-series'],
    queryFn: async () => unwrap(await api.GET('/api/ops/overview/series', { params: { query: { minutes: 60 } } })),
    refetchInterval: 60_000,
  });
  const withPoints = (series.data?.series ?? []).filter((s) => s.points.some((p) => p.v !== null));

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      {overview.error && <Alert type="error" showIcon title={errorText(overview.error)} />}
      <Card
        title={t('overview.dependencies')}
        extra={
          <Space>
            {overview.data?.at && <Typography.Text type="secondary">{t('overview.updated', { time: dayjs(overview.data.at).format('HH:mm:ss') })}</Typography.Text>}
            <Button
              size="small"
              icon={<ReloadOutlined />}
              aria-label={t('common.refresh')}
              onClick={() => {
                void overview.refetch();
                void series.refetch();
              }}
            />
          </Space>
        }
      >
        {overview.isLoading ? (
          <Skeleton active paragraph={{ rows: 1 }} />
        ) : overview.data ? (
          <Row gutter={[16, 16]}>
            {(Object.keys(overview.data.dependencies) as DependencyName[]).map((name) => (
              <Col key={name} xs={24} sm={12} md={8}>
                <DependencyCard label={DEPENDENCY_LABELS[name]?.[lang] ?? name} d={overview.data.dependencies[name]} upText={t('overview.up')} downText={t('overview.down')} />
              </Col>
            ))}
          </Row>
        ) : null}
      </Card>
      <Card title={t('overview.figures')}>
        {overview.isLoading ? (
          <Skeleton active />
        ) : overview.data?.figures.length ? (
          <Row gutter={[16, 16]}>
            {overview.data.figures.map((f) => (
              <Col key={f.key} xs={12} md={8} xl={6}>
                <FigureCard f={f} label={figureLabel(f.key, lang)} />
              </Col>
            ))}
          </Row>
        ) : (
          <Empty description={t('overview.noData')} />
        )}
      </Card>
      <Card title={t('overview.charts')}>
        {series.error && <Alert type="error" showIcon title={errorText(series.error)} />}
        {series.isLoading ? (
          <Skeleton active />
        ) : withPoints.length ? (
          <Suspense fallback={<Spin aria-label={t('app.loading')} />}>
            <OverviewCharts series={withPoints} from={series.data!.from} to={series.data!.to} label={(k) => figureLabel(k, lang)} lang={lang} />
          </Suspense>
        ) : (
          <Empty description={t('overview.noData')} />
        )}
      </Card>
    </Space>
  );
}

function DependencyCard({ label, d, upText, downText }: { label: string; d: Dependency; upText: string; downText: string }) {
  const detail = d.error ?? `${d.kind} · ${Math.round(d.latencyMs)} ms`;
  return (
    <Card size="small" style={{ borderColor: d.ok ? undefined : SEVERITY_COLOR.critical }} data-dependency-ok={d.ok}>
      <Space>
        {d.ok ? <CheckCircleFilled style={{ color: SEVERITY_COLOR.ok }} aria-hidden /> : <CloseCircleFilled style={{ color: SEVERITY_COLOR.critical }} aria-hidden />}
        <Typography.Text strong>{label}</Typography.Text>
        <StateTag tone={d.ok ? 'ok' : 'bad'}>{d.ok ? upText : downText}</StateTag>
      </Space>
      <Typography.Paragraph type="secondary" ellipsis={{ rows: 2, tooltip: detail }} style={{ margin: '4px 0 0', fontSize: 12 }}>
        {detail}
      </Typography.Paragraph>
    </Card>
  );
}

function FigureCard({ f, label }: { f: Figure; label: string }) {
  const { t } = useI18n();
  const known = f.value !== null;
  const color = known ? SEVERITY_COLOR[f.severity] : SEVERITY_COLOR.unknown;
  const thresholds = f.thresholds.map((th) => `${t(`severity.${th.severity}`)} ${th.op} ${formatValue(th.value, f.unit)}`).join(' · ');
  return (
    <Card size="small" style={{ borderLeft: `4px solid ${color}` }} data-figure={f.key} data-severity={known ? f.severity : 'unknown'}>
      <Statistic title={label} value={formatValue(f.value, f.unit)} styles={{ content: { color, fontSize: 22 } }} />
      <Space size={4} wrap>
        <StateTag tone={known ? SEVERITY_TONE[f.severity] : 'neutral'}>{known ? t(`severity.${f.severity}`) : t('severity.unknown')}</StateTag>
        {thresholds && (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('overview.threshold', { list: thresholds })}
          </Typography.Text>
        )}
      </Space>
    </Card>
  );
}
