// Small DOM builder: h('button', { type: 'button', onclick }, 'text'). Text is always set as text, never as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && !tag.startsWith('svg:') && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * A table with a caption (for screen readers) and header cells, scrolling inside its own box when wider than the page;
 * with reflow, a narrow screen shows each row as a card, every cell labelled with its column's name.
 */
export function table(caption, headers, rows, { reflow = false } = {}) {
  if (reflow) {
    for (const row of rows.flat()) [...row.children].forEach((cell, n) => { cell.dataset.label = headers[n]?.label ?? headers[n] ?? ''; });
  }
  return h('div', { class: reflow ? 'table-wrap reflow' : 'table-wrap' }, h('table', {},
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, headers.map(x => h('th', { scope: 'col', class: x.num ? 'num' : undefined }, x.label ?? x)))),
    h('tbody', {}, rows)));
}

export function badge(text, kind) {
  return h('span', { class: `badge ${kind ?? String(text).toLowerCase()}` }, text);
}

export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString(document.documentElement.lang || undefined, { hour12: false });
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
