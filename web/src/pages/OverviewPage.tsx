import { CheckCircleFilled, CloseCircleFilled, ReloadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Empty, Row, Skeleton, Space, Spin, Statistic, Tooltip, Typography } from 'antd';
import dayjs from 'dayjs';
import { lazy, Suspense } from 'react';
import { unwrap } from '../api/client';
import { useApi } from '../auth/SessionProvider';
import { useI18n } from '../i18n/I18nProvider';
import type { MessageKey } from '../i18n/messages';
import { type DependencyState, type Figure, formatValue, parseOverview, parseSeries, SEVERITY_COLOR } from './overviewModel';
import { StateTag } from './StateTag';

const SEVERITY_TONE = { ok: 'ok', warning: 'warn', critical: 'bad', unknown: 'neutral' } as const;

const OverviewCharts = lazy(() => import('./OverviewCharts'));

export const FIGURE_LABELS: Record<string, { 'zh-CN': string; en: string }> = {
  qps: { 'zh-CN': 'QPS', en: 'QPS' },
  p95: { 'zh-CN': 'P95 响应时间', en: 'p95 latency' },
  errorRate: { 'zh-CN': '错误率', en: 'Error rate' },
  cpu: { 'zh-CN': 'CPU 使用率', en: 'CPU' },
  memory: { 'zh-CN': '内存使用率', en: 'Memory' },
  disk: { 'zh-CN': '磁盘使用率', en: 'Disk' },
  dbConnections: { 'zh-CN': '数据库连接', en: 'DB connections' },
  cacheHitRate: { 'zh-CN': '缓存命中率', en: 'Cache hit rate' },
};

export function figureLabel(name: string, lang: 'zh-CN' | 'en'): string {
  return FIGURE_LABELS[name]?.[lang] ?? name;
}

export default function OverviewPage() {
  const { t, lang, errorText } = useI18n();
  const api = useApi();
  const overview = useQuery({
    queryKey: ['overview'],
    queryFn: async () => parseOverview(unwrap(await api.GET('/api/ops/overview'))),
    refetchInterval: 15_000,
  });
  const series = useQuery({
    queryKey: ['overview-series'],
    queryFn: async () => parseSeries(unwrap(await api.GET('/api/ops/overview/series', { params: { query: { minutes: 60 } } }))),
    refetchInterval: 60_000,
  });

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
        ) : (
          <Row gutter={[16, 16]}>
            {(overview.data?.dependencies ?? []).map((d) => (
              <Col key={d.name} xs={12} md={6}>
                <DependencyCard d={d} upText={t('overview.up')} downText={t('overview.down')} />
              </Col>
            ))}
          </Row>
        )}
      </Card>
      <Card title={t('overview.figures')}>
        {overview.isLoading ? (
          <Skeleton active />
        ) : overview.data?.figures.length ? (
          <Row gutter={[16, 16]}>
            {overview.data.figures.map((f) => (
              <Col key={f.name} xs={12} md={8} xl={6}>
                <FigureCard f={f} label={figureLabel(f.name, lang)} t={t} />
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
        ) : series.data?.length ? (
          <Suspense fallback={<Spin aria-label={t('app.loading')} />}>
            <OverviewCharts series={series.data} label={(n) => figureLabel(n, lang)} lang={lang} />
          </Suspense>
        ) : (
          <Empty description={t('overview.noData')} />
        )}
      </Card>
    </Space>
  );
}

function DependencyCard({ d, upText, downText }: { d: DependencyState; upText: string; downText: string }) {
  return (
    <Card size="small" style={{ borderColor: d.up ? undefined : SEVERITY_COLOR.critical }}>
      <Space>
        {d.up ? <CheckCircleFilled style={{ color: SEVERITY_COLOR.ok }} aria-hidden /> : <CloseCircleFilled style={{ color: SEVERITY_COLOR.critical }} aria-hidden />}
        <Typography.Text strong>{d.name}</Typography.Text>
        <StateTag tone={d.up ? 'ok' : 'bad'}>{d.up ? upText : downText}</StateTag>
      </Space>
      {d.detail && (
        <Typography.Paragraph type="secondary" ellipsis={{ rows: 2, tooltip: d.detail }} style={{ margin: '4px 0 0', fontSize: 12 }}>
          {d.detail}
        </Typography.Paragraph>
      )}
    </Card>
  );
}

function FigureCard({ f, label, t }: { f: Figure; label: string; t: (k: MessageKey, v?: Record<string, string | number>) => string }) {
  const thresholds =
    f.warning !== undefined || f.critical !== undefined
      ? t('overview.threshold', { warn: f.warning !== undefined ? formatValue(f.warning, f.unit) : '—', crit: f.critical !== undefined ? formatValue(f.critical, f.unit) : '—' })
      : undefined;
  return (
    <Card size="small" style={{ borderLeft: `4px solid ${SEVERITY_COLOR[f.severity]}` }} data-severity={f.severity}>
      <Statistic title={label} value={formatValue(f.value, f.unit)} valueStyle={{ color: SEVERITY_COLOR[f.severity], fontSize: 22 }} />
      <Space size={4} wrap>
        <StateTag tone={SEVERITY_TONE[f.severity]}>{t(`severity.${f.severity}`)}</StateTag>
        {thresholds && (
          <Tooltip title={thresholds}>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {thresholds}
            </Typography.Text>
          </Tooltip>
        )}
      </Space>
    </Card>
  );
}
