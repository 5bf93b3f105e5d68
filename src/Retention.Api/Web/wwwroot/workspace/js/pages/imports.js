// Customer imports: upload an NDJSON or CSV file (editors, publishers, operators), follow its progress while it runs
// (lines read, rows stored, bad rows by line and field) and read the finished result; the latest imports, newest first.
import { get, upload, enc } from '../api.js';
import { h, clear, table, badge, formatTime } from '../dom.js';
import { t } from '../i18n.js';
import { session } from '../session.js';
import { failure, announce } from '../common.js';

/** How often a running import's progress is read again. */
const pollMs = 1000;

export async function render(main, [importId]) {
  main.append(h('h1', {}, t('imports.title')), h('p', { class: 'hint' }, t('imports.hint')));
  if (session.canImport) main.append(uploadForm());
  const detail = h('section', { class: 'panel', id: 'import-progress', 'aria-labelledby': 'import-progress-title', hidden: !importId });
  const list = h('section', { class: 'panel', id: 'import-list', 'aria-labelledby': 'import-list-title' });
  main.append(detail, list);
  if (importId) await follow(detail, importId, () => renderList(list));
  await renderList(list);
}

function uploadForm() {
  const file = h('input', { id: 'import-file', type: 'file', accept: '.ndjson,.jsonl,.csv,application/x-ndjson,text/csv', required: true });
  const errors = h('div');
  const button = h('button', { type: 'submit', class: 'primary', id: 'import-upload' }, t('imports.upload'));
  return h('form', { class: 'panel', id: 'import-form', onsubmit: async e => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    button.disabled = true;
    clear(errors);
    try {
      const contentType = /\.csv$/i.test(chosen.name) || chosen.type === 'text/csv' ? 'text/csv' : 'application/x-ndjson';
      const accepted = await upload('/api/customers/imports', chosen, contentType);
      announce(t('imports.uploaded', { name: chosen.name }));
      location.hash = `#/imports/${enc(accepted.id)}`;
    } catch (err) { clear(errors, failure(err, t('imports.upload'))); }
    finally { button.disabled = false; }
  } },
  h('h2', {}, t('imports.new')),
  h('label', { for: 'import-file' }, t('imports.file'), file),
  h('p', { class: 'hint' }, t('imports.fileHint')),
  errors, h('p', {}, button));
}

/** Shows one import and reads it again every second while it runs; stops once it is done or the page is left. */
async function follow(section, importId, finished) {
  let import_;
  try { import_ = await get(`/api/customers/imports/${enc(importId)}`); } catch (e) { clear(section, failure(e, t('imports.title'))); section.hidden = false; return; }
  show(section, import_);
  if (import_.status !== 'running') return;
  setTimeout(async () => {
    if (!section.isConnected) return;
    await follow(section, importId, finished);
    if (section.isConnected && section.dataset.status !== 'running') await finished();
  }, pollMs);
}

function show(section, i) {
  section.hidden = false;
  section.dataset.status = i.status;
  const done = i.status !== 'running';
  const count = (id, label, value) => [h('dt', {}, label), h('dd', { id }, String(value))];
  clear(section,
    h('h2', { id: 'import-progress-title' }, t('imports.progressOf', { id: i.id.slice(0, 12) })),
    h('p', {}, badge(t(`imports.status.${i.status}`), i.status), ' ', t('imports.format', { format: i.format }), ' · ', formatTime(i.createdAt)),
    h('progress', { id: 'import-bar', max: Math.max(i.lines, 1), value: i.linesRead, 'aria-label': t('imports.linesRead') }),
    h('dl', { class: 'profile' },
      count('import-lines-read', t('imports.linesRead'), t('imports.ofLines', { read: i.linesRead, lines: i.lines })),
      count('import-accepted', t('imports.accepted'), i.accepted),
      count('import-rejected', t('imports.rejected'), i.rejected)),
    done ? h('p', { id: 'import-result', role: 'status' }, t('imports.result', { accepted: i.accepted, rejected: i.rejected })) : null,
    i.errors.length
      ? [h('h3', {}, t('imports.badRows')),
        table(t('imports.badRows'), [{ label: t('imports.line'), num: true }, t('imports.field'), t('imports.message')], i.errors.map(e => {
          const [, line, ...field] = e.path.split('/').slice(1);
          return h('tr', { dataset: { line } }, h('td', { class: 'num' }, line ?? '—'), h('td', {}, h('code', {}, field.join('/') || '—')), h('td', {}, e.message));
        })),
        i.rejected > i.errors.length ? h('p', { class: 'muted' }, t('imports.moreErrors', { shown: i.errors.length, rejected: i.rejected })) : null]
      : null);
}

async function renderList(section, continuationToken, rows = []) {
  const title = h('h2', { id: 'import-list-title' }, t('imports.latest'));
  let page;
  try { page = await get(`/api/customers/imports?pageSize=20${continuationToken ? `&continuationToken=${enc(continuationToken)}` : ''}`); }
  catch (e) { clear(section, title, failure(e, t('imports.latest'))); return; }
  rows.push(...page.items.map(i => h('tr', { dataset: { import: i.id, status: i.status } },
    h('td', {}, h('a', { href: `#/imports/${enc(i.id)}` }, formatTime(i.createdAt))),
    h('td', {}, i.format),
    h('td', {}, badge(t(`imports.status.${i.status}`), i.status)),
    h('td', { class: 'num' }, t('imports.ofLines', { read: i.linesRead, lines: i.lines })),
    h('td', { class: 'num' }, String(i.accepted)),
    h('td', { class: 'num' }, String(i.rejected)))));
  clear(section, title,
    rows.length
      ? table(t('imports.latest'), [t('imports.createdAt'), t('imports.formatColumn'), t('imports.statusColumn'), { label: t('imports.linesRead'), num: true },
        { label: t('imports.accepted'), num: true }, { label: t('imports.rejected'), num: true }], rows)
      : h('p', { class: 'muted' }, t('common.none')),
    page.continuationToken ? h('p', {}, h('button', { type: 'button', onclick: () => renderList(section, page.continuationToken, rows) }, t('common.more'))) : null);
}
