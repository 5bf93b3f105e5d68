// Journeys: each with its state, version and counts; pause and resume for publishers.
import { get, post, enc } from '../api.js';
import { h, table, badge, formatTime } from '../dom.js';
import { t } from '../i18n.js';
import { session } from '../session.js';
import { failure, announce } from '../common.js';

export async function render(main) {
  main.append(h('h1', {}, t('journeys.title')));
  if (session.canEdit) {
    const newId = h('input', { id: 'new-journey-id', pattern: '[a-z0-9][a-z0-9-]*', placeholder: 'my-new-journey' });
    main.append(h('form', { class: 'row', onsubmit: e => { e.preventDefault(); if (newId.value) location.hash = `#/editor/${enc(newId.value)}/new`; } },
      h('label', { for: 'new-journey-id' }, t('journeys.newId'), newId),
      h('button', { type: 'submit' }, t('journeys.new'))));
  }
  const holder = h('div');
  main.append(holder);
  await load(holder);
}

function state(j) {
  if (j.paused) return 'paused';
  return (j.activeVersion ?? 0) > 0 ? 'active' : 'draft';
}

async function load(holder) {
  let journeys;
  try { journeys = await get('/api/journeys'); } catch (e) { holder.replaceChildren(failure(e, t('journeys.title'))); return; }
  const rows = journeys.map(j => {
    const counts = j.counts ?? {};
    const s = state(j);
    const toggle = session.canPublish && s !== 'draft'
      ? h('button', { type: 'button', onclick: async () => {
        try { await post(`/api/journeys/${enc(j.id)}/${j.paused ? 'resume' : 'pause'}`); announce(t(j.paused ? 'journeys.resumed' : 'journeys.paused', { id: j.id })); await load(holder); }
        catch (e) { holder.prepend(failure(e, t('journeys.pause'))); }
      } }, j.paused ? t('journeys.resume') : t('journeys.pause'))
      : null;
    return h('tr', { dataset: { journey: j.id } },
      h('td', {}, h('a', { href: `#/editor/${enc(j.id)}` }, j.name ?? j.id), h('div', { class: 'muted mono' }, j.id)),
      h('td', {}, badge(t(`state.${s}`), s), j.hasDraft ? [' ', badge(t('journeys.hasDraft'), 'draft')] : null),
      h('td', { class: 'num' }, j.activeVersion || '—'),
      h('td', {}, j.trigger ?? ''),
      h('td', { class: 'num' }, counts.entries ?? '—'),
      h('td', { class: 'num' }, counts.active ?? '—'),
      h('td', { class: 'num' }, counts.converted ?? '—'),
      h('td', {}, formatTime(j.publishedAt)),
      h('td', {}, h('div', { class: 'actions' },
        h('a', { class: 'button', href: `#/editor/${enc(j.id)}` }, t('journeys.edit')),
        h('a', { class: 'button', href: `#/simulate/${enc(j.id)}` }, t('journeys.simulate')),
        h('a', { class: 'button', href: `#/reports/${enc(j.id)}` }, t('journeys.report')),
        toggle)));
  });
  holder.replaceChildren(
    journeys.some(j => j.counts) ? '' : h('p', { class: 'hint' }, t('journeys.noCounts')),
    table(t('journeys.title'), [t('journeys.name'), t('journeys.state'), { label: t('journeys.version'), num: true }, t('journeys.trigger'),
      { label: t('journeys.entries'), num: true }, { label: t('journeys.active'), num: true }, { label: t('journeys.converted'), num: true },
      t('journeys.published'), t('common.actions')], rows, { reflow: true }));
}
