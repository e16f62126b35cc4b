import { LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, MarkAreaComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { RestoreWindowModel } from './backupWindow';

echarts.use([ScatterChart, LineChart, GridComponent, TooltipComponent, MarkAreaComponent, CanvasRenderer]);

/** The axis: the window and now, with a margin; at least an hour wide so a single backup is not drawn alone on a two-day axis. */
function axisRange(model: RestoreWindowModel, now: number): { min: number; max: number } {
  const from = Date.parse(model.from);
  const to = Math.max(Date.parse(model.to), now);
  const span = Math.max(to - from, 3_600_000);
  return { min: from - span * 0.1, max: to + span * 0.1 };
}

/** The restorable window on a time axis: full backups as points, archived binlogs as bars, the window shaded (a lazy chunk). */
export default function BackupWindowChart({ model, labels, lang }: { model: RestoreWindowModel; labels: { full: string; binlog: string; window: string }; lang: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = echarts.init(ref.current, undefined, { renderer: 'canvas', locale: lang === 'en' ? 'EN' : 'ZH' });
    const range = axisRange(model, Date.now());
    const binlogData: (number[] | null)[] = [];
    for (const b of model.binlogs) binlogData.push([Date.parse(b.from), 0], [Date.parse(b.to), 0], null);
    chart.setOption({
      grid: { left: 80, right: 24, top: 16, bottom: 32 },
      tooltip: { trigger: 'item' },
      xAxis: { type: 'time', min: range.min, max: range.max, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'category', data: [labels.binlog, labels.full], axisTick: { show: false } },
      series: [
        {
          name: labels.full,
          type: 'scatter',
          symbolSize: 12,
          data: model.fulls.map((f) => [Date.parse(f.at), 1]),
          markArea: {
            silent: true,
            itemStyle: { color: 'rgba(22, 104, 220, 0.12)' },
            data: [[{ name: labels.window, xAxis: Date.parse(model.from) }, { xAxis: Date.parse(model.to) }]],
          },
        },
        { name: labels.binlog, type: 'line', data: binlogData, connectNulls: false, lineStyle: { width: 8 }, showSymbol: false },
      ],
      animation: false,
    });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [model, labels, lang]);
  return <div ref={ref} role="img" aria-label={labels.window} style={{ height: 140, width: '100%' }} />;
}
