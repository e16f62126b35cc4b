import { ReloadOutlined, SafetyOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, DatePicker, Input, List, Select, Space, Table, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { unwrap } from '../api/client';
import { useApi } from '../auth/SessionProvider';
import { useI18n } from '../i18n/I18nProvider';
import type { MessageKey } from '../i18n/messages';
import { useUrlFilters } from '../urlFilters';
import { StateTag } from './StateTag';

const SPEC = { page: 'int', pageSize: 'int', actor: 'string', action: 'string', result: ['success', 'failure', 'denied'], from: 'string', to: 'string' } as const;

interface AuditRow {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  result: 'success' | 'failure' | 'denied';
  details: Record<string, unknown> | null;
}

interface Verification {
  ok: boolean;
  checked: number;
  lastSeq: number;
  checkpoints: number;
  problems: { seq: number; problem: string; message: string }[];
}

const RESULT_TONE = { success: 'ok', failure: 'bad', denied: 'warn' } as const;

export default function AuditPage() {
  const { t, errorText } = useI18n();
  const api = useApi();
  const [filters, setFilters] = useUrlFilters(SPEC);
  const [actor, setActor] = useState(filters.actor ?? '');
  const [action, setAction] = useState(filters.action ?? '');
  const page = filters.page ?? 1;
  const pageSize = filters.pageSize ?? 50;

  const logs = useQuery({
    queryKey: ['audit', filters],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/system/audit-logs', {
          params: {
            query: {
              page,
              pageSize,
              actor: filters.actor,
              action: filters.action,
              result: filters.result as AuditRow['result'] | undefined,
              from: filters.from,
              to: filters.to,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const verify = useMutation({ mutationFn: async () => unwrap(await api.GET('/api/system/audit-logs/verify')) });
  const broken = new Set(verify.data?.problems.map((p) => p.seq));

  const columns = [
    { title: t('audit.seq'), dataIndex: 'seq', key: 'seq', width: 72 },
    { title: t('audit.time'), dataIndex: 'ts', key: 'ts', width: 170, render: (v: string) => dayjs(v).format('YYYY-MM-DD HH:mm:ss') },
    { title: t('audit.actor'), dataIndex: 'actor', key: 'actor', width: 120, ellipsis: true },
    { title: t('audit.action'), dataIndex: 'action', key: 'action', width: 170, render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
    { title: t('audit.target'), dataIndex: 'target', key: 'target', ellipsis: true, responsive: ['md' as const], render: (v: string | null) => v ?? '—' },
    { title: t('audit.ip'), dataIndex: 'ip', key: 'ip', width: 120, responsive: ['lg' as const], render: (v: string | null) => v ?? '—' },
    {
      title: t('audit.result'),
      dataIndex: 'result',
      key: 'result',
      width: 90,
      render: (v: AuditRow['result']) => <StateTag tone={RESULT_TONE[v]}>{t(`audit.${v}` as MessageKey)}</StateTag>,
    },
    {
      title: t('audit.details'),
      dataIndex: 'details',
      key: 'details',
      responsive: ['xl' as const],
      ellipsis: true,
      render: (v: unknown) => (v ? <Typography.Text type="secondary">{JSON.stringify(v)}</Typography.Text> : '—'),
    },
  ];

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card>
        <Space wrap style={{ marginBottom: 16 }}>
          <Input
            aria-label={t('audit.actor')}
            placeholder={t('audit.actor')}
            allowClear
            value={actor}
            onChange={(e) => setActor(e.target.value)}
            onPressEnter={() => setFilters({ actor: actor.trim(), action: action.trim() })}
            style={{ width: 140 }}
          />
          <Input
            aria-label={t('audit.action')}
            placeholder={t('audit.actionPlaceholder')}
            allowClear
            value={action}
            onChange={(e) => setAction(e.target.value)}
            onPressEnter={() => setFilters({ actor: actor.trim(), action: action.trim() })}
            style={{ width: 170 }}
          />
          <Select
            aria-label={t('audit.result')}
            placeholder={t('audit.result')}
            allowClear
            value={filters.result}
            onChange={(v) => setFilters({ result: v })}
            style={{ width: 110 }}
            options={(['success', 'failure', 'denied'] as const).map((r) => ({ value: r, label: t(`audit.${r}`) }))}
          />
          <DatePicker.RangePicker
            aria-label={t('audit.range')}
            showTime
            value={filters.from && filters.to ? [dayjs(filters.from), dayjs(filters.to)] : null}
            onChange={(v) => setFilters({ from: v?.[0]?.toISOString(), to: v?.[1]?.toISOString() })}
          />
          <Button type="primary" onClick={() => setFilters({ actor: actor.trim(), action: action.trim() })}>
            {t('common.search')}
          </Button>
          <Button
            onClick={() => {
              setActor('');
              setAction('');
              setFilters({ actor: null, action: null, result: null, from: null, to: null, page: null });
            }}
          >
            {t('common.reset')}
          </Button>
          <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void logs.refetch()} />
          <Button icon={<SafetyOutlined />} loading={verify.isPending} onClick={() => verify.mutate()}>
            {t('audit.verify')}
          </Button>
        </Space>
        {verify.error && <Alert type="error" showIcon title={errorText(verify.error)} style={{ marginBottom: 16 }} />}
        {verify.data && <VerificationResult v={verify.data} />}
        {logs.error && <Alert type="error" showIcon title={errorText(logs.error)} style={{ marginBottom: 16 }} />}
        <Table<AuditRow>
          rowKey="seq"
          size="small"
          loading={logs.isFetching}
          dataSource={logs.data?.items}
          columns={columns}
          locale={{ emptyText: <Typography.Text type="secondary">{t('common.empty')}</Typography.Text> }}
          onRow={(r) => (broken.has(r.seq) ? ({ style: { background: 'rgba(255, 77, 79, 0.12)' }, 'data-broken': 'true' } as React.HTMLAttributes<HTMLElement>) : {})}
          pagination={{
            current: page,
            pageSize,
            total: logs.data?.total ?? 0,
            showSizeChanger: true,
            pageSizeOptions: [20, 50, 100, 200],
            showTotal: (n) => t('common.total', { n }),
            onChange: (p, s) => setFilters({ page: p === 1 ? null : p, pageSize: s === 50 ? null : s }),
          }}
        />
      </Card>
    </Space>
  );
}

function VerificationResult({ v }: { v: Verification }) {
  const { t } = useI18n();
  if (v.ok) return <Alert type="success" showIcon data-testid="audit-verify" title={t('audit.verifyOk', { n: v.checked, c: v.checkpoints })} style={{ marginBottom: 16 }} />;
  const first = v.problems.reduce<number | null>((m, p) => (m === null || p.seq < m ? p.seq : m), null);
  return (
    <Alert
      type="error"
      showIcon
      data-testid="audit-verify"
      style={{ marginBottom: 16 }}
      title={t('audit.verifyBad', { n: v.checked, p: v.problems.length })}
      description={
        <>
          {first !== null && <Typography.Text strong>{t('audit.breaksAt', { seq: first })}</Typography.Text>}
          <List
            size="small"
            dataSource={v.problems}
            renderItem={(p) => (
              <List.Item>
                <Space wrap>
                  <StateTag tone="bad">#{p.seq}</StateTag>
                  <span>{t(`audit.problem.${p.problem}` as MessageKey) ?? p.message}</span>
                  <Typography.Text type="secondary">{p.message}</Typography.Text>
                </Space>
              </List.Item>
            )}
          />
        </>
      }
    />
  );
}
