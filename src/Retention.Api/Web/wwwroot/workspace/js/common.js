// Pieces several pages share.
import { h, clear } from './dom.js';
import { t } from './i18n.js';
import { ApiError } from './api.js';

/** The notice shown where an endpoint this page needs does not exist on this server yet. */
export function unavailable(feature) {
  return h('p', { class: 'notice unavailable', role: 'note', dataset: { unavailable: feature } }, t('common.notAvailable', { feature }));
}

/** Renders an API failure: "not available" for a missing endpoint, the problem's message and field errors otherwise. */
export function failure(error, feature) {
  if (error instanceof ApiError && error.notAvailable) return unavailable(feature);
  return h('div', { class: 'error', role: 'alert' },
    h('p', {}, error.message),
    error.errors?.length ? h('ul', {}, error.errors.map(e => h('li', {}, h('code', {}, e.path || '/'), ' ', e.message))) : null);
}

export function parseJsonField(text, field) {
  if (!text.trim()) return undefined;
  try { return JSON.parse(text); } catch (e) { throw new Error(t('common.badJson', { field, message: e.message })); }
}

/** Shows a status line in the polite live region. */
export function announce(text, isError = false) {
  clear(document.getElementById('status'), text ? h('p', { class: isError ? 'error' : '' }, text) : null);
}
