// The complaints board: each open complaint's clocks and the time left before each breaches.
import { get, enc } from '../api.js';
import { h, clear, table, badge } from '../dom.js';
import { t } from '../i18n.js';
import { failure } from '../common.js';

/**
 * Working time left before the clock breaches, in one unit for every clock: the target less the working time elapsed
 * (the server counts both in the calendar's business hours). Wall-clock time to dueAt would mix nights and weekends in
 * for running clocks only.
 */
export function timeToBreach(clock) {
  if (clock.breached) return { minutes: 0, breached: true };
  return { minutes: Math.round((clock.targetMinutes ?? 0) - (clock.elapsedMinutes ?? 0)), breached: false, paused: clock.status !== 'running' };
}

function duration(minutes) {
  const sign = minutes < 0 ? '-' : '';
  const m = Math.abs(minutes);
  return `${sign}${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export async function render(main) {
  main.append(h('h1', {}, t('complaints.title')), h('p', { class: 'hint' }, t('complaints.hint')));
  const board = h('div', { id: 'complaints' });
  main.append(h('p', {}, h('button', { type: 'button', onclick: () => load() }, t('common.refresh'))), board);
  // The board comes a page at a time, and a complaint whose clocks run in two journeys comes on a page of each:
  // "More" adds the next page, merging a complaint's clocks into the row already shown.
  let complaints = [], token = null;
  const load = async (more = false) => {
    const query = new URLSearchParams({ status: 'open' });
    if (more && token) query.set('continuationToken', token);
    let page;
    try { page = await get(`/api/complaints?${query}`); } catch (e) { clear(board, failure(e, t('complaints.title'))); return; }
    complaints = merge(more ? complaints : [], page.items);
    token = page.continuationToken;
    const moreButton = token ? h('p', {}, h('button', { type: 'button', id: 'more', onclick: () => load(true) }, t('common.more'))) : null;
    if (!complaints.length) { clear(board, h('p', { class: 'muted' }, t('common.none')), moreButton); return; }
    const soonest = c => Math.min(...(c.clocks ?? []).map(k => timeToBreach(k).minutes), Infinity);
    complaints.sort((a, b) => soonest(a) - soonest(b));
    clear(board, table(t('complaints.title'), [t('complaints.id'), t('complaints.customer'), t('complaints.severity'), t('complaints.owner'), t('complaints.clocks')],
      complaints.map(c => h('tr', { dataset: { complaint: c.complaintId } },
        h('td', { class: 'mono' }, c.complaintId), h('td', {}, h('a', { href: `#/customers/${enc(c.customerId)}` }, c.customerId)),
        h('td', {}, badge(c.severity, c.severity === 'critical' || c.severity === 'high' ? 'breached' : 'draft')), h('td', {}, c.ownerId ?? '—'),
        h('td', {}, h('ul', { class: 'fields' }, (c.clocks ?? []).map(k => {
          const left = timeToBreach(k);
          return h('li', {}, h('strong', {}, k.name), ' ',
            left.breached ? badge(t('complaints.breached'), 'breached')
              : [h('span', { class: 'time-left' }, t('complaints.left', { time: duration(left.minutes) })), ' ', badge(t(`complaints.clock.${k.status}`), k.status === 'running' ? 'active' : 'paused')],
            h('span', { class: 'muted' }, ` (${t('complaints.target', { target: duration(Math.round(k.targetMinutes ?? 0)) })})`));
        })))))), moreButton);
  };
  await load();
}

/** The complaints shown so far with a page's added: one row per complaint, holding the clocks of every journey that runs them. */
function merge(shown, page) {
  const byId = new Map(shown.map(c => [c.complaintId, { ...c, clocks: [...(c.clocks ?? [])] }]));
  for (const c of page) {
    const known = byId.get(c.complaintId);
    if (known) known.clocks.push(...(c.clocks ?? []));
    else byId.set(c.complaintId, { ...c, clocks: [...(c.clocks ?? [])] });
  }
  return [...byId.values()];
}
