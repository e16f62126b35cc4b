import { CloudUploadOutlined, ReloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, DatePicker, Descriptions, Empty, Form, Input, Modal, Popconfirm, Radio, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { lazy, Suspense, useCallback, useMemo, useState } from 'react';
import { unwrap } from '../../api/client';
import { Can, useApi, useCan } from '../../auth/SessionProvider';
import { useI18n } from '../../i18n/I18nProvider';
import { StateTag } from '../StateTag';
import { useUrlFilters } from '../../urlFilters';
import { type CatalogRow, restoreWindow } from './backupWindow';
import { JobProgress, JobStatusTag, jobKindLabel, jobStepLabel } from './JobProgress';
import { formatBytes, type JobView, jobOutcome } from './jobModel';

const BackupWindowChart = lazy(() => import('./BackupWindowChart'));

const TYPES = ['full', 'incremental', 'binlog', 'schema', 'config', 'logs'] as const;
const SPEC = { type: TYPES, status: ['running', 'complete', 'failed'] } as const;

interface BackupRow extends CatalogRow {
  stored_bytes: number | null;
  raw_bytes: number | null;
  locations: string;
  verified_at: string | null;
  verify_result: 'passed' | 'failed' | null;
  error: string | null;
}

const time = (v: string | null | undefined) => (v ? dayjs(v).format('YYYY-MM-DD HH:mm:ss') : '—');

/** 备份 Backups: the catalog, the restorable window, backups run now, verify and restore — every job followed to its end. */
export default function BackupsPage() {
  const { t, lang, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [filters, setFilters] = useUrlFilters(SPEC);
  const [tracked, setTracked] = useState<JobView[]>([]);
  const [restoring, setRestoring] = useState<BackupRow | null>(null);

  const backups = useQuery({
    queryKey: ['backups'],
    queryFn: async () => unwrap(await api.GET('/api/ops/backups')).items as BackupRow[],
  });
  const stream = useQuery({
    queryKey: ['backup-stream'],
    queryFn: async () => unwrap(await api.GET('/api/ops/backups/stream')),
    refetchInterval: 5_000,
  });
  const jobs = useQuery({
    queryKey: ['jobs'],
    queryFn: async () => unwrap(await api.GET('/api/ops/jobs')).items as JobView[],
    refetchInterval: (q) => (q.state.data?.some((j) => j.status === 'running') ? 2000 : false),
  });

  const track = (job: JobView) => setTracked((ts) => [job, ...ts.filter((x) => x.id !== job.id)].slice(0, 6));
  const onEnded = useCallback(
    (job: JobView) => {
      void qc.invalidateQueries({ queryKey: ['backups'] });
      void qc.invalidateQueries({ queryKey: ['jobs'] });
      const outcome = jobOutcome(job);
      if (outcome.status === 'succeeded') message.success(t('job.done', { kind: jobKindLabel(t, job.kind) }));
      else message.error(`${jobKindLabel(t, job.kind)}：${outcome.cause ?? t('job.failed')}`);
    },
    [qc, message, t],
  );

  const run = useMutation({
    mutationFn: async (type: 'full' | 'incremental' | 'schema') => unwrap(await api.POST('/api/ops/backups', { body: { type } })) as JobView,
    onSuccess: track,
    onError: (e) => message.error(errorText(e)),
  });
  const verify = useMutation({
    mutationFn: async (id: string) => unwrap(await api.POST('/api/ops/backups/{id}/verify', { params: { path: { id } } })) as JobView,
    onSuccess: track,
    onError: (e) => message.error(errorText(e)),
  });

  const rows = backups.data ?? [];
  const model = useMemo(() => restoreWindow(rows), [rows]);
  const shown = rows
    .filter((r) => (!filters.type || r.type === filters.type) && (!filters.status || r.status === filters.status))
    .slice()
    .reverse();
  const rpoSeconds = model ? Math.max(0, dayjs().diff(dayjs(model.to), 'second')) : undefined;
  const chartLabels = useMemo(() => ({ full: t('bk.type.full'), binlog: t('bk.binlogs'), window: t('bk.window') }), [t]);

  const columns = [
    {
      title: t('bk.type'),
      dataIndex: 'type',
      key: 'type',
      render: (v: string, r: BackupRow) => (
        <Space size={4}>
          <Tag>{t(`bk.type.${v as (typeof TYPES)[number]}`)}</Tag>
          {r.safety ? <StateTag tone="warn">{t('bk.safety')}</StateTag> : null}
        </Space>
      ),
    },
    { title: t('bk.startedAt'), dataIndex: 'started_at', key: 'started_at', render: time },
    { title: t('bk.size'), dataIndex: 'stored_bytes', key: 'size', responsive: ['md' as const], render: (v: number | null) => formatBytes(v) },
    {
      title: t('bk.status'),
      dataIndex: 'status',
      key: 'status',
      render: (s: BackupRow['status'], r: BackupRow) => (
        <Space direction="vertical" size={0}>
          <StateTag tone={s === 'complete' ? 'ok' : s === 'failed' ? 'bad' : 'info'}>{t(`bk.status.${s}`)}</StateTag>
          {r.error && <Typography.Text type="danger">{r.error}</Typography.Text>}
        </Space>
      ),
    },
    {
      title: t('bk.verified'),
      dataIndex: 'verify_result',
      key: 'verified',
      render: (v: BackupRow['verify_result'], r: BackupRow) =>
        v ? (
          <Space size={4}>
            <StateTag tone={v === 'passed' ? 'ok' : 'bad'}>{v === 'passed' ? t('bk.verify.passed') : t('bk.verify.failed')}</StateTag>
            <Typography.Text type="secondary">{time(r.verified_at)}</Typography.Text>
          </Space>
        ) : (
          <Typography.Text type="secondary">{t('bk.verify.never')}</Typography.Text>
        ),
    },
    { title: t('bk.locations'), dataIndex: 'locations', key: 'locations', responsive: ['lg' as const] },
    { title: 'ID', dataIndex: 'id', key: 'id', responsive: ['xl' as const], render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
    ...(can('ops:verify') || can('ops:restore')
      ? [
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, r: BackupRow) =>
              r.status === 'complete' && r.type === 'full' ? (
                <Space size={0} wrap>
                  <Can permission="ops:verify">
                    <Popconfirm title={t('bk.verifyConfirm')} okText={t('common.ok')} cancelText={t('common.cancel')} onConfirm={() => verify.mutateAsync(r.id)}>
                      <Button type="link" size="small">
                        {t('bk.verify')}
                      </Button>
                    </Popconfirm>
                  </Can>
                  <Can permission="ops:restore">
                    <Button type="link" size="small" onClick={() => setRestoring(r)}>
                      {t('bk.restore')}
                    </Button>
                  </Can>
                </Space>
              ) : null,
          },
        ]
      : []),
  ];

  const jobColumns = [
    { title: t('job.kind'), dataIndex: 'kind', key: 'kind', render: (k: string) => jobKindLabel(t, k) },
    { title: t('job.statusCol'), key: 'status', render: (_: unknown, j: JobView) => <JobStatusTag status={jobOutcome(j).status} /> },
    { title: t('job.phase'), key: 'phase', responsive: ['md' as const], render: (_: unknown, j: JobView) => jobStepLabel(t, j.step ?? j.progress?.step) },
    { title: t('job.startedAt'), dataIndex: 'startedAt', key: 'startedAt', width: 180, responsive: ['sm' as const], render: time },
    { title: t('job.finishedAt'), dataIndex: 'finishedAt', key: 'finishedAt', width: 180, responsive: ['lg' as const], render: time },
    {
      title: t('job.error'),
      key: 'error',
      ellipsis: true,
      render: (_: unknown, j: JobView) => {
        const cause = jobOutcome(j).cause;
        return cause ? (
          <Typography.Text type="danger" title={cause}>
            {cause}
          </Typography.Text>
        ) : (
          '—'
        );
      },
    },
  ];

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card title={t('bk.window')}>
        {can('ops:backup') && (
          <Space wrap style={{ marginBottom: 16 }}>
            <Button type="primary" icon={<CloudUploadOutlined />} loading={run.isPending && run.variables === 'full'} onClick={() => run.mutate('full')}>
              {t('bk.runFull')}
            </Button>
            <Button loading={run.isPending && run.variables === 'incremental'} onClick={() => run.mutate('incremental')}>
              {t('bk.runIncremental')}
            </Button>
            <Button loading={run.isPending && run.variables === 'schema'} onClick={() => run.mutate('schema')}>
              {t('bk.runSchema')}
            </Button>
          </Space>
        )}
        {backups.isLoading ? (
          <Spin aria-label={t('app.loading')} />
        ) : model ? (
          <>
            <Descriptions size="small" column={{ xs: 1, md: 3 }}>
              <Descriptions.Item label={t('bk.window.from')}>{time(model.from)}</Descriptions.Item>
              <Descriptions.Item label={t('bk.window.to')}>{time(model.to)}</Descriptions.Item>
              <Descriptions.Item label={t('bk.window.kind')}>{model.pointInTime ? t('bk.window.pitr') : t('bk.window.fullsOnly')}</Descriptions.Item>
              <Descriptions.Item label={t('bk.rpo')}>
                <span data-testid="backup-rpo">{rpoSeconds !== undefined ? t('bk.rpo.value', { s: rpoSeconds }) : '—'}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t('bk.stream')}>{model.pointInTime ? t('bk.stream.archived') : t('bk.stream.none')}</Descriptions.Item>
              <Descriptions.Item label={t('bk.live')}>
                <span data-testid="binlog-stream">{streamText(stream.data, t)}</span>
              </Descriptions.Item>
            </Descriptions>
            <Suspense fallback={<Spin aria-label={t('app.loading')} />}>
              <BackupWindowChart model={model} labels={chartLabels} lang={lang} />
            </Suspense>
          </>
        ) : (
          <Empty description={t('bk.window.none')} />
        )}
      </Card>

      {tracked.length > 0 && (
        <Card title={t('job.live')} data-testid="live-jobs">
          <Space direction="vertical" style={{ width: '100%' }}>
            {tracked.map((j) => (
              <JobProgress key={j.id} id={j.id} initial={j} onEnded={onEnded} />
            ))}
          </Space>
        </Card>
      )}

      <Card title={t('bk.catalog')} extra={<Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void backups.refetch()} />}>
        <Space wrap style={{ marginBottom: 16 }}>
          <Select
            aria-label={t('bk.type')}
            placeholder={t('bk.type')}
            allowClear
            value={filters.type}
            onChange={(v) => setFilters({ type: v })}
            style={{ width: 140 }}
            options={TYPES.map((v) => ({ value: v, label: t(`bk.type.${v}`) }))}
          />
          <Select
            aria-label={t('bk.status')}
            placeholder={t('bk.status')}
            allowClear
            value={filters.status}
            onChange={(v) => setFilters({ status: v })}
            style={{ width: 140 }}
            options={(['running', 'complete', 'failed'] as const).map((v) => ({ value: v, label: t(`bk.status.${v}`) }))}
          />
        </Space>
        {backups.error && <Alert type="error" showIcon title={errorText(backups.error)} style={{ marginBottom: 16 }} />}
        <Table<BackupRow>
          rowKey="id"
          size="middle"
          loading={backups.isFetching}
          dataSource={shown}
          columns={columns}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: <Typography.Text type="secondary">{t('bk.empty')}</Typography.Text> }}
          pagination={{ pageSize: 20, showTotal: (n) => t('common.total', { n }), hideOnSinglePage: true }}
        />
      </Card>

      <Card title={t('job.recent')}>
        {jobs.error && <Alert type="error" showIcon title={errorText(jobs.error)} style={{ marginBottom: 16 }} />}
        <Table<JobView>
          rowKey="id"
          size="small"
          loading={jobs.isLoading}
          dataSource={jobs.data}
          columns={jobColumns}
          locale={{ emptyText: <Typography.Text type="secondary">{t('common.empty')}</Typography.Text> }}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
        />
      </Card>

      {restoring && (
        <RestoreModal
          backup={restoring}
          pointInTime={!!model?.pointInTime}
          onClose={() => setRestoring(null)}
          onStarted={(job) => {
            track(job);
            setRestoring(null);
          }}
        />
      )}
    </Space>
  );
}

