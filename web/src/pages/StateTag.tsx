import { Tag } from 'antd';
import type { ReactNode } from 'react';

/**
 * A status tag in colours that keep WCAG AA contrast (Ant Design's preset tag colours do not, on
 * their light backgrounds): ok, warn, bad, info, neutral.
 */
export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

const TONES: Record<Tone, { color: string; background: string; borderColor: string }> = {
  ok: { color: '#135200', background: '#f6ffed', borderColor: '#b7eb8f' },
  warn: { color: '#874d00', background: '#fffbe6', borderColor: '#ffe58f' },
  bad: { color: '#a8071a', background: '#fff1f0', borderColor: '#ffa39e' },
  info: { color: '#003eb3', background: '#e6f4ff', borderColor: '#91caff' },
  neutral: { color: 'rgba(0, 0, 0, 0.88)', background: '#fafafa', borderColor: '#d9d9d9' },
};

export function StateTag({ tone, children }: { tone: Tone; children: ReactNode }) {
  return <Tag style={TONES[tone]}>{children}</Tag>;
}
