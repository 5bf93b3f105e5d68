// Instances: filter by journey, status and customer; history; raise an event; suspend, resume, terminate; why one failed,
// restart it, or restart a journey's failures since a time.
import { get, post, enc } from '../api.js';
import { h, clear, table, badge, formatTime } from '../dom.js';
import { t } from '../i18n.js';
import { session } from '../session.js';
import { failure, announce, parseJsonField } from '../common.js';
import { openDialog } from '../dialog.js';

const statuses = ['Pending', 'Running', 'Waiting', 'Suspended', 'Completed', 'Exited', 'Terminated', 'Failed'];

export async function render(main, [instanceId]) {
  main.append(h('h1', {}, t('instances.title')));
  if (instanceId) { await renderDetail(main, instanceId); return; }
  const params = new URLSearchParams(sessionStorage.getItem('retention.instances.filter') ?? '');
  let journeys = [];
  try { journeys = await get('/api/journeys'); } catch { /* the filter still works by typing */ }
  const journey = h('select', { id: 'filter-journey' }, h('option', { value: '' }, t('common.all')),
    journeys.map(j => h('option', { value: j.id, selected: params.get('journeyId') === j.id }, j.id)));
  const status = h('select', { id: 'filter-status' }, h('option', { value: '' }, t('common.all')),
    statuses.map(s => h('option', { value: s, selected: params.get('status') === s }, t(`status.${s}`))));
  const customer = h('input', { id: 'filter-customer', value: params.get('customerId') ?? '' });
  const list = h('div', { id: 'instance-list' });
  let token = null;
  const load = async (more = false) => {
    const query = new URLSearchParams();
    if (journey.value) query.set('journeyId', journey.value);
    if (status.value) query.set('status', status.value);
    if (customer.value.trim()) query.set('customerId', customer.value.trim());
    sessionStorage.setItem('retention.instances.filter', query.toString());
    if (more && token) query.set('continuationToken', token);
    query.set('pageSize', '50');
    try {
      const page = await get(`/api/instances?${query}`);
      token = page.continuationToken;
      const rows = page.items.map(i => h('tr', {},
        h('td', {}, h('a', { href: `#/instances/${enc(i.instanceId)}` }, i.instanceId)), h('td', {}, i.journeyId), h('td', { class: 'num' }, i.version),
        h('td', {}, h('a', { href: `#/customers/${enc(i.customerId)}` }, i.customerId)), h('td', {}, badge(t(`status.${i.status}`), i.status.toLowerCase())),
        h('td', { class: 'mono' }, i.currentStep ?? ''), h('td', {}, formatTime(i.updatedAt))));
      const tableEl = more ? list.querySelector('tbody') : null;
      if (tableEl) tableEl.append(...rows);
      else clear(list, table(t('instances.title'), [t('instances.id'), t('instances.journey'), { label: t('instances.version'), num: true }, t('instances.customer'),
        t('instances.status'), t('instances.step'), t('instances.updated')], rows));
      list.querySelector('#more')?.remove();
      if (token) list.append(h('p', {}, h('button', { type: 'button', id: 'more', onclick: () => load(true) }, t('common.more'))));
      if (!page.items.length && !more) list.append(h('p', { class: 'muted' }, t('common.none')));
    } catch (e) { clear(list, failure(e, t('instances.title'))); }
  };
  main.append(h('form', { class: 'row', role: 'search', onsubmit: e => { e.preventDefault(); load(); } },
    h('label', { for: 'filter-journey' }, t('instances.journey'), journey), h('label', { for: 'filter-status' }, t('instances.status'), status),
    h('label', { for: 'filter-customer' }, t('instances.customer'), customer), h('button', { type: 'submit', class: 'primary' }, t('common.filter'))),
    session.canOperate ? bulkRestartForm(journey, load) : null, list);
  await load();
}

/** Restarts the chosen journey's instances that failed since a time, a page per request until the server says it is done. */
function bulkRestartForm(journey, reload) {
  const since = h('input', { id: 'restart-since', type: 'datetime-local', step: 1 });
  const run = async () => {
    let restarted = 0, token = null, pages = 0;
    try {
      do {
        const query = new URLSearchParams({ journeyId: journey.value, since: new Date(since.value).toISOString(), pageSize: '100' });
        if (token) query.set('continuationToken', token);
        const page = await post(`/api/instances/restart?${query}`);
        restarted += page.restarted;
        token = page.continuationToken;
      } while (token && ++pages < 1000);
      announce(t('instances.bulkDone', { count: restarted }));
      await reload();
    } catch (e) { announce(e.message, true); }
  };
  return h('form', { class: 'panel row', id: 'bulk-restart', onsubmit: e => {
    e.preventDefault();
    if (!journey.value || !since.value) { announce(t('instances.bulkNeedsJourney'), true); return; }
    const label = t('instances.bulkRestart');
    const dlg = openDialog(label, h('div', {}, h('p', {}, t('instances.bulkConfirm', { journey: journey.value, since: formatTime(new Date(since.value).toISOString()) })),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', id: 'bulk-restart-confirm', onclick: () => { dlg.close(); run(); } }, label),
        h('button', { type: 'button', onclick: () => dlg.close() }, t('common.cancel')))));
  } }, h('label', { for: 'restart-since' }, t('instances.bulkSince'), since), h('button', { type: 'submit' }, t('instances.bulkRestart')));
}

