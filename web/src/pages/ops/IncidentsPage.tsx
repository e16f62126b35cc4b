import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Descriptions,
  Drawer,
  Form,
  Input,
  Modal,
  Popconfirm,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { unwrap } from '../../api/client';
import { Can, useApi, useCan } from '../../auth/SessionProvider';
import { useI18n } from '../../i18n/I18nProvider';
import { StateTag } from '../StateTag';
import { useUrlFilters } from '../../urlFilters';
import { SEVERITY_TONE } from './severity';

const STATUSES = ['detected', 'notified', 'confirmed', 'classified', 'remediating', 'verifying', 'recovered', 'postmortem'] as const;
const SEVERITIES = ['critical', 'major', 'minor'] as const;
const TYPES = ['application', 'database', 'network', 'other'] as const;
const SPEC = { status: [...STATUSES, 'open'], severity: SEVERITIES, id: 'int' } as const;
type Status = (typeof STATUSES)[number];

interface IncidentRow {
  id: number;
  title: string;
  severity: (typeof SEVERITIES)[number];
  status: Status;
  type: (typeof TYPES)[number] | null;
  source: string;
  detectedAt: string;
  acknowledgedBy: string | null;
  recoveredAt: string | null;
  closeProposedAt: string | null;
  ttaSeconds: number | null;
  ttrSeconds: number | null;
}

const time = (v: string | null | undefined) => (v ? dayjs(v).format('YYYY-MM-DD HH:mm:ss') : '—');
/** A duration as people read it: seconds under a minute, minutes under an hour, hours beyond. */
const minutes = (s: number | null | undefined) => {
  if (s === null || s === undefined) return '—';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
};

/** 故障 Incidents: the list with filters in the URL and MTTA/MTTR, one incident's timeline, checklist, steps and postmortem. */
export default function IncidentsPage() {
  const { t, errorText } = useI18n();
  const api = useApi();
  const [filters, setFilters] = useUrlFilters(SPEC);
  const [creating, setCreating] = useState(false);
  const incidents = useQuery({
    queryKey: ['incidents', filters.status, filters.severity],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/ops/incidents', {
          params: { query: { status: filters.status as Status | 'open' | undefined, severity: filters.severity as IncidentRow['severity'] | undefined } },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });
  const stats = incidents.data?.stats;
  const columns = [
    { title: 'ID', dataIndex: 'id', key: 'id' },
    {
      title: t('inc.title'),
      dataIndex: 'title',
      key: 'title',
      render: (v: string, r: IncidentRow) => (
        <Button type="link" style={{ padding: 0, height: 'auto', whiteSpace: 'normal', textAlign: 'left' }} onClick={() => setFilters({ id: r.id })}>
          {v}
        </Button>
      ),
    },
    {
      title: t('al.severity'),
      dataIndex: 'severity',
      key: 'severity',
      render: (s: string) => <StateTag tone={SEVERITY_TONE[s] ?? 'neutral'}>{t(`sev.${s as IncidentRow['severity']}`)}</StateTag>,
    },
    {
      title: t('inc.status'),
      dataIndex: 'status',
      key: 'status',
      render: (s: Status) => <StateTag tone={s === 'recovered' || s === 'postmortem' ? 'ok' : 'warn'}>{t(`inc.status.${s}`)}</StateTag>,
    },
    { title: t('inc.type'), dataIndex: 'type', key: 'type', responsive: ['md' as const], render: (v: IncidentRow['type']) => (v ? t(`inc.type.${v}`) : '—') },
    { title: t('inc.detectedAt'), dataIndex: 'detectedAt', key: 'detectedAt', render: time },
    { title: 'TTA', dataIndex: 'ttaSeconds', key: 'tta', responsive: ['lg' as const], render: minutes },
    { title: 'TTR', dataIndex: 'ttrSeconds', key: 'ttr', responsive: ['lg' as const], render: minutes },
  ];
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      {stats && (
        <Row gutter={[16, 16]}>
          {SEVERITIES.map((s) => (
            <Col key={s} xs={24} md={8}>
              <Card size="small" title={<StateTag tone={SEVERITY_TONE[s] ?? 'neutral'}>{t(`sev.${s}`)}</StateTag>}>
                <Space size="large" wrap>
                  <Statistic title={t('inc.open')} value={stats[s].open} />
                  <Statistic title="MTTA" value={minutes(stats[s].mttaSeconds)} />
                  <Statistic title="MTTR" value={minutes(stats[s].mttrSeconds)} />
                </Space>
              </Card>
            </Col>
          ))}
        </Row>
      )}
      <Card>
        <Space wrap style={{ marginBottom: 16 }}>
          <Select
            aria-label={t('inc.status')}
            placeholder={t('inc.status')}
            allowClear
            value={filters.status}
            onChange={(v) => setFilters({ status: v })}
            style={{ width: 140 }}
            options={[{ value: 'open', label: t('inc.status.open') }, ...STATUSES.map((s) => ({ value: s, label: t(`inc.status.${s}`) }))]}
          />
          <Select
            aria-label={t('al.severity')}
            placeholder={t('al.severity')}
            allowClear
            value={filters.severity}
            onChange={(v) => setFilters({ severity: v })}
            style={{ width: 120 }}
            options={SEVERITIES.map((s) => ({ value: s, label: t(`sev.${s}`) }))}
          />
          <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void incidents.refetch()} />
          <Can permission="ops:incidents">
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
              {t('inc.create')}
            </Button>
          </Can>
        </Space>
        {incidents.error && <Alert type="error" showIcon title={errorText(incidents.error)} style={{ marginBottom: 16 }} />}
        <Table<IncidentRow>
          rowKey="id"
          size="middle"
          loading={incidents.isLoading || incidents.isPlaceholderData}
          dataSource={incidents.data?.items as IncidentRow[] | undefined}
          columns={columns}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: <Typography.Text type="secondary">{t('inc.empty')}</Typography.Text> }}
          pagination={{ pageSize: 20, hideOnSinglePage: true, showTotal: (n) => t('common.total', { n }) }}
        />
      </Card>
      {creating && <CreateModal onClose={() => setCreating(false)} onCreated={(id) => setFilters({ id })} />}
      {filters.id !== undefined && <IncidentDrawer id={filters.id} onClose={() => setFilters({ id: null })} />}
    </Space>
  );
}

