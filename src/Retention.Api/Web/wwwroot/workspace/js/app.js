// The workspace shell: sign-in, language, navigation by URL hash, and the page modules.
import { api, apiKey, ApiError } from './api.js';
import { h, clear } from './dom.js';
import { t, loadLanguage, preferredLanguage, chooseLanguage, language } from './i18n.js';
import { session } from './session.js';
import { announce } from './common.js';

const pages = {
  journeys: () => import('./pages/journeys.js'),
  editor: () => import('./pages/editor.js'),
  simulate: () => import('./pages/simulate.js'),
  customers: () => import('./pages/customers.js'),
  imports: () => import('./pages/imports.js'),
  instances: () => import('./pages/instances.js'),
  tasks: () => import('./pages/tasks.js'),
  complaints: () => import('./pages/complaints.js'),
  reports: () => import('./pages/reports.js'),
  reference: () => import('./pages/reference.js'),
};

const main = document.getElementById('main');
let renderId = 0;

async function start() {
  const langSelect = document.getElementById('lang');
  await loadLanguage(preferredLanguage());
  langSelect.value = language();
  langSelect.addEventListener('change', async () => {
    chooseLanguage(langSelect.value);
    await loadLanguage(langSelect.value);
    await route();
  });
  document.getElementById('signout').addEventListener('click', () => {
    apiKey.clear();
    session.clear();
    location.hash = '#/journeys';
    route();
  });
  window.addEventListener('hashchange', () => route(true));
  await route();
}

async function signedIn() {
  if (session.roles) return true;
  if (!apiKey.get()) return false;
  try {
    const me = await api('GET', '/api/session');
    session.set(me);
    return true;
  } catch (e) {
    apiKey.clear();
    if (e instanceof ApiError && e.status === 401) announce(t('signin.rejected'), true);
    return false;
  }
}

function renderSignIn() {
  document.getElementById('nav').hidden = true;
  document.getElementById('signout').hidden = true;
  document.getElementById('who').textContent = '';
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true });
  const form = h('form', { class: 'panel signin', onsubmit: async event => {
    event.preventDefault();
    apiKey.set(input.value.trim());
    if (await signedIn()) { announce(''); await route(); } else { input.focus(); }
  } },
  h('h1', {}, t('signin.title')),
  h('p', { class: 'hint' }, t('signin.hint')),
  h('label', { for: 'api-key' }, t('signin.key'), input),
  h('p', {}, h('button', { type: 'submit', class: 'primary' }, t('signin.submit'))));
  clear(main, form);
  input.focus();
}

async function route(fromNavigation = false) {
  const id = ++renderId;
  if (!(await signedIn())) { renderSignIn(); return; }
  document.getElementById('nav').hidden = false;
  document.getElementById('signout').hidden = false;
  document.getElementById('who').textContent = t('app.signedInAs', { name: session.name, roles: session.roles.join(', ') });
  const [, name = 'journeys', ...rest] = (location.hash || '#/journeys').split('/');
  const params = rest.map(decodeURIComponent);
  for (const link of document.querySelectorAll('#nav a')) {
    const target = link.getAttribute('href').split('/')[1];
    if (target === (name === 'editor' ? 'journeys' : name)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const load = pages[name] ?? pages.journeys;
  if (fromNavigation) announce('');
  const module = await load();
  if (id !== renderId) return;
  clear(main);
  try {
    await module.render(main, params);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { apiKey.clear(); session.clear(); renderSignIn(); return; }
    main.append(h('p', { class: 'error', role: 'alert' }, e.message));
  }
  document.title = `${main.querySelector('h1')?.textContent ?? ''} · ${t('app.title')}`;
  if (fromNavigation) main.focus();
}

start();
