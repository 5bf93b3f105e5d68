// The flow graph of a journey's steps, laid out in layers from the start step and drawn as SVG.
import { h } from './dom.js';
import { t } from './i18n.js';

const W = 176, MAX_W = 280, H = 48, GAP_X = 34, GAP_Y = 78, PAD = 28, LOOP_MARGIN = 120;
const ID_FONT = '600 13px system-ui, sans-serif', DETAIL_FONT = '11px system-ui, sans-serif';

let measurer;
/** The rendered width of text in a font, measured as the browser will draw it (CJK and wide letters included). */
function textWidth(text, font) {
  measurer ??= document.createElement('canvas').getContext('2d');
  measurer.font = font;
  return measurer.measureText(text).width;
}

/** The text, cut with an ellipsis where it would overflow max pixels; the node's title carries it whole. */
function fit(text, font, max) {
  if (textWidth(text, font) <= max) return text;
  let lo = 0, hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(`${text.slice(0, mid)}…`, font) <= max) lo = mid; else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

/** Each step's outgoing edges with their labels: next, branch cases, split paths, waitForEvent outcomes. */
export function successors(step) {
  const out = [];
  const add = (to, label = '') => { if (typeof to === 'string' && to) out.push({ to, label }); };
  switch (step?.type) {
    case 'waitForEvent':
      add(step.onEvent, t('graph.onEvent', { event: step.event ?? '?' }));
      add(step.onTimeout, t('graph.onTimeout', { timeout: step.timeout ?? step.businessTimeout ?? '' }));
      break;
    case 'branch':
      (Array.isArray(step.cases) ? step.cases : []).forEach((c, n) => add(c?.next, t('graph.case', { n: n + 1 })));
      add(step.otherwise, t('graph.otherwise'));
      break;
    case 'split':
      (Array.isArray(step.paths) ? step.paths : []).forEach(p => add(p?.next, `${p?.percent ?? '?'}%`));
      break;
    case 'exit':
      break;
    default:
      add(step?.next);
  }
  return out;
}

function describe(step) {
  switch (step.type) {
    case 'wait': return step.duration ?? step.businessTime ?? (step.until ? `${step.until.time ?? ''} +${step.until.daysLater ?? 0}d` : step.untilDate?.path ?? '');
    case 'send': return `${step.channel ?? ''} · ${step.template ?? ''}`;
    case 'waitForEvent': return step.event ?? '';
    case 'clock': return `${step.action ?? ''} ${step.clock ?? ''}`;
    case 'task': return step.kind ?? '';
    case 'emit': return step.event ?? '';
    case 'exit': return step.outcome ?? '';
    default: return '';
  }
}

const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const nodeWidth = step => Math.min(MAX_W, Math.max(W, Math.ceil(textWidth(step.id, ID_FONT)) + 18));

/**
 * Draws the definition's steps. errorSteps: ids to mark as invalid; onSelect(stepId) runs when a node is chosen by
 * click or Enter/Space. keep: the layout of an earlier drawing (the svg's layout property): steps the start no longer
 * reaches keep their rows, so a definition made invalid by one broken reference is drawn as it was, not collapsed.
 */
