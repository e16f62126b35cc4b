import { LineChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { Col, Row, Typography } from 'antd';
import { useEffect, useRef } from 'react';
import { chartPoints, chartScale, type Figure, type OverviewSeries } from './overviewModel';

// only what the overview draws: line charts with a grid and a tooltip (keeps this lazy chunk small)
echarts.use([LineChart, GridComponent, TooltipComponent, CanvasRenderer]);

/** The overview's last-hour charts, one small line chart per figure (a lazy chunk: ECharts loads with it). */
type Series = OverviewSeries['series'][number];

/** `from`/`to`: the window asked for (ISO), so one early sample is drawn at its place in the hour, not across days. */
export default function OverviewCharts({ series, from, to, label, lang }: { series: Series[]; from: string; to: string; label: (key: Figure['key']) => string; lang: string }) {
  return (
    <Row gutter={[16, 16]}>
      {series.map((s) => (
        <Col key={s.key} xs={24} md={12} xl={8}>
          <Typography.Text strong>
            {label(s.key)} ({chartScale(s.unit).unit})
          </Typography.Text>
          <Chart series={s} from={Date.parse(from)} to={Date.parse(to)} lang={lang} />
        </Col>
      ))}
    </Row>
  );
}

function Chart({ series, from, to, lang }: { series: Series; from: number; to: number; lang: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = echarts.init(ref.current, undefined, { renderer: 'canvas', locale: lang === 'en' ? 'EN' : 'ZH' });
    chart.setOption({
      grid: { left: 48, right: 12, top: 12, bottom: 28 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'time', min: from, max: to, splitNumber: 4, axisLabel: { hideOverlap: true } },
      // per cent from 0 to 100; everything else from 0
      yAxis: { type: 'value', min: 0, ...(series.unit === 'ratio' ? { max: 100 } : {}) },
      series: [{ type: 'line', showSymbol: series.points.length < 8, connectNulls: false, data: chartPoints(series), areaStyle: { opacity: 0.12 } }],
      animation: false,
    });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [series, from, to, lang]);
  return <div ref={ref} role="img" aria-label={series.key} style={{ height: 180, width: '100%' }} />;
}
