import { describe, expect, it } from 'vitest';
import { type AlertForText, alertMessage, digestMessage, shanghaiTime } from '../../../src/i18n/notifyText.js';

/** Alert → notification text (src/i18n/notifyText.ts): Chinese by default, English selectable, digests for storms. */
const db: AlertForText = {
  name: '数据库不可用',
  severity: 'critical',
  status: 'firing',
  summary: '主库 3306 无法连接',
  description: '连续 3 次检查失败',
  labels: { instance: 'db-1:3306', severity: 'critical' },
  startsAt: '2026-11-30T04:00:05.000Z',
  fingerprint: 'abc123',
};

describe('alertMessage', () => {
  it('renders a firing critical alert in Chinese with Beijing time', () => {
    const m = alertMessage(db, { link: 'https://ops.example.com/alerts/abc123' });
    expect(m.subject).toBe('【紧急】数据库不可用');
    expect(m.text.split('\n')).toEqual([
      '告警名称：数据库不可用',
      '级别：紧急',
      '状态：告警中',
      '开始时间：2026-11-30 12:00:05（北京时间）',
      '摘要：主库 3306 无法连接',
      '详情：连续 3 次检查失败',
      '实例：db-1:3306',
      '查看详情：https://ops.example.com/alerts/abc123',
    ]);
    expect(m.fields).toMatchObject({ name: '数据库不可用', severity: '紧急', status: '告警中', startsAt: '2026-11-30 12:00:05', instance: 'db-1:3306' });
  });

  it('marks a resolved alert and its end time; major and minor prefixes', () => {
    const m = alertMessage({ ...db, severity: 'major', status: 'resolved', endsAt: '2026-11-30T16:30:00Z' });
    expect(m.subject).toBe('【重要】【已恢复】数据库不可用');
    expect(m.text).toContain('状态：已恢复');
    expect(m.text).toContain('恢复时间：2026-12-01 00:30:00（北京时间）');
    expect(alertMessage({ ...db, severity: 'minor' }).subject).toBe('【一般】数据库不可用');
  });

  it('says which escalation it is', () => {
    const m = alertMessage(db, { escalation: 2 });
    expect(m.subject).toBe('【紧急】数据库不可用（第2次升级通知）');
    expect(m.text.split('\n')[0]).toBe('第2次升级通知：告警仍未确认，请尽快处理');
  });

  it('renders English on request', () => {
    const m = alertMessage(db, { lang: 'en', escalation: 1 });
    expect(m.subject).toBe('[CRITICAL] 数据库不可用 (escalation #1)');
    expect(m.text).toContain('Status: firing');
    expect(m.text).toContain('Started: 2026-11-30 12:00:05 (UTC+08:00)');
  });

  it('shows Asia/Shanghai across the date line', () => {
    expect(shanghaiTime('2026-12-31T16:00:00Z')).toBe('2027-01-01 00:00:00');
  });
});

describe('digestMessage', () => {
  it('merges alerts: count in the subject under the highest severity, one line per alert, most severe first', () => {
    const alerts: AlertForText[] = [
      { ...db, name: 'CPU使用率过高', severity: 'minor', summary: null, labels: { instance: 'app-2' }, fingerprint: 'c1' },
      db,
      { ...db, name: '应用错误率过高', severity: 'major', status: 'resolved', summary: '错误率 7%', labels: {}, fingerprint: 'e1' },
    ];
    const m = digestMessage(alerts);
    expect(m.subject).toBe('【紧急】告警合并通知：共3条（告警中2条，已恢复1条）');
    expect(m.text.split('\n')).toEqual([
      '- 【紧急】告警中 数据库不可用 — 主库 3306 无法连接 @db-1:3306（开始 2026-11-30 12:00:05）',
      '- 【重要】已恢复 应用错误率过高 — 错误率 7%（开始 2026-11-30 12:00:05）',
      '- 【一般】告警中 CPU使用率过高 @app-2（开始 2026-11-30 12:00:05）',
    ]);
    expect(m.fields).toMatchObject({ count: '3', name: '数据库不可用等3条告警', severity: '紧急' });
    expect(digestMessage(alerts, { lang: 'en' }).subject).toBe('[CRITICAL] 3 alerts (2 firing, 1 resolved)');
  });

  it('is the single-alert message for one alert', () => {
    expect(digestMessage([db])).toEqual(alertMessage(db));
  });
});