/** A default name for a database created by a restore (`mcp_restore_` + date and time; valid on MySQL and SQLite). */
export function defaultRestoreTarget(now: Dayjs = dayjs()): string {
  return `mcp_restore_${now.format('YYYYMMDD_HHmm')}`;
}

function RestoreModal({ backup, pointInTime, onClose, onStarted }: { backup: BackupRow; pointInTime: boolean; onClose: () => void; onStarted: (job: JobView) => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const mode = Form.useWatch('mode', form) as 'new' | 'live' | undefined;
  const confirm = Form.useWatch('confirm', form) as string | undefined;

  const start = useMutation({
    mutationFn: async (v: { mode: 'new' | 'live'; targetDb?: string; to?: Dayjs; confirm?: string }) => {
      const to = v.to ? v.to.toISOString().slice(0, 19).replace('T', ' ') : undefined;
      const body =
        v.mode === 'live'
          ? { backup: backup.id, ...(to ? { to } : {}), force: true, confirm: v.confirm?.trim() ?? '' }
          : { backup: backup.id, ...(to ? { to } : {}), targetDb: v.targetDb?.trim() ?? '' };
      return unwrap(await api.POST('/api/ops/restores', { body })) as JobView;
    },
    onSuccess: onStarted,
    onError: (e) => setError(errorText(e)),
  });

  const live = mode === 'live';
  return (
    <Modal
      open
      title={t('bk.restoreTitle', { id: backup.id })}
      okText={live ? t('bk.restoreLiveOk') : t('bk.restoreOk')}
      okButtonProps={{ danger: live, disabled: live && !confirm?.trim() }}
      cancelText={t('common.cancel')}
      confirmLoading={start.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form form={form} layout="vertical" initialValues={{ mode: 'new', targetDb: defaultRestoreTarget() }} onFinish={(v) => start.mutate(v)}>
        <Form.Item label={t('bk.restoreTarget')} name="mode">
          <Radio.Group>
            <Radio value="new">{t('bk.restoreNew')}</Radio>
            {can('ops:restore-live') && <Radio value="live">{t('bk.restoreLive')}</Radio>}
          </Radio.Group>
        </Form.Item>
        {live ? (
          <>
            <Alert type="warning" showIcon title={t('bk.restoreLiveWarn')} style={{ marginBottom: 16 }} />
            <Form.Item label={t('bk.restoreConfirm')} name="confirm" extra={t('bk.restoreConfirmHint')} rules={[{ required: true, message: t('bk.restoreConfirm') }]}>
              <Input autoComplete="off" />
            </Form.Item>
          </>
        ) : (
          <Form.Item
            label={t('bk.targetDb')}
            name="targetDb"
            extra={t('bk.targetDbHint')}
            rules={[{ required: true, pattern: /^mcp_restore_[a-z0-9_]{1,52}$/, message: t('bk.targetDbInvalid') }]}
          >
            <Input autoComplete="off" />
          </Form.Item>
        )}
        {pointInTime && (
          <Form.Item label={t('bk.restoreTo')} name="to" extra={t('bk.restoreToHint')}>
            <DatePicker showTime style={{ width: '100%' }} />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}

type StreamView = {
  state: 'running' | 'stale' | 'stopped' | 'never';
  reportedAt: string | null;
  status: { caughtUp: boolean; rpoSeconds?: number; source?: string; lastError?: string; switches: string[] } | null;
};

/** The binlog stream's last report in words: state, live RPO, the server it follows, how often it moved. */
function streamText(v: StreamView | undefined, t: ReturnType<typeof useI18n>['t']): string {
  if (!v) return '—';
  if (v.state === 'never') return t('bk.live.never');
  const st = v.status;
  const parts = [t(`bk.live.${v.state}`)];
  if (v.state === 'running' && st) {
    if (st.rpoSeconds !== undefined) parts.push(t('bk.live.rpo', { s: st.rpoSeconds }));
    parts.push(st.caughtUp ? t('bk.live.caughtUp') : t('bk.live.behind'));
    if (st.source) parts.push(t('bk.live.source', { source: st.source }));
    if (st.switches.length) parts.push(t('bk.live.switches', { n: st.switches.length }));
  }
  if (v.state !== 'running' && v.reportedAt) parts.push(t('bk.live.last', { time: dayjs(v.reportedAt).format('YYYY-MM-DD HH:mm:ss') }));
  if (st?.lastError) parts.push(st.lastError);
  return parts.join(' · ');
}
