// Versioned data journeys read besides their definitions: the business calendars and the staff directory. Each shows
// its latest version (what new instances pin), every version and the draft; editors import a draft, publishers publish it.
import { get, post } from '../api.js';
import { h, clear, table, formatTime } from '../dom.js';
import { t } from '../i18n.js';
import { session } from '../session.js';
import { failure, announce, parseJsonField } from '../common.js';

const kinds = [
  { kind: 'calendars', path: '/api/calendars' },
  { kind: 'staff', path: '/api/staff' },
];

export async function render(main) {
  main.append(h('h1', {}, t('reference.title')), h('p', { class: 'hint' }, t('reference.hint')));
  for (const { kind, path } of kinds) {
    const section = h('section', { class: 'panel', id: `reference-${kind}`, 'aria-labelledby': `reference-${kind}-title` });
    main.append(section);
    await renderKind(section, kind, path);
  }
}

async function renderKind(section, kind, path) {
  const reload = () => renderKind(section, kind, path);
  const title = h('h2', { id: `reference-${kind}-title` }, t(`reference.${kind}`));
  let data;
  try { data = await get(path); } catch (e) { clear(section, title, failure(e, t(`reference.${kind}`))); return; }
  const versions = data.versions.length
    ? table(t(`reference.${kind}`), [t('reference.version'), t('reference.publishedAt'), t('reference.publishedBy')],
      data.versions.map(v => h('tr', { dataset: { version: v.version } },
        h('td', {}, v.version === data.latestVersion ? `${v.version} · ${t('reference.latest')}` : String(v.version)),
        h('td', {}, formatTime(v.publishedAt)), h('td', {}, v.publishedBy))))
    : h('p', { class: 'muted' }, t('common.none'));
  const latest = h('details', {}, h('summary', {}, t('reference.latestDocument', { version: data.latestVersion })),
    h('pre', { class: 'json' }, JSON.stringify(data.latest, null, 2)));
  const draft = data.draft
    ? h('div', { class: 'draft' }, h('p', {}, t('reference.draft', { savedBy: data.draft.savedBy, savedAt: formatTime(data.draft.savedAt) })),
      session.canPublish ? h('button', { type: 'button', class: 'primary', id: `publish-${kind}`, onclick: async () => {
        try { const done = await post(`${path}/publish`); announce(t('reference.published', { version: done.version })); await reload(); }
        catch (e) { section.append(failure(e, t('reference.publish'))); }
      } }, t('reference.publish')) : null)
    : null;
  clear(section, title, h('p', { class: 'muted' }, t('reference.pinned')), versions, latest, draft, session.canEdit ? importForm(kind, path, data, reload) : null);
}

function importForm(kind, path, data, reload) {
  const id = `import-${kind}`;
  const text = h('textarea', { id, rows: 12, spellcheck: false, class: 'json' }, JSON.stringify(data.draft?.document ?? data.latest, null, 2));
  const errors = h('div');
  return h('form', { onsubmit: async e => {
    e.preventDefault();
    try {
      await post(`${path}/import`, parseJsonField(text.value, t('reference.document')) ?? {});
      announce(t('reference.saved'));
      await reload();
    } catch (err) { clear(errors, failure(err, t('reference.import'))); }
  } }, h('label', { for: id }, t('reference.importLabel'), text), errors,
  h('p', {}, h('button', { type: 'submit', id: `save-${kind}` }, t('reference.import'))));
}
