// Simulation: a journey (draft, active or the editor's unsaved text) run for a sample or typed profile and a timeline of events.
import { get, post, enc } from '../api.js';
import { h, clear, formatTime, badge } from '../dom.js';
import { t } from '../i18n.js';
import { failure, parseJsonField } from '../common.js';

export const samples = {
  'wang-fang': { customerId: 'SIM-ZH-1', name: '王芳', phone: '+8613800138000', email: 'wang.fang@example.cn', locale: 'zh-CN', timeZone: 'Asia/Shanghai',
    region: 'cn-mainland', ownerId: 'am-7', tier: 'gold', status: 'active', consent: { sms: 'opted-in', email: 'opted-in' } },
  'li-lei': { customerId: 'SIM-ZH-2', name: '李雷', phone: '+8613900139000', locale: 'zh-CN', timeZone: 'Asia/Shanghai', tier: 'base', status: 'dormant',
    consent: { sms: 'opted-in', email: 'unknown' } },
  'emma-clark': { customerId: 'SIM-EN-1', name: 'Emma Clark', phone: '+447700900123', email: 'emma.clark@example.com', locale: 'en', timeZone: 'Europe/London',
    tier: 'silver', status: 'active', consent: { sms: 'opted-in', email: 'opted-in' } },
  'no-consent': { customerId: 'SIM-EN-2', name: 'Sam Doe', phone: '+15555550100', locale: 'en', timeZone: 'America/New_York', consent: { sms: 'opted-out', email: 'opted-out' } },
};

export async function render(main, [journeyId, from]) {
  main.append(h('h1', {}, t('simulate.title')));
  let journeys = [];
  try { journeys = await get('/api/journeys'); } catch (e) { main.append(failure(e, t('simulate.title'))); return; }
  const editorText = from === 'editor' ? sessionStorage.getItem('retention.simulate.definition') : null;

  const journey = h('select', { id: 'sim-journey' }, journeys.map(j => h('option', { value: j.id, selected: j.id === journeyId }, `${j.name ?? j.id} (${j.id})`)));
  if (journeyId && !journeys.some(j => j.id === journeyId)) journey.prepend(h('option', { value: journeyId, selected: true }, journeyId));
  const source = h('select', { id: 'sim-source' },
    editorText ? h('option', { value: 'editor', selected: true }, t('simulate.fromEditor')) : null,
    h('option', { value: '' }, t('simulate.sourceDefault')), h('option', { value: 'draft' }, t('simulate.draft')), h('option', { value: 'active' }, t('simulate.active')));
  const sample = h('select', { id: 'sim-sample' }, h('option', { value: '' }, t('simulate.typeProfile')),
    Object.keys(samples).map(k => h('option', { value: k, selected: k === 'wang-fang' }, `${samples[k].name} · ${samples[k].locale}`)),
    h('option', { value: 'stored' }, t('simulate.storedCustomer')));
  const profile = h('textarea', { id: 'sim-profile', rows: 9, cols: 60, class: 'mono', spellcheck: false });
  const storedId = h('input', { id: 'sim-customer-id', placeholder: 'C001' });
  const storedLabel = h('label', { for: 'sim-customer-id', hidden: true }, t('simulate.customerId'), storedId);
  const profileLabel = h('label', { for: 'sim-profile' }, t('simulate.profile'), profile);
  const fillProfile = () => {
    storedLabel.hidden = sample.value !== 'stored';
    profileLabel.hidden = sample.value === 'stored';
    if (samples[sample.value]) profile.value = JSON.stringify(samples[sample.value], null, 2);
  };
  sample.addEventListener('change', fillProfile);
  fillProfile();
  const start = h('input', { id: 'sim-start', placeholder: '2026-03-02T09:00:00+08:00' });
  const until = h('input', { id: 'sim-until', placeholder: 'P400D', size: 8 });
  // The trigger event's type defaults to the journey's own trigger event ("event sale.completed").
  const triggerEvent = () => /^event (\S+)/.exec(journeys.find(j => j.id === journey.value)?.trigger ?? '')?.[1] ?? '';
  const triggerType = h('input', { id: 'sim-trigger-type', value: triggerEvent(), placeholder: 'sale.completed' });
  journey.addEventListener('change', () => { triggerType.value = triggerEvent(); });
  const triggerData = h('textarea', { id: 'sim-trigger', rows: 3, cols: 60, class: 'mono', placeholder: '{"saleId": "S1", "product": "理财产品A"}' });

  const eventRows = h('tbody');
  const addEvent = (type = '', after = 'PT1H', data = '{}') => {
    const n = eventRows.children.length + 1;
    const row = h('tr', {},
      h('td', {}, h('input', { 'aria-label': t('simulate.eventType', { n }), class: 'ev-type', value: type, placeholder: 'sms.received' })),
      h('td', {}, h('input', { 'aria-label': t('simulate.eventAfter', { n }), class: 'ev-after', value: after, size: 10 })),
      h('td', {}, h('textarea', { 'aria-label': t('simulate.eventData', { n }), class: 'ev-data mono', rows: 2 }, data)),
      h('td', {}, h('button', { type: 'button', onclick: () => row.remove() }, t('common.remove'))));
    eventRows.append(row);
    row.querySelector('input').focus();
  };
  const result = h('section', { id: 'sim-result', 'aria-live': 'polite' });

  const form = h('form', { class: 'panel', onsubmit: async e => {
    e.preventDefault();
    clear(result, h('p', {}, t('common.working')));
    let body;
    try { body = buildRequest(); } catch (err) { clear(result, h('p', { class: 'error', role: 'alert' }, err.message)); return; }
    try { renderResult(result, await post(`/api/journeys/${enc(journey.value)}/simulate`, body)); }
    catch (err) { clear(result, failure(err, t('simulate.title'))); }
  } },
  h('div', { class: 'row' }, h('label', { for: 'sim-journey' }, t('simulate.journey'), journey), h('label', { for: 'sim-source' }, t('simulate.source'), source),
    h('label', { for: 'sim-sample' }, t('simulate.sample'), sample)),
  h('div', { class: 'row' }, profileLabel, storedLabel),
  h('div', { class: 'row' }, h('label', { for: 'sim-start' }, t('simulate.start'), start), h('label', { for: 'sim-until' }, t('simulate.until'), until),
    h('label', { for: 'sim-trigger-type' }, t('simulate.triggerType'), triggerType), h('label', { for: 'sim-trigger' }, t('simulate.triggerData'), triggerData)),
  h('h2', {}, t('simulate.events')),
  h('table', { class: 'events-table' }, h('caption', { class: 'muted' }, t('simulate.eventsHint')),
    h('thead', {}, h('tr', {}, [t('simulate.type'), t('simulate.after'), t('simulate.data'), ''].map(x => h('th', { scope: 'col' }, x)))), eventRows),
  h('p', { class: 'actions' }, h('button', { type: 'button', id: 'add-event', onclick: () => addEvent() }, t('simulate.addEvent')),
    h('button', { type: 'submit', class: 'primary', id: 'run-simulation' }, t('simulate.run'))));
  main.append(form, result);

  function buildRequest() {
    const body = {};
    if (source.value === 'editor') body.definition = parseJsonField(editorText, t('editor.definition'));
    else if (source.value) body.source = source.value;
    if (sample.value === 'stored') body.customerId = storedId.value.trim();
    else body.customer = parseJsonField(profile.value, t('simulate.profile')) ?? {};
    if (start.value.trim()) body.start = start.value.trim();
    if (until.value.trim()) body.until = until.value.trim();
    const data = parseJsonField(triggerData.value, t('simulate.triggerData'));
    if (data || (triggerType.value.trim() && triggerType.value.trim() !== triggerEvent())) {
      body.trigger = { type: triggerType.value.trim() || triggerEvent(), data: data ?? {} };
    }
    body.events = [...eventRows.children].map(row => {
      const after = row.querySelector('.ev-after').value.trim();
      const event = { type: row.querySelector('.ev-type').value.trim(), data: parseJsonField(row.querySelector('.ev-data').value, t('simulate.data')) ?? {} };
      if (/^\d{4}-/.test(after)) event.at = after; else event.after = after || 'PT0S';
      return event;
    });
    return body;
  }
}

