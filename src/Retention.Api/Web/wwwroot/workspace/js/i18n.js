// UI strings from i18n/<lang>.json. zh-CN when the browser prefers Chinese (or the user chose it), English otherwise.
const supported = ['zh-CN', 'en'];
let dictionary = {};
let fallback = {};
let current = 'en';

export function preferredLanguage() {
  const chosen = localStorage.getItem('retention.lang');
  if (supported.includes(chosen)) return chosen;
  const languages = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const lang of languages) {
    const lower = String(lang).toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export async function loadLanguage(lang) {
  current = supported.includes(lang) ? lang : 'en';
  const [own, english] = await Promise.all([fetchDictionary(current), current === 'en' ? null : fetchDictionary('en')]);
  dictionary = own;
  fallback = english ?? own;
  document.documentElement.lang = current;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}

async function fetchDictionary(lang) {
  const response = await fetch(`i18n/${lang}.json`, { cache: 'no-cache' });
  return response.json();
}

export function chooseLanguage(lang) {
  localStorage.setItem('retention.lang', lang);
}

export function language() { return current; }

/** The string for a key, with {name} placeholders filled in. A missing key shows itself, so it is noticed. */
export function t(key, vars = {}) {
  const text = dictionary[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? `{${name}}`));
}