export function drawGraph(definition, { errorSteps = new Set(), focusStep = null, selected = null, onSelect, keep = null } = {}) {
  const steps = (Array.isArray(definition?.steps) ? definition.steps : []).filter(s => s && typeof s.id === 'string');
  const byId = new Map(steps.map(s => [s.id, s]));
  const layer = new Map();
  const order = [];
  const queue = [];
  const startId = byId.has(definition?.start) ? definition.start : steps[0]?.id;
  if (startId) { layer.set(startId, 0); queue.push(startId); }
  while (queue.length) {
    const id = queue.shift();
    order.push(id);
    for (const { to } of successors(byId.get(id))) {
      if (byId.has(to) && !layer.has(to)) { layer.set(to, layer.get(id) + 1); queue.push(to); }
    }
  }
  // What the start no longer reaches (cut off by one broken reference) stays in the row it had.
  for (const s of steps) if (!layer.has(s.id) && keep?.layer.has(s.id)) layer.set(s.id, keep.layer.get(s.id));
  // Steps nothing leads to still appear, in a last row, so a mistake is visible rather than hidden.
  const deepest = Math.max(-1, ...layer.values());
  for (const s of steps) {
    if (!order.includes(s.id)) order.push(s.id);
    if (!layer.has(s.id)) layer.set(s.id, deepest + 1);
  }
  if (keep) {
    const rank = id => (keep.order.includes(id) ? keep.order.indexOf(id) : keep.order.length + order.indexOf(id));
    order.sort((a, b) => rank(a) - rank(b));
  }

  const rows = [];
  for (const id of order) (rows[layer.get(id)] ??= []).push(id);
  for (let r = 0; r < rows.length; r++) rows[r] ??= [];
  const widths = new Map(steps.map(s => [s.id, nodeWidth(s)]));
  const rowWidth = row => row.reduce((sum, id) => sum + widths.get(id), 0) + (row.length - 1) * GAP_X;
  // Loops back go round the right-hand side; the same margin on the left keeps the graph centred.
  const loops = steps.some(s => successors(s).some(e => layer.has(e.to) && layer.get(e.to) <= layer.get(s.id)));
  const margin = loops ? LOOP_MARGIN : 0;
  const width = PAD * 2 + Math.max(W, ...rows.map(rowWidth)) + margin * 2;
  const height = PAD * 2 + rows.length * H + Math.max(0, rows.length - 1) * GAP_Y;
  const pos = new Map();
  rows.forEach((row, r) => {
    let x = (width - rowWidth(row)) / 2;
    for (const id of row) {
      pos.set(id, { x, y: PAD + r * (H + GAP_Y), w: widths.get(id) });
      x += widths.get(id) + GAP_X;
    }
  });

  const svg = h('svg:svg', { viewBox: `0 0 ${width} ${Math.max(height, 80)}`, width, height: Math.max(height, 80), role: 'group', 'aria-label': t('graph.label') },
    h('svg:defs', {}, h('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      h('svg:path', { d: 'M0,0 L10,5 L0,10 z', fill: '#7a869c' }))));

  for (const step of steps) {
    const from = pos.get(step.id);
    for (const [n, edge] of successors(step).entries()) {
      const to = pos.get(edge.to);
      if (!to) continue;
      const sx = from.x + from.w / 2, sy = from.y + H;
      let d, lx, ly;
      if (to.y > from.y) {
        const tx = to.x + to.w / 2, ty = to.y;
        d = `M${sx},${sy} C${sx},${sy + GAP_Y / 2} ${tx},${ty - GAP_Y / 2} ${tx},${ty}`;
        lx = (sx + tx) / 2 + 4; ly = (sy + ty) / 2 + (n % 2 ? 10 : -2);
      } else {
        // A loop back to an earlier (or the same) row goes round the right-hand side.
        const rx = Math.max(from.x + from.w, to.x + to.w) + 40 + n * 12;
        const fy = from.y + H / 2, ty = to.y + H / 2;
        d = `M${from.x + from.w},${fy} C${rx},${fy} ${rx},${ty} ${to.x + to.w},${ty}`;
        lx = rx - 20; ly = (fy + ty) / 2;
      }
      svg.append(h('svg:path', { class: 'edge', d, 'marker-end': 'url(#arrow)' }));
      if (edge.label) svg.append(h('svg:text', { class: 'edge-label', x: lx, y: ly }, clip(edge.label, 26)));
    }
  }

  for (const step of steps) {
    const { x, y, w } = pos.get(step.id);
    const detail = `${step.type ?? '?'} ${describe(step)}`.trim();
    const classes = ['node', step.type, step.id === startId ? 'start' : '', errorSteps.has(step.id) ? 'error' : '', step.id === focusStep ? 'focus' : '',
      step.id === selected ? 'selected' : ''].join(' ');
    const select = () => onSelect?.(step.id);
    const node = h('svg:g', { class: classes, tabindex: 0, role: 'button', dataset: { step: step.id }, 'aria-pressed': step.id === selected ? 'true' : 'false',
      'aria-label': `${step.id} (${step.type})${errorSteps.has(step.id) ? ` — ${t('graph.hasError')}` : ''}`,
      onclick: select, onkeydown: e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(); } } },
    h('svg:title', {}, `${step.id}\n${detail}`),
    h('svg:rect', { x, y, width: w, height: H, rx: 6 }),
    h('svg:text', { class: 'node-id', x: x + 8, y: y + 19, 'font-size': 13, 'font-weight': 600 }, fit(step.id, ID_FONT, w - 16)),
    h('svg:text', { class: 'node-detail', x: x + 8, y: y + 37, 'font-size': 11, fill: '#5b6474' }, fit(detail, DETAIL_FONT, w - 16)));
    svg.append(node);
  }
  svg.layout = { layer, order: [...order] };
  return svg;
}