async function renderDetail(main, instanceId) {
  const holder = h('div', { id: 'instance' });
  main.append(h('p', {}, h('a', { href: '#/instances' }, t('instances.back'))), holder);
  const refresh = async () => {
    let i;
    try { i = await get(`/api/instances/${enc(instanceId)}`); } catch (e) { clear(holder, failure(e, t('instances.title'))); return; }
    const act = (label, path, confirmText) => h('button', { type: 'button', id: `instance-${path}`, class: path === 'terminate' ? 'danger' : undefined, onclick: () => {
      const run = async () => {
        try {
          await post(`/api/instances/${enc(instanceId)}/${path}`);
          announce(t('instances.done', { action: label }));
          // The instance applies the control between two of its own steps: show it once it has.
          for (let n = 0; n < 40 && (await get(`/api/instances/${enc(instanceId)}`)).status === i.status; n++) await new Promise((r) => setTimeout(r, 250));
          await refresh();
        }
        catch (e) { announce(e.message, true); }
      };
      if (!confirmText) { run(); return; }
      const dlg = openDialog(label, h('div', {}, h('p', {}, confirmText), h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'danger', onclick: () => { dlg.close(); run(); } }, label),
        h('button', { type: 'button', onclick: () => dlg.close() }, t('common.cancel')))));
    } }, label);
    const field = (label, value) => [h('dt', {}, label), h('dd', {}, value ?? '—')];
    clear(holder,
      h('section', { class: 'panel' }, h('h2', {}, instanceId),
        h('dl', { class: 'profile' },
          field(t('instances.journey'), `${i.journeyId} v${i.version}`), field(t('instances.customer'), h('a', { href: `#/customers/${enc(i.customerId)}` }, i.customerId)),
          field(t('instances.status'), badge(t(`status.${i.status}`), i.status.toLowerCase())), field(t('instances.step'), i.currentStep),
          field(t('instances.waitingFor'), i.waitingForEvent), field(t('instances.timer'), i.pendingTimer ? `${formatTime(i.pendingTimer.dueAt)} (${i.pendingTimer.purpose})` : null),
          field(t('instances.outcome'), i.outcome), field(t('instances.holdout'), i.holdout ? t('common.yes') : t('common.no')),
          field(t('instances.converted'), i.converted ? t('common.yes') : t('common.no'))),
        session.canOperate ? h('div', { class: 'actions', style: undefined },
          i.status === 'Suspended' ? act(t('instances.resume'), 'resume') : null,
          ['Waiting', 'Running', 'Pending'].includes(i.status) ? act(t('instances.suspend'), 'suspend') : null,
          !['Completed', 'Exited', 'Terminated', 'Failed'].includes(i.status) ? act(t('instances.terminate'), 'terminate', t('instances.confirmTerminate', { id: instanceId })) : null,
          i.status === 'Failed' ? act(t('instances.restart'), 'restart', t('instances.confirmRestart', { id: instanceId })) : null) : null),
      i.failure ? h('section', { class: 'panel', id: 'instance-failure' }, h('h2', {}, t('instances.failure')),
        h('dl', { class: 'profile' },
          field(t('instances.step'), i.failure.stepId), field(t('instances.failureInput'), i.failure.input),
          field(t('instances.failureActivity'), i.failure.activity), field(t('instances.failureType'), h('code', {}, i.failure.exceptionType)),
          field(t('instances.failureMessage'), i.failure.message), field(t('instances.failureAt'), formatTime(i.failure.at)))) : null,
      session.canOperate ? raiseForm(instanceId, refresh) : null,
      h('h2', {}, t('instances.history')),
      table(t('instances.history'), [t('timeline.at'), t('timeline.kind'), t('instances.step'), t('timeline.what')],
        i.history.map(e => h('tr', {}, h('td', {}, formatTime(e.at)), h('td', {}, e.kind), h('td', { class: 'mono' }, e.stepId ?? ''), h('td', {}, e.detail)))));
  };
  await refresh();
}

function raiseForm(instanceId, refresh) {
  const name = h('input', { id: 'raise-name', placeholder: 'survey.answered', required: true });
  const data = h('textarea', { id: 'raise-data', rows: 2, cols: 50, class: 'mono', placeholder: '{}' });
  return h('form', { class: 'panel row', onsubmit: async e => {
    e.preventDefault();
    try {
      await post(`/api/instances/${enc(instanceId)}/events/${enc(name.value.trim())}`, parseJsonField(data.value, t('simulate.data')) ?? {});
      announce(t('instances.raised', { name: name.value }));
      setTimeout(refresh, 800);
    } catch (err) { announce(err.message, true); }
  } }, h('label', { for: 'raise-name' }, t('instances.eventName'), name), h('label', { for: 'raise-data' }, t('simulate.data'), data),
  h('button', { type: 'submit' }, t('instances.raise')));
}