function CreateModal({ onClose, onCreated }: { onClose: () => void; onCreated: (id: number) => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: async (v: { title: string; severity: IncidentRow['severity']; summary?: string }) =>
      unwrap(
        await api.POST('/api/ops/incidents', { body: { title: v.title.trim(), severity: v.severity, ...(v.summary?.trim() ? { summary: v.summary.trim() } : {}) } }),
      ) as unknown as {
        id: number;
      },
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ['incidents'] });
      onClose();
      if (r?.id) onCreated(r.id);
    },
    onError: (e) => setError(errorText(e)),
  });
  return (
    <Modal
      open
      title={t('inc.create')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form form={form} layout="vertical" initialValues={{ severity: 'major' }} onFinish={(v) => save.mutate(v)}>
        <Form.Item label={t('inc.title')} name="title" rules={[{ required: true, whitespace: true, message: t('login.required', { field: t('inc.title') }) }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item label={t('al.severity')} name="severity">
          <Select aria-label={t('al.severity')} options={SEVERITIES.map((s) => ({ value: s, label: t(`sev.${s}`) }))} />
        </Form.Item>
        <Form.Item label={t('inc.summary')} name="summary">
          <Input.TextArea rows={3} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function IncidentDrawer({ id, onClose }: { id: number; onClose: () => void }) {
  const { t, lang, errorText } = useI18n();
  const api = useApi();
  const can = useCan();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [classifying, setClassifying] = useState<string | undefined>();
  const [postmortem, setPostmortem] = useState(false);
  const [markdown, setMarkdown] = useState<string | null>(null);
  const detail = useQuery({
    queryKey: ['incident', id, lang],
    queryFn: async () => unwrap(await api.GET('/api/ops/incidents/{id}', { params: { path: { id: String(id) }, query: { lang } } })),
  });
  const done = () => {
    void qc.invalidateQueries({ queryKey: ['incident', id] });
    void qc.invalidateQueries({ queryKey: ['incidents'] });
  };
  const act = useMutation({
    mutationFn: async (
      a:
        | { kind: 'ack' }
        | { kind: 'classify'; type: (typeof TYPES)[number] }
        | { kind: 'transition'; to: Status }
        | { kind: 'resolve' }
        | { kind: 'check'; item: string; done: boolean },
    ) => {
      const path = { id: String(id) };
      if (a.kind === 'ack') return unwrap(await api.POST('/api/ops/incidents/{id}/ack', { params: { path }, body: {} }));
      if (a.kind === 'classify') return unwrap(await api.POST('/api/ops/incidents/{id}/classify', { params: { path }, body: { type: a.type } }));
      if (a.kind === 'transition') return unwrap(await api.POST('/api/ops/incidents/{id}/transition', { params: { path }, body: { to: a.to } }));
      if (a.kind === 'resolve') return unwrap(await api.POST('/api/ops/incidents/{id}/resolve', { params: { path }, body: { confirm: true } }));
      return unwrap(await api.POST('/api/ops/incidents/{id}/checklist', { params: { path }, body: { item: a.item as never, done: a.done } }));
    },
    onSuccess: done,
    onError: (e) => message.error(errorText(e)),
  });
  const d = detail.data;
  const writable = can('ops:incidents');
  const steps = (d?.allowedNext ?? []).filter((s) => s !== 'postmortem');
  return (
    <Drawer open onClose={onClose} width={Math.min(720, window.innerWidth)} title={d ? `#${d.id} ${d.title}` : t('app.loading')} destroyOnHidden>
      {detail.error && <Alert type="error" showIcon title={errorText(detail.error)} />}
      {d && (
        <Space direction="vertical" size="middle" style={{ width: '100%' }}>
          <Button icon={<ReloadOutlined />} loading={detail.isFetching} onClick={() => void detail.refetch()}>
            {t('common.refresh')}
          </Button>
          <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
            <Descriptions.Item label={t('inc.status')}>
              <Tag data-testid="incident-status">{t(`inc.status.${d.status}`)}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label={t('al.severity')}>
              <StateTag tone={SEVERITY_TONE[d.severity] ?? 'neutral'}>{t(`sev.${d.severity}`)}</StateTag>
            </Descriptions.Item>
            <Descriptions.Item label={t('inc.type')}>{d.type ? t(`inc.type.${d.type}`) : '—'}</Descriptions.Item>
            <Descriptions.Item label={t('inc.source')}>{d.source}</Descriptions.Item>
            <Descriptions.Item label={t('inc.detectedAt')}>{time(d.detectedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('inc.ackedBy')}>{d.acknowledgedBy ?? '—'}</Descriptions.Item>
            {d.summary && (
              <Descriptions.Item label={t('inc.summary')} span={2}>
                {d.summary}
              </Descriptions.Item>
            )}
          </Descriptions>
          {d.closeProposedAt && d.status !== 'recovered' && d.status !== 'postmortem' && (
            <Alert type="info" showIcon title={t('inc.closeProposed', { time: time(d.closeProposedAt) })} />
          )}
          {writable && (
            <Card size="small" title={t('inc.steps')}>
              <Space wrap>
                {steps.map((s) =>
                  s === 'confirmed' ? (
                    <Button key={s} type="primary" onClick={() => act.mutate({ kind: 'ack' })}>
                      {t('inc.ack')}
                    </Button>
                  ) : s === 'classified' ? (
                    <Space key={s}>
                      <Select
                        aria-label={t('inc.type')}
                        placeholder={t('inc.type')}
                        value={classifying}
                        onChange={setClassifying}
                        style={{ width: 140 }}
                        options={TYPES.map((x) => ({ value: x, label: t(`inc.type.${x}`) }))}
                      />
                      <Button disabled={!classifying} onClick={() => act.mutate({ kind: 'classify', type: classifying as (typeof TYPES)[number] })}>
                        {t('inc.classify')}
                      </Button>
                    </Space>
                  ) : (
                    <Button key={s} onClick={() => act.mutate({ kind: 'transition', to: s })}>
                      {t('inc.to', { status: t(`inc.status.${s}`) })}
                    </Button>
                  ),
                )}
                {d.canResolve && (
                  <Popconfirm title={t('inc.resolveConfirm')} okText={t('common.ok')} cancelText={t('common.cancel')} onConfirm={() => act.mutateAsync({ kind: 'resolve' })}>
                    <Button danger>{t('inc.resolve')}</Button>
                  </Popconfirm>
                )}
                {(d.status === 'recovered' || d.status === 'postmortem') && <Button onClick={() => setPostmortem(true)}>{t('inc.postmortem')}</Button>}
              </Space>
            </Card>
          )}
          <Card size="small" title={t('inc.checklist')}>
            <Space direction="vertical">
              {d.checklist.map((c) => (
                <Checkbox key={c.item} checked={c.done} disabled={!writable || act.isPending} onChange={(e) => act.mutate({ kind: 'check', item: c.item, done: e.target.checked })}>
                  {c.label}
                  {c.doneBy && (
                    <Typography.Text type="secondary">
                      {' '}
                      （{c.doneBy} {time(c.doneAt)}）
                    </Typography.Text>
                  )}
                </Checkbox>
              ))}
            </Space>
          </Card>
          {d.suggestions.length > 0 && (
            <Card size="small" title={t('inc.suggestions')}>
              <ul style={{ margin: 0, paddingLeft: 20 }}>
                {d.suggestions.map((s) => (
                  <li key={s.text}>
                    {s.text} {s.command && <Typography.Text code>{s.command}</Typography.Text>}
                  </li>
                ))}
              </ul>
            </Card>
          )}
          <Card size="small" title={t('inc.timeline')}>
            <Timeline
              items={d.timeline.map((e, i) => ({
                key: `${e.at}-${i}`,
                children: (
                  <>
                    <Typography.Text strong>{time(e.at)}</Typography.Text> <Tag>{e.kind}</Tag> {e.actor}
                    {e.from || e.to ? ` ${t(`inc.status.${(e.from ?? 'detected') as Status}`)} → ${t(`inc.status.${(e.to ?? 'detected') as Status}`)}` : ''}
                    {e.message && <div>{e.message}</div>}
                  </>
                ),
              }))}
            />
          </Card>
          {(d.impact || d.causes || d.actions) && (
            <Card size="small" title={t('inc.postmortem')}>
              <Descriptions size="small" column={1}>
                <Descriptions.Item label={t('inc.impact')}>{d.impact ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={t('inc.causes')}>{d.causes ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={t('inc.actions')}>{d.actions ?? '—'}</Descriptions.Item>
              </Descriptions>
            </Card>
          )}
          {markdown && (
            <Card size="small" title={t('inc.report')}>
              <pre style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{markdown}</pre>
            </Card>
          )}
        </Space>
      )}
      {postmortem && d && (
        <PostmortemModal
          id={id}
          initial={{ impact: d.impact ?? '', causes: d.causes ?? '', actions: d.actions ?? '' }}
          onClose={() => setPostmortem(false)}
          onDone={(md) => {
            setMarkdown(md);
            done();
          }}
        />
      )}
    </Drawer>
  );
}

function PostmortemModal({ id, initial, onClose, onDone }: { id: number; initial: Record<string, string>; onClose: () => void; onDone: (markdown: string) => void }) {
  const { t, lang, errorText } = useI18n();
  const api = useApi();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: async (v: { impact?: string; causes?: string; actions?: string }) =>
      unwrap(await api.POST('/api/ops/incidents/{id}/postmortem', { params: { path: { id: String(id) } }, body: { ...v, lang } })) as unknown as { markdown?: string },
    onSuccess: (r) => {
      onDone(r?.markdown ?? '');
      onClose();
    },
    onError: (e) => setError(errorText(e)),
  });
  return (
    <Modal
      open
      title={t('inc.postmortem')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
      width={640}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form form={form} layout="vertical" initialValues={initial} onFinish={(v) => save.mutate(v)}>
        <Form.Item label={t('inc.impact')} name="impact">
          <Input.TextArea rows={3} />
        </Form.Item>
        <Form.Item label={t('inc.causes')} name="causes">
          <Input.TextArea rows={3} />
        </Form.Item>
        <Form.Item label={t('inc.actions')} name="actions">
          <Input.TextArea rows={3} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
