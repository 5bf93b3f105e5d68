// Charts drawn as SVG by our own code: horizontal bars, stacked bars, and a difference with its interval.
import { h } from './dom.js';

const clip = (s, n) => (String(s).length > n ? `${String(s).slice(0, n - 1)}…` : String(s));

/** rows: [{ label, value, kind? }]; each bar is labelled with its value, and the chart has a text title for readers. */
export function barChart(title, rows, { width = 560, labelWidth = 170, format = v => v } = {}) {
  const barHeight = 22, gap = 8, top = 10;
  const max = Math.max(1, ...rows.map(r => r.value));
  const plot = width - labelWidth - 60;
  const height = top * 2 + rows.length * (barHeight + gap);
  return h('svg:svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title },
    h('svg:title', {}, title),
    rows.map((r, n) => {
      const y = top + n * (barHeight + gap);
      const w = Math.max(r.value > 0 ? 2 : 0, (r.value / max) * plot);
      return h('svg:g', {},
        h('svg:text', { x: labelWidth - 6, y: y + 15, 'text-anchor': 'end' }, clip(r.label, 26)),
        h('svg:rect', { class: `bar ${r.kind ?? ''}`, x: labelWidth, y, width: w, height: barHeight, rx: 2 }),
        h('svg:text', { x: labelWidth + w + 5, y: y + 15 }, format(r.value)));
    }));
}

/** rows: [{ label, parts: [{ value, kind, name }] }] stacked left to right. */
export function stackedChart(title, rows, { width = 560, labelWidth = 110 } = {}) {
  const barHeight = 24, gap = 10, top = 10;
  const max = Math.max(1, ...rows.map(r => r.parts.reduce((s, p) => s + p.value, 0)));
  const plot = width - labelWidth - 80;
  const height = top * 2 + rows.length * (barHeight + gap);
  return h('svg:svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title },
    h('svg:title', {}, title),
    rows.map((r, n) => {
      const y = top + n * (barHeight + gap);
      let x = labelWidth;
      const parts = r.parts.map(p => {
        const w = (p.value / max) * plot;
        const rect = h('svg:rect', { class: `bar ${p.kind}`, x, y, width: w, height: barHeight }, h('svg:title', {}, `${p.name}: ${p.value}`));
        x += w;
        return rect;
      });
      return h('svg:g', {}, h('svg:text', { x: labelWidth - 6, y: y + 16, 'text-anchor': 'end' }, r.label), parts,
        h('svg:text', { x: x + 5, y: y + 16 }, r.note ?? ''));
    }));
}

/** A point estimate with its 95% interval on an axis through zero (percentage points). */
export function intervalChart(title, estimate, low, high, { width = 560 } = {}) {
  const height = 90, left = 40, right = width - 40, y = 45;
  const span = Math.max(0.05, Math.abs(low), Math.abs(high), Math.abs(estimate)) * 1.15;
  const x = v => left + ((v + span) / (2 * span)) * (right - left);
  const pct = v => `${(v * 100).toFixed(1)} pp`;
  return h('svg:svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}: ${pct(estimate)} [${pct(low)}, ${pct(high)}]` },
    h('svg:title', {}, title),
    h('svg:line', { class: 'axis', x1: left, x2: right, y1: y + 20, y2: y + 20 }),
    h('svg:line', { class: 'axis', x1: x(0), x2: x(0), y1: 10, y2: y + 26, 'stroke-dasharray': '3 3' }),
    h('svg:text', { x: x(0), y: y + 38, 'text-anchor': 'middle' }, '0'),
    h('svg:line', { class: 'ci', x1: x(low), x2: x(high), y1: y, y2: y }),
    h('svg:line', { class: 'ci', x1: x(low), x2: x(low), y1: y - 7, y2: y + 7 }),
    h('svg:line', { class: 'ci', x1: x(high), x2: x(high), y1: y - 7, y2: y + 7 }),
    h('svg:circle', { cx: x(estimate), cy: y, r: 5, class: 'bar' }),
    h('svg:text', { x: x(low), y: y - 12, 'text-anchor': 'middle' }, pct(low)),
    h('svg:text', { x: x(high), y: y - 12, 'text-anchor': 'middle' }, pct(high)),
    h('svg:text', { x: x(estimate), y: y + 16, 'text-anchor': 'middle' }, pct(estimate)));
}
