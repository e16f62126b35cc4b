import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Progress, Space, Typography } from 'antd';
import dayjs from 'dayjs';
import { useEffect, useRef } from 'react';
import { unwrap } from '../../api/client';
import { useApi } from '../../auth/SessionProvider';
import { useI18n } from '../../i18n/I18nProvider';
import { StateTag, type Tone } from '../StateTag';
import type { MessageKey } from '../../i18n/messages';
import { formatBytes, type JobView, jobEnded, jobOutcome, jobPercent, jobPhase, jobPollInterval } from './jobModel';

/** A job kind's label (`backup.full`, `restore`…), the raw kind when unknown. */
export function jobKindLabel(t: (k: MessageKey) => string, kind: string): string {
  const key = `job.kind.${kind}` as MessageKey;
  const text = t(key);
  return text === key ? kind : text;
}

/** A job phase's label (`load`, `switch`…); the server's text when it is not a known step. */
export function jobStepLabel(t: (k: MessageKey) => string, step: string | undefined): string {
  if (!step) return '—';
  const key = `job.step.${step}` as MessageKey;
  const text = t(key);
  return text === key ? step : text;
}

export function JobStatusTag({ status }: { status: JobView['status'] }) {
  const { t } = useI18n();
  const color: Tone = status === 'succeeded' ? 'ok' : status === 'failed' ? 'bad' : 'info';
  return <StateTag tone={color}>{t(`job.status.${status}`)}</StateTag>;
}

/**
 * One job followed live: polls `GET /api/ops/jobs/{id}` every second until it has ended, with a
 * progress bar, its phase, bytes and rate; a failure shows its one-line cause. `onEnded` runs once.
 */
export function JobProgress({ id, initial, onEnded }: { id: string; initial?: JobView; onEnded?: (job: JobView) => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const job = useQuery({
    queryKey: ['job', id],
    queryFn: async () => unwrap(await api.GET('/api/ops/jobs/{id}', { params: { path: { id } } })) as JobView,
    initialData: initial,
    refetchInterval: (q) => jobPollInterval(q.state.data),
  });
  const told = useRef(false);
  const j = job.data;
  useEffect(() => {
    if (j && jobEnded(j) && !told.current) {
      told.current = true;
      onEnded?.(j);
    }
  }, [j, onEnded]);
  if (!j) return null;
  const outcome = jobOutcome(j);
  const status = outcome.status;
  const percent = jobPercent(j);
  const phase = jobPhase(j);
  const p = j.progress;
  return (
    <Card size="small" data-testid={`job-${j.kind}`} data-status={status}>
      <Space wrap style={{ marginBottom: 4 }}>
        <Typography.Text strong>{jobKindLabel(t, j.kind)}</Typography.Text>
        <JobStatusTag status={status} />
        {phase && (
          <Typography.Text type="secondary">
            {t('job.phase')}：{jobStepLabel(t, phase)}
          </Typography.Text>
        )}
        <Typography.Text type="secondary">{dayjs(j.startedAt).format('HH:mm:ss')}</Typography.Text>
      </Space>
      <Progress
        percent={percent ?? (j.status === 'running' ? 0 : 100)}
        status={status === 'failed' ? 'exception' : status === 'succeeded' ? 'success' : 'active'}
        aria-label={t('job.progress')}
      />
      {p && j.status === 'running' && (
        <Typography.Text type="secondary">
          {formatBytes(p.bytes)}
          {p.total ? ` / ${formatBytes(p.total)}` : ''} · {formatBytes(p.bytesPerSecond)}/s
          {p.etaSeconds !== undefined ? ` · ${t('job.eta', { s: Math.ceil(p.etaSeconds) })}` : ''}
        </Typography.Text>
      )}
      {status === 'failed' && <Alert type="error" showIcon title={outcome.cause ?? t('job.failed')} />}
      {job.error && <Alert type="warning" showIcon title={errorText(job.error)} />}
    </Card>
  );
}
