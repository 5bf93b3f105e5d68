import { h } from './dom.js';

const focusable = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog: focus moves into it and stays there (Tab wraps), Escape closes it, and focus returns to where it was.
 * Returns { element, close }. onClose runs once when it closes.
 */
export function openDialog(title, content, { onClose } = {}) {
  const opener = document.activeElement;
  const titleId = `dialog-${Math.random().toString(36).slice(2)}`;
  const box = h('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, title), content);
  const backdrop = h('div', { class: 'backdrop' }, box);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    backdrop.remove();
    document.removeEventListener('keydown', onKey, true);
    onClose?.();
    if (opener instanceof HTMLElement) opener.focus();
  };
  const onKey = event => {
    if (event.key === 'Escape') { event.preventDefault(); close(); return; }
    if (event.key !== 'Tab') return;
    const items = [...box.querySelectorAll(focusable)].filter(el => el.offsetParent !== null);
    if (items.length === 0) { event.preventDefault(); return; }
    const first = items[0], last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || !box.contains(document.activeElement))) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && (document.activeElement === last || !box.contains(document.activeElement))) { event.preventDefault(); first.focus(); }
  };
  document.addEventListener('keydown', onKey, true);
  backdrop.addEventListener('mousedown', event => { if (event.target === backdrop) close(); });
  document.body.append(backdrop);
  (box.querySelector('[autofocus]') ?? box.querySelector(focusable) ?? box).focus();
  return { element: box, close };
}