function renderResult(result, sim) {
  const items = sim.timeline ?? [];
  clear(result,
    h('h2', {}, t('simulate.resultTitle', { journey: sim.journeyId, version: sim.version })),
    h('p', {}, t('simulate.summary', { start: formatTime(sim.start), end: formatTime(sim.end), outcome: sim.outcome ?? '—', count: items.length })),
    h('ol', { class: 'timeline', id: 'sim-timeline' }, items.map(entry => {
      const d = entry.detail ?? {};
      const head = h('div', {}, h('strong', {}, t(`timeline.${entry.kind}`)), ' ', h('span', { class: 'muted' }, formatTime(entry.at)),
        entry.stepId ? [' · ', h('code', {}, entry.stepId)] : null);
      if (entry.kind === 'message') {
        return h('li', { class: 'message', dataset: { status: d.status } }, head,
          h('div', {}, badge(d.channel ?? ''), ' ', badge(t(`message.${d.status}`), d.status), ' ', d.template ?? '', ' · ', d.category ?? '',
            d.segments ? [' · ', h('span', { class: 'segments' }, t('simulate.segments', { n: d.segments }))] : null,
            d.reason ? [' · ', h('span', { class: 'reason' }, t('simulate.reason', { reason: d.reason }))] : null),
          d.subject ? h('div', {}, h('strong', {}, d.subject)) : null,
          h('div', { class: 'message-body' }, d.body ?? ''));
      }
      if (entry.kind === 'task') {
        return h('li', { class: 'task' }, head, h('div', {}, `${d.kind ?? ''}: ${d.title ?? ''} → ${d.assignee ?? ''} (${t('tasks.due')} ${formatTime(d.dueAt)})`));
      }
      const rest = Object.entries(d).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ');
      return h('li', {}, head, rest ? h('div', { class: 'muted' }, rest) : null);
    })));
}
