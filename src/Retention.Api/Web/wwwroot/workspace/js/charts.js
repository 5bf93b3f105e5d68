// Charts drawn by our own code: horizontal and stacked bars in HTML, and a difference with its interval in SVG.
import { h } from './dom.js';

/**
 * Bars as HTML, so labels are set at the page's own text size (not scaled down with an SVG) and wrap instead of being
 * cut: a reason such as "sms suppressed · the customer opted out" is read in full beside its bar.
 * rows: [{ label, value, kind?, note? }] or, stacked, [{ label, parts: [{ value, kind, name }], note? }].
 */
function bars(title, rows, { format = v => v } = {}) {
  const total = r => (r.parts ? r.parts.reduce((s, p) => s + p.value, 0) : r.value);
  const max = Math.max(1, ...rows.map(total));
  const pct = v => `${Math.max(0, (v / max) * 85)}%`; // the rest of the track holds the value
  return h('figure', { class: 'bar-chart', role: 'group', 'aria-label': title },
    h('figcaption', { class: 'sr-only' }, title),
    rows.map(r => h('div', { class: 'bar-row' },
      h('span', { class: 'bar-label' }, r.label),
      h('span', { class: 'bar-track' },
        r.parts
          ? r.parts.map(p => bar(p.kind, pct(p.value), `${p.name}: ${p.value}`))
          : bar(r.kind, r.value > 0 ? `max(2px, ${pct(r.value)})` : '0'),
        h('span', { class: 'bar-value' }, r.parts ? (r.note ?? '') : format(r.value))))));
}

/** One bar; its width is set through the CSS object model, which the page's content security policy allows (a style attribute it does not). */
function bar(kind, width, title) {
  const el = h('span', { class: `bar ${kind ?? ''}`, title });
  el.style.width = width;
  return el;
}

/** rows: [{ label, value, kind? }]; each bar is labelled with its value, and the chart is named for readers. */
export function barChart(title, rows, options = {}) {
  return bars(title, rows, options);
}

/** rows: [{ label, parts: [{ value, kind, name }], note? }] stacked left to right. */
export function stackedChart(title, rows) {
  return bars(title, rows);
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
