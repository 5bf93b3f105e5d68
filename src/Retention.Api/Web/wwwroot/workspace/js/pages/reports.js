// Reports: per-journey funnel and lift against the holdout, complaint SLA compliance, and messages by status and reason.
import { get, enc } from '../api.js';
import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { failure } from '../common.js';
import { barChart, stackedChart, intervalChart } from '../charts.js';

export async function render(main, [journeyId]) {
  main.append(h('h1', {}, t('reports.title')));
  let journeys = [];
  try { journeys = await get('/api/journeys'); } catch (e) { main.append(failure(e, t('reports.title'))); return; }
  const selected = journeyId ?? journeys[0]?.id;
  const pick = h('select', { id: 'report-journey', onchange: () => { location.hash = `#/reports/${enc(pick.value)}`; } },
    journeys.map(j => h('option', { value: j.id, selected: j.id === selected }, j.name ?? j.id)));
  const days = h('select', { id: 'report-days' }, [7, 30, 90].map(d => h('option', { value: d, selected: d === 30 }, t('reports.days', { n: d }))));
  const funnel = panel('funnel', t('reports.funnel'));
  const lift = panel('lift', t('reports.lift'));
  const sla = panel('sla', t('reports.sla'));
  const messages = panel('messages', selected ? t('reports.messagesOf', { journey: selected }) : t('reports.messages'));
  main.append(h('div', { class: 'row' }, h('label', { for: 'report-journey' }, t('reports.journey'), pick), h('label', { for: 'report-days' }, t('reports.window'), days)),
    h('div', { class: 'charts' }, funnel, lift, sla, messages));
  days.addEventListener('change', () => loadMessages(messages.body, days.value, selected));
  await Promise.all([
    selected ? loadFunnel(funnel.body, selected) : null,
    selected ? loadLift(lift.body, selected) : null,
    loadSla(sla.body),
    loadMessages(messages.body, days.value, selected),
  ]);
}

function panel(id, title) {
  const body = h('div');
  const section = h('section', { class: 'panel chart', id: `report-${id}`, 'aria-labelledby': `report-${id}-title` }, h('h2', { id: `report-${id}-title` }, title), body);
  section.body = body;
  return section;
}


async function loadFunnel(body, id) {
  try {
    const r = await get(`/api/reports/journeys/${enc(id)}/funnel`);
    clear(body, h('p', { class: 'hint' }, t('reports.entered', { n: r.entered ?? 0 })),
      barChart(t('reports.funnel'), r.steps.map(s => ({ label: `${s.stepId}`, value: s.entered }))),
      (r.outcomes ?? []).length
        ? h('div', { id: 'report-outcomes' }, h('h3', {}, t('reports.outcomes')),
          h('ul', { class: 'outcomes' }, r.outcomes.map(o => h('li', {}, `${o.outcome ? `${o.status} · ${o.outcome}` : o.status}: ${o.count}`))))
        : null);
  } catch (e) { clear(body, failure(e, t('reports.funnel'))); }
}

async function loadLift(body, id) {
  try {
    const r = await get(`/api/reports/journeys/${enc(id)}/lift`);
    const rate = g => (g.count ? g.converted / g.count : 0);
    const pct = v => `${(v * 100).toFixed(1)}%`;
    clear(body,
      barChart(t('reports.conversion'), [
        { label: t('reports.treated', { n: r.treated.count }), value: rate(r.treated) },
        { label: t('reports.holdout', { n: r.holdout.count }), value: rate(r.holdout), kind: 'holdout' }], { format: pct }),
      r.lift === null || r.lift === undefined
        ? h('p', { class: 'hint' }, t('reports.noLift'))
        : [h('p', {}, t('reports.liftValue', { lift: (r.lift * 100).toFixed(1), low: (r.ci95[0] * 100).toFixed(1), high: (r.ci95[1] * 100).toFixed(1) })),
          intervalChart(t('reports.lift'), r.lift, r.ci95[0], r.ci95[1])]);
  } catch (e) { clear(body, failure(e, t('reports.lift'))); }
}

async function loadSla(body) {
  try {
    const rows = await get('/api/reports/sla');
    if (!rows.length) { clear(body, h('p', { class: 'muted' }, t('reports.noComplaints'))); return; }
    clear(body, stackedChart(t('reports.sla'), rows.map(r => ({
      label: r.severity,
      note: r.compliance === null || r.compliance === undefined ? '—' : `${(r.compliance * 100).toFixed(0)}%`,
      parts: [{ value: r.withinTarget, kind: 'within', name: t('reports.within') }, { value: r.breached, kind: 'breached', name: t('reports.breached') },
        { value: r.total - r.withinTarget - r.breached, kind: 'holdout', name: t('reports.open') }],
    }))), h('p', { class: 'hint' }, t('reports.slaLegend')));
  } catch (e) { clear(body, failure(e, t('reports.sla'))); }
}

async function loadMessages(body, days, journeyId) {
  try {
    const rows = await get(`/api/reports/messages?days=${enc(days)}${journeyId ? `&journeyId=${enc(journeyId)}` : ''}`);
    if (!rows.length) { clear(body, h('p', { class: 'muted' }, t('common.none'))); return; }
    clear(body, barChart(t('reports.messages'), rows.map(r => ({
      label: `${r.channel} ${t(`message.${r.status}`)}${r.reason ? ` · ${r.reason}` : ''}`, value: r.count,
      kind: ['suppressed', 'failed', 'undelivered'].includes(r.status) ? 'breached' : r.status === 'deferred' ? 'holdout' : '',
    }))));
  } catch (e) { clear(body, failure(e, t('reports.messages'))); }
}
