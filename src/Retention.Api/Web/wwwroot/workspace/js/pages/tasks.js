// Staff tasks: an inbox per owner or role, with complete and reassign for operators.
import { get, post, enc } from '../api.js';
import { h, clear, table, badge, formatTime } from '../dom.js';
import { t } from '../i18n.js';
import { session } from '../session.js';
import { failure, announce } from '../common.js';
import { openDialog } from '../dialog.js';

export async function render(main) {
  main.append(h('h1', {}, t('tasks.title')));
  const saved = new URLSearchParams(sessionStorage.getItem('retention.tasks.filter') ?? 'kind=role&who=&status=open');
  const kind = h('select', { id: 'task-kind' }, ['owner', 'role'].map(k => h('option', { value: k, selected: saved.get('kind') === k }, t(`tasks.by.${k}`))));
  const who = h('input', { id: 'task-who', value: saved.get('who') ?? '', required: true, placeholder: 'am-7 / complaints-supervisor' });
  const status = h('select', { id: 'task-status' }, ['open', 'completed', ''].map(s => h('option', { value: s, selected: saved.get('status') === s }, s ? t(`tasks.status.${s}`) : t('common.all'))));
  const list = h('div', { id: 'task-list' });
  // The inbox comes a page at a time; "More" follows the continuation token and adds the next page to those shown.
  let tasks = [], token = null;
  const load = async (more = false) => {
    if (!who.value.trim()) return;
    sessionStorage.setItem('retention.tasks.filter', new URLSearchParams({ kind: kind.value, who: who.value.trim(), status: status.value }).toString());
    const query = new URLSearchParams({ assignee: `${kind.value}:${who.value.trim()}` });
    if (status.value) query.set('status', status.value);
    if (more && token) query.set('continuationToken', token);
    let page;
    try { page = await get(`/api/tasks?${query}`); } catch (e) { clear(list, failure(e, t('tasks.title'))); return; }
    tasks = more ? [...tasks, ...page.items] : page.items;
    token = page.continuationToken;
    const moreButton = token ? h('p', {}, h('button', { type: 'button', id: 'more', onclick: () => load(true) }, t('common.more'))) : null;
    if (!tasks.length) { clear(list, h('p', { class: 'muted' }, t('common.none')), moreButton); return; }
    clear(list, table(t('tasks.title'), [t('tasks.what'), t('tasks.customer'), t('tasks.due'), t('tasks.statusLabel'), t('common.actions')],
      tasks.map(task => h('tr', { dataset: { task: task.id } },
        h('td', {}, h('strong', {}, task.title), h('div', { class: 'muted' }, `${task.kind} · ${task.journeyId}`)),
        h('td', {}, h('a', { href: `#/customers/${enc(task.customerId)}` }, task.customerId)),
        h('td', { class: new Date(task.dueAt) < new Date() && task.status === 'open' ? 'error' : undefined }, formatTime(task.dueAt)),
        h('td', {}, badge(t(`tasks.status.${task.status}`), task.status === 'open' ? 'waiting' : 'completed'), task.outcome ? ` ${task.outcome}` : ''),
        h('td', {}, session.canOperate && task.status === 'open' ? h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'primary', onclick: () => complete(task, load) }, t('tasks.complete')),
          h('button', { type: 'button', onclick: () => reassign(task, load) }, t('tasks.reassign'))) : '')))), moreButton);
  };
  main.append(h('form', { class: 'row', role: 'search', onsubmit: e => { e.preventDefault(); load(); } },
    h('label', { for: 'task-kind' }, t('tasks.assigneeKind'), kind), h('label', { for: 'task-who' }, t('tasks.assignee'), who),
    h('label', { for: 'task-status' }, t('tasks.statusLabel'), status), h('button', { type: 'submit', class: 'primary', id: 'show-tasks' }, t('tasks.show'))), list);
  await load();
}

function complete(task, reload) {
  const outcome = h('input', { id: 'task-outcome', autofocus: true });
  const errors = h('div');
  const dlg = openDialog(t('tasks.completeTitle', { title: task.title }), h('form', { onsubmit: async e => {
    e.preventDefault();
    try { await post(`/api/tasks/${enc(task.id)}/complete`, { outcome: outcome.value || null }); dlg.close(); announce(t('tasks.completed', { title: task.title })); await reload(); }
    catch (err) { clear(errors, failure(err, t('tasks.complete'))); }
  } }, h('label', { for: 'task-outcome' }, t('tasks.outcome'), outcome), errors,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'confirm-complete' }, t('tasks.complete')),
    h('button', { type: 'button', onclick: () => dlg.close() }, t('common.cancel')))));
}

function reassign(task, reload) {
  const kind = h('select', { id: 'reassign-kind' }, ['owner', 'role'].map(k => h('option', { value: k }, t(`tasks.by.${k}`))));
  const who = h('input', { id: 'reassign-who', required: true });
  const errors = h('div');
  const dlg = openDialog(t('tasks.reassignTitle', { title: task.title }), h('form', { onsubmit: async e => {
    e.preventDefault();
    const body = kind.value === 'owner' ? { ownerId: who.value.trim() } : { role: who.value.trim() };
    try { await post(`/api/tasks/${enc(task.id)}/reassign`, body); dlg.close(); announce(t('tasks.reassigned', { title: task.title })); await reload(); }
    catch (err) { clear(errors, failure(err, t('tasks.reassign'))); }
  } }, h('div', { class: 'row' }, h('label', { for: 'reassign-kind' }, t('tasks.assigneeKind'), kind), h('label', { for: 'reassign-who' }, t('tasks.assignee'), who)), errors,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('tasks.reassign')), h('button', { type: 'button', onclick: () => dlg.close() }, t('common.cancel')))));
}
