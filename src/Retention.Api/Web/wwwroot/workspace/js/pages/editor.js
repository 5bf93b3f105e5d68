// The journey editor: a form for the step chosen on the flow graph (or the journey's settings) and, one click away, the
// same draft as JSON with line numbers; validated as it changes, with undo/redo, kept in session storage until saved.
import { api, get, post, put, enc, ApiError } from '../api.js';
import { h, clear, debounce } from '../dom.js';
import { t } from '../i18n.js';
import { session } from '../session.js';
import { failure, announce, unavailable } from '../common.js';
import { parseWithPositions, locate, lineOf, JsonSyntaxError } from '../jsonpos.js';
import { drawGraph } from '../graph.js';
import { openDialog } from '../dialog.js';
import { DefinitionForm, datalists, markErrors, newStep } from '../definitionform.js';
import { samples } from './simulate.js';

const LINE = 20; // px, as --line-height in app.css
let schemaPromise;
const schema = () => (schemaPromise ??= get('/api/journeys/schema').catch(() => null));

function skeleton(id) {
  return JSON.stringify({
    id, name: id, trigger: { type: 'event', event: 'sale.completed' }, entry: { policy: 'once' }, start: 'done',
    steps: [{ id: 'done', type: 'exit', outcome: 'done' }], templates: {},
  }, null, 2);
}

export async function render(main, [id, mode]) {
  main.append(h('h1', {}, t('editor.title', { id })));
  let detail = null;
  try { detail = await get(`/api/journeys/${enc(id)}`); } catch (e) {
    if (!(e instanceof ApiError && e.status === 404 && mode === 'new')) { main.append(failure(e, t('editor.title', { id }))); return; }
  }
  const original = detail?.draft?.definition ?? detail?.definition;
  const editor = new Editor(main, id, detail, original ? JSON.stringify(original, null, 2) : skeleton(id), await schema());
  await editor.start();
}

/** The root errors first; "unreachable" steps, which follow from a broken reference elsewhere, folded under them. */
function knockOn(error) { return /is unreachable from the start step$/.test(error.message ?? ''); }

class Editor {
  constructor(main, id, detail, text, schemaDoc) {
    this.main = main; this.id = id; this.detail = detail; this.savedText = detail?.draft ? text : null;
    this.schema = schemaDoc;
    this.seq = 0; this.parsed = null; this.errors = []; this.report = null; this.layout = null;
    this.storageKey = `retention.editor.${id}`;
    const unsaved = sessionStorage.getItem(this.storageKey);
    this.restored = unsaved !== null && unsaved !== text;
    this.history = new History(this.restored ? unsaved : text);
    this.textarea = h('textarea', { id: 'definition', spellcheck: false, wrap: 'off', 'aria-label': t('editor.definition'), 'aria-describedby': 'validation' });
    this.textarea.value = this.history.current;
    this.gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
    this.marks = h('div', { class: 'marks', 'aria-hidden': 'true' });
    this.validation = h('div', { id: 'validation', 'aria-live': 'polite' });
    this.hints = h('div', { class: 'hint', id: 'field-hints' });
    this.graph = h('div', { class: 'graph', id: 'graph' });
    // Escape in the form goes back to the step on the graph, where Enter brought the keyboard user from.
    this.formHolder = h('div', { id: 'form-holder', class: 'form-holder', onkeydown: e => {
      if (e.key !== 'Escape' || e.target.tagName === 'SELECT') return;
      const node = this.graph.querySelector('g.node.selected') ?? this.graph.querySelector('g.node.start');
      if (node) { e.preventDefault(); node.focus(); }
    } });
    this.saveState = h('span', { class: 'muted', id: 'save-state' });
    this.selected = null; // a step id, or null for the journey's settings
  }

  async start() {
    const toolbar = h('div', { class: 'row toolbar' });
    if (session.canEdit) {
      toolbar.append(h('button', { type: 'button', class: 'primary', id: 'save-draft', onclick: () => this.save() }, t('editor.save')));
      this.undoButton = h('button', { type: 'button', id: 'undo', 'aria-keyshortcuts': 'Control+Z', title: t('editor.undoKeys'), onclick: () => this.undo() }, t('editor.undo'));
      this.redoButton = h('button', { type: 'button', id: 'redo', 'aria-keyshortcuts': 'Control+Shift+Z', title: t('editor.redoKeys'), onclick: () => this.redo() }, t('editor.redo'));
      toolbar.append(this.undoButton, this.redoButton);
    }
    if (session.canPublish) toolbar.append(h('button', { type: 'button', id: 'publish', onclick: () => this.publish() }, t('editor.publish')));
    toolbar.append(h('button', { type: 'button', id: 'simulate-this', onclick: () => {
      sessionStorage.setItem('retention.simulate.definition', this.textarea.value);
      location.hash = `#/simulate/${enc(this.id)}/editor`;
    } }, t('editor.simulate')));
    const steps = this.schema?.$defs?.step?.properties?.type?.enum ?? [];
    if (steps.length && session.canEdit) {
      const pick = h('select', { id: 'step-type' }, steps.map(s => h('option', { value: s }, s)));
      toolbar.append(h('label', { for: 'step-type' }, t('editor.stepType'), pick),
        h('button', { type: 'button', id: 'insert-step', onclick: () => this.insertStep(pick.value) }, t('editor.insertStep')));
    }
    toolbar.append(this.saveState);
    if (this.detail?.draft) this.saveState.textContent = t('editor.draftFrom', { at: this.detail.draft.savedAt ?? '' });
    const restoredNote = this.restored ? h('p', { class: 'notice', id: 'restored' }, t('editor.restored'), ' ',
      h('button', { type: 'button', id: 'discard-unsaved', onclick: () => { sessionStorage.removeItem(this.storageKey); location.reload(); } }, t('editor.discard'))) : null;

    const code = h('div', { class: 'code' }, this.gutter, h('div', { class: 'surface' }, this.marks, this.textarea));
    this.formView = h('div', { id: 'form-view', role: 'region', 'aria-label': t('editor.formView') },
      h('div', { class: 'row' }, h('button', { type: 'button', id: 'edit-journey', onclick: () => this.select(null, true) }, t('editor.journeySettings')),
        h('span', { class: 'hint' }, t('editor.pickStep'))),
      this.formHolder, datalists());
    this.jsonView = h('div', { id: 'json-view', role: 'region', 'aria-label': t('editor.definition'), hidden: true }, code, this.hints);
    this.viewButtons = ['form', 'json'].map(v => h('button', { type: 'button', id: `view-${v}`, class: 'view-tab', 'aria-pressed': v === 'form' ? 'true' : 'false', 'aria-controls': `${v}-view`,
      onclick: () => this.showView(v) }, t(`editor.view.${v}`)));
    this.root = h('div', { class: 'editor' },
      restoredNote, toolbar, h('div', { class: 'editor-layout' },
        h('section', { 'aria-labelledby': 'definition-heading' },
          h('div', { class: 'view-switch' }, h('h2', { id: 'definition-heading' }, t('editor.edit')), h('div', { class: 'tabs', role: 'group', 'aria-label': t('editor.viewAs') }, this.viewButtons)),
          this.formView, this.jsonView, this.validation),
        h('section', { 'aria-labelledby': 'graph-heading' }, h('h2', { id: 'graph-heading' }, t('editor.graph')), this.graph)));
    this.main.append(this.root);
    // On the document, so the keys work wherever the focus is (an undo button just disabled leaves it on the body).
    const onKey = e => {
      if (!this.root.isConnected) { document.removeEventListener('keydown', onKey); return; }
      if (!document.querySelector('.backdrop')) this.onKey(e);
    };
    document.addEventListener('keydown', onKey);
    const validateSoon = debounce(() => this.validate(), 400);
    this.validateSoon = validateSoon;
    this.textarea.addEventListener('input', () => { this.textChanged({ key: 'json' }); });
    this.textarea.addEventListener('scroll', () => this.syncScroll());
    for (const ev of ['keyup', 'click']) this.textarea.addEventListener(ev, () => this.showHints());
    this.textarea.addEventListener('keydown', e => {
      // Tab indents inside the editor; Escape then Tab leaves it, so keyboard users are never trapped.
      if (e.key === 'Tab' && !e.shiftKey && !this.escaped) { e.preventDefault(); this.textarea.setRangeText('  ', this.textarea.selectionStart, this.textarea.selectionEnd, 'end'); this.textarea.dispatchEvent(new Event('input')); }
      this.escaped = e.key === 'Escape';
    });
    this.parse();
    this.renderGutter();
    this.renderForm();
    this.updateHistoryButtons();
    await this.validate();
  }

  showView(view) {
    for (const b of this.viewButtons) b.setAttribute('aria-pressed', b.id === `view-${view}` ? 'true' : 'false');
    this.formView.hidden = view !== 'form';
    this.jsonView.hidden = view !== 'json';
    if (view === 'form') { this.parse(); this.renderForm(); } else this.renderGutter();
  }

  get view() { return this.jsonView.hidden ? 'form' : 'json'; }

  /** Ctrl+Z undoes and Ctrl+Shift+Z (or Ctrl+Y) redoes, in the form and in the text alike: one history for both. Ctrl+S saves. */
  onKey(e) {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    const key = e.key.toLowerCase();
    if (key === 's' && session.canEdit) { e.preventDefault(); this.save(); }
    else if (key === 'z' && !e.shiftKey) { e.preventDefault(); this.undo(); }
    else if ((key === 'z' && e.shiftKey) || key === 'y') { e.preventDefault(); this.redo(); }
  }

  undo() { const text = this.history.undo(); if (text !== null) this.applyText(text); }
  redo() { const text = this.history.redo(); if (text !== null) this.applyText(text); }

  updateHistoryButtons() {
    if (this.undoButton) this.undoButton.disabled = !this.history.canUndo;
    if (this.redoButton) this.redoButton.disabled = !this.history.canRedo;
  }

  /** Shows a text from the history in both views. */
  applyText(text) {
    this.textarea.value = text;
    this.remember();
    this.parse();
    this.renderGutter();
    this.renderForm();
    this.updateHistoryButtons();
    this.validate();
  }

  /** The unsaved text is kept in this tab's session storage until it is saved, so a reload does not lose it. */
  remember() {
    if (this.textarea.value === this.savedText) sessionStorage.removeItem(this.storageKey);
    else sessionStorage.setItem(this.storageKey, this.textarea.value);
  }

  /** After the text was typed in: recorded for undo, kept for a reload, validated soon. */
  textChanged({ key } = {}) {
    // Until the server has read the new text, the last verdict is shown as pending, not as this text's.
    const state = this.validation.querySelector('#valid-state');
    if (state) state.className = 'pending';
    this.history.record(this.textarea.value, key);
    this.remember();
    this.updateHistoryButtons();
    this.renderGutter();
    this.validateSoon();
  }

  /** A change made in the form: applied to a copy of the definition, written as the text, recorded and validated. */
  change(mutate, { rerender = false, key, focus } = {}) {
    if (!this.parsed) { announce(t('editor.fixFirst'), true); return; }
    const doc = structuredClone(this.parsed);
    mutate(doc);
    this.textarea.value = JSON.stringify(doc, null, 2);
    this.parsed = doc;
    this.textChanged({ key });
    if (rerender) {
      // After the event that made the change has finished (a change event fires as focus moves on), so the focus
      // lands where the user moved it, in the form drawn again.
      setTimeout(() => {
        this.renderForm();
        const target = focus && this.formHolder.querySelector(`[data-path="${CSS.escape(focus)}"] :is(input, select, textarea, button)`);
        target?.focus();
      });
    }
    this.drawGraph(this.lastErrorSteps ?? new Set());
  }

  parse() {
    try {
      const parsed = parseWithPositions(this.textarea.value);
      this.parsed = parsed.value; this.spans = parsed.spans;
      return true;
    } catch (e) {
      if (!(e instanceof JsonSyntaxError)) throw e;
      return false;
    }
  }

  /** Chooses what the form shows: a step (by id) or the journey's settings (null); the graph marks it. */
  select(stepId, focusForm) {
    this.selected = stepId && (this.parsed?.steps ?? []).some(s => s?.id === stepId) ? stepId : null;
    if (this.view !== 'form') this.showView('form');
    else this.renderForm();
    this.drawGraph(this.lastErrorSteps ?? new Set());
    if (focusForm) this.formHolder.querySelector('input, select, textarea')?.focus();
  }

  renderForm() {
    if (this.formView.hidden) return;
    if (!this.parsed || typeof this.parsed !== 'object' || !this.schema) {
      clear(this.formHolder, h('p', { class: 'notice' }, t('editor.formNeedsJson')));
      return;
    }
    const form = new DefinitionForm({
      schema: this.schema, doc: this.parsed,
      change: (mutate, opts) => this.change(mutate, opts),
      select: (stepId, focus) => this.select(stepId, focus),
      templateInfo: (name, locale) => this.templateInfo(name, locale),
    });
    const n = (this.parsed.steps ?? []).findIndex(s => s?.id === this.selected);
    const controls = box => [...box.querySelectorAll('input, select, textarea, button')];
    const active = this.formHolder.contains(document.activeElement) ? document.activeElement.closest('[data-path]') : null;
    const keep = active && { path: active.dataset.path, index: controls(active).indexOf(document.activeElement) };
    clear(this.formHolder, n >= 0 ? form.step(n) : form.journey());
    // Drawn again, the form keeps the keyboard focus on the same control.
    if (keep) {
      const box = [...this.formHolder.querySelectorAll('[data-path]')].find(el => el.dataset.path === keep.path);
      if (box) controls(box)[keep.index]?.focus();
    }
    if (!session.canEdit) for (const el of this.formHolder.querySelectorAll('input, select, textarea, button')) el.disabled = true;
    markErrors(this.formHolder, this.errors.filter(e => e.path !== null));
    if (this.validText === this.textarea.value) this.previewTemplates();
  }

  /**
   * Renders each SMS text the form shows through the preview endpoint, with this draft and a sample customer of the
   * text's locale, so the segment count is the one a customer would get (a name or product filled in), as it is typed.
   */
  async previewTemplates() {
    const seq = this.seq;
    for (const el of this.formHolder.querySelectorAll('.preview[data-template]')) {
      const { template, locale } = el.dataset;
      const customer = Object.values(samples).find(c => c.locale === locale) ?? { ...samples['emma-clark'], locale };
      try {
        const preview = await post(`/api/journeys/${enc(this.id)}/templates/${enc(template)}/preview`, { channel: 'sms', customer, definition: this.parsed });
        if (seq !== this.seq || !el.isConnected) return;
        clear(el, h('span', { class: 'muted' }, t('form.preview', { name: customer.name, segments: preview.sms?.segments ?? '', encoding: preview.sms?.encoding ?? '' })), ' ',
          h('span', { class: 'preview-body', lang: preview.locale }, preview.body));
      } catch (e) {
        if (seq === this.seq && el.isConnected) clear(el);
      }
    }
  }

  /** The SMS segment count of a template's text as the server counted it in the last validation. */
  templateInfo(name, locale) {
    const sms = this.report?.sms?.find(s => s.template === name && s.locale === locale);
    return sms ? t('form.segments', { segments: sms.segments, encoding: sms.encoding ?? '', units: sms.units ?? '' }) : '';
  }

  renderGutter() {
    if (this.jsonView?.hidden) return;
    const lines = this.textarea.value.split('\n').length;
    const errorLines = new Set(this.errors.map(e => e.line));
    clear(this.gutter, Array.from({ length: lines }, (_, n) => h('div', { class: errorLines.has(n + 1) ? 'err' : undefined }, n + 1)));
    this.syncScroll();
  }

  syncScroll() {
    this.gutter.scrollTop = this.textarea.scrollTop;
    this.marks.style.transform = `translate(0, ${-this.textarea.scrollTop}px)`;
  }

  async validate() {
    const seq = ++this.seq;
    const text = this.textarea.value;
    if (!this.parse()) {
      let offset = 0;
      try { parseWithPositions(text); } catch (e) { offset = e.offset; this.syntax = e.message; }
      this.show([{ path: null, message: t('editor.syntax', { message: this.syntax }), offset, end: offset + 1 }], false);
      return;
    }
    const spans = this.spans;
    try {
      const report = await api('POST', '/api/journeys/validate', text);
      if (seq !== this.seq) return;
      this.report = report;
      this.show([], true, report);
    } catch (e) {
      if (seq !== this.seq) return;
      if (!(e instanceof ApiError) || e.status !== 400) { clear(this.validation, failure(e, t('editor.validate'))); return; }
      this.report = null;
      this.show((e.errors.length ? e.errors : [{ path: '', message: e.message }]).map(err => {
        const where = locate(spans, err.path);
        return { path: err.path, message: err.message, offset: where.offset, end: where.end, exact: where.exact };
      }), false);
    }
  }

  /** Lists the errors (root ones first), marks their lines and fields, and marks the steps they belong to in the graph. */
  show(errors, valid, report) {
    const text = this.textarea.value;
    this.errors = errors.map(e => ({ ...e, line: lineOf(text, e.offset), knockOn: knockOn(e) }));
    clear(this.marks, this.errors.map(e => h('div', { dataset: { line: e.line } })));
    for (const mark of this.marks.children) mark.style.top = `${(Number(mark.dataset.line) - 1) * LINE + 6}px`;
    this.renderGutter();
    const roots = this.errors.filter(e => !e.knockOn), folded = this.errors.filter(e => e.knockOn);
    // With a root error, the unreachable steps are its consequence; alone, they are the error.
    const primary = roots.length ? roots : folded, secondary = roots.length ? folded : [];
    const errorSteps = new Set(primary.map(e => this.stepAt(e.path)).filter(Boolean));
    this.unreachable = new Set(secondary.map(e => this.stepAt(e.path)).filter(Boolean));
    const item = e => h('li', {}, h('button', { type: 'button', class: 'error-item', dataset: { path: e.path ?? '', line: e.line, step: this.stepAt(e.path) ?? '' }, onclick: () => this.moveTo(e) },
      `${this.stepAt(e.path) ? `${t('editor.inStep', { step: this.stepAt(e.path) })} · ` : ''}${t('editor.line', { line: e.line })} · ${e.path ?? t('editor.syntaxShort')} — ${e.message}`));
    this.validText = valid ? text : null;
    if (valid) {
      const sms = report?.sms?.length ? ` ${t('editor.smsSegments', { list: report.sms.map(s => `${s.template}/${s.locale}: ${s.segments}`).join(', ') })}` : '';
      clear(this.validation, h('p', { class: 'valid', id: 'valid-state' }, t('editor.valid', { steps: report?.steps ?? '' }) + sms));
      for (const el of this.formHolder.querySelectorAll('.segments')) el.textContent = this.templateInfo(el.dataset.template, el.dataset.locale);
      this.previewTemplates();
    } else {
      clear(this.validation,
        h('p', { class: 'error', id: 'valid-state' }, secondary.length ? t('editor.invalidFolded', { count: primary.length, more: secondary.length }) : t('editor.invalid', { count: primary.length })),
        h('ul', { class: 'errors', id: 'root-errors', 'aria-label': t('editor.errors') }, primary.map(item)),
        secondary.length ? h('details', { class: 'knock-on', id: 'knock-on' }, h('summary', {}, t('editor.knockOn', { count: secondary.length })),
          h('ul', { class: 'errors' }, secondary.map(item))) : null);
    }
    markErrors(this.formHolder, this.errors.filter(e => e.path !== null));
    this.drawGraph(errorSteps);
  }

  /** The step id a JSON Pointer such as /steps/3/next falls in; for a template's text, the first step that sends it. */
  stepAt(path) {
    const m = /^\/steps\/(\d+)/.exec(path ?? '');
    if (m) return this.parsed?.steps?.[Number(m[1])]?.id ?? null;
    const template = /^\/templates\/([^/]+)/.exec(path ?? '')?.[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
    return template ? this.parsed?.steps?.find(s => s?.type === 'send' && s.template === template)?.id ?? null : null;
  }

  /**
   * Draws the graph. While the definition is valid its layout is remembered; while it is not, the steps keep the rows
   * of the last valid layout, so one broken reference marks its step instead of re-laying the graph out.
   */
  drawGraph(errorSteps, focusStep = null) {
    this.lastErrorSteps = errorSteps;
    if (!this.parsed) return;
    const valid = this.validText === this.textarea.value; // validated as it is now, not merely changed since
    const svg = drawGraph(this.parsed, { errorSteps, focusStep, selected: this.selected, keep: valid ? null : this.layout, onSelect: stepId => {
      if (this.view === 'form') { this.select(stepId, true); return; }
      // In the JSON view a chosen step is shown in the text.
      this.selected = stepId;
      const n = (this.parsed?.steps ?? []).findIndex(s => s?.id === stepId);
      const span = this.spans?.get(`/steps/${n}`);
      if (span) this.moveTo({ offset: span.start, end: span.start + 1, path: `/steps/${n}` });
    } });
    if (valid) this.layout = svg.layout;
    for (const id of this.unreachable ?? []) svg.querySelector(`g.node[data-step="${CSS.escape(id)}"]`)?.classList.add('unreachable');
    const hadFocus = this.graph.contains(document.activeElement) ? document.activeElement.dataset?.step : null;
    clear(this.graph, svg);
    if (hadFocus) svg.querySelector(`g.node[data-step="${CSS.escape(hadFocus)}"]`)?.focus();
    this.keepInView(this.graph.querySelector(focusStep ? 'g.node.focus' : this.selected ? 'g.node.selected' : 'g.node.start'));
  }

  /**
   * After a re-layout (a typo moves steps about), scrolls the graph so the start step, or the step in focus, is in
   * view. The offsets are always written back: the browser would otherwise restore the offset it had before the
   * graph was replaced, which can leave the start step out of view.
   */
  keepInView(node) {
    if (!node) return;
    const box = node.getBoundingClientRect(), frame = this.graph.getBoundingClientRect();
    let top = this.graph.scrollTop, left = this.graph.scrollLeft;
    if (box.top < frame.top || box.bottom > frame.bottom) top += box.top - frame.top - 16;
    if (box.left < frame.left || box.right > frame.right) left += box.left - frame.left - 16;
    this.graph.scrollTop = Math.max(0, top);
    this.graph.scrollLeft = Math.max(0, left);
  }

  /** Goes to an error: in the JSON view to its line, in the form to its step and field. */
  moveTo(error) {
    const step = this.stepAt(error.path);
    if (this.view === 'form' && error.path !== null) {
      this.selected = step;
      this.renderForm();
      this.drawGraph(this.lastErrorSteps ?? new Set(), step);
      const field = this.formHolder.querySelector('.has-error');
      (field?.querySelector('input, select, textarea') ?? this.formHolder.querySelector('input, select, textarea'))?.focus();
      return;
    }
    if (this.view !== 'json') this.showView('json');
    const ta = this.textarea;
    ta.focus();
    ta.setSelectionRange(error.offset, Math.max(error.offset, Math.min(error.end ?? error.offset, error.offset + 200)));
    const line = lineOf(ta.value, error.offset);
    ta.scrollTop = Math.max(0, (line - 4) * LINE);
    this.syncScroll();
    this.drawGraph(this.lastErrorSteps ?? new Set(), step);
    this.showHints();
  }

  /** The fields the step under the cursor may have, from the schema. */
  showHints() {
    if (!this.spans || !this.parsed) return;
    const at = this.textarea.selectionStart;
    const n = (this.parsed.steps ?? []).findIndex((_, k) => { const s = this.spans.get(`/steps/${k}`); return s && s.start <= at && at <= s.end; });
    const step = this.parsed.steps?.[n];
    const def = step && this.schema?.$defs?.[`${step.type}Step`];
    if (!def) { clear(this.hints); return; }
    clear(this.hints, h('p', {}, t('editor.fieldsOf', { type: step.type })), h('ul', { class: 'fields' },
      Object.entries(def.properties ?? {}).map(([name, p]) => h('li', {}, h('code', {}, name), (def.required ?? []).includes(name) ? ` (${t('editor.required')})` : '',
        p.description ? ` — ${p.description}` : ''))));
  }

  /** Adds a step of the type, on its own: the schema's example for it, under the next free id. */
  insertStep(type) {
    if (!this.parsed || !Array.isArray(this.parsed.steps)) { announce(t('editor.fixFirst'), true); return; }
    this.change(doc => { doc.steps.push(newStep(this.schema, doc, type)); }, { rerender: true });
    this.validate();
  }

  async save() {
    try {
      const saved = await put(`/api/journeys/${enc(this.id)}/draft`, this.textarea.value);
      this.savedText = this.textarea.value;
      sessionStorage.removeItem(this.storageKey);
      this.saveState.textContent = t('editor.saved', { at: saved?.savedAt ?? '' });
      announce(t('editor.saved', { at: saved?.savedAt ?? '' }));
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.notAvailable) { clear(this.saveState); this.saveState.append(unavailable(t('editor.save'))); return false; }
      if (e instanceof ApiError && e.status === 400) {
        await this.validate();
        const first = e.errors[0];
        announce(t('editor.notSavedBecause', { reason: first ? `${first.path || '/'} ${first.message}` : e.message, count: e.errors.length }), true);
        return false;
      }
      announce(e.message, true);
      return false;
    }
  }

  async publish() {
    if (this.textarea.value !== this.savedText && !(await this.save())) return;
    const body = h('div', {}, h('p', {}, t('publish.loadingDiff')));
    const dialog = openDialog(t('publish.title', { id: this.id }), body);
    let diff;
    try { diff = await get(`/api/journeys/${enc(this.id)}/diff`); } catch (e) { clear(body, failure(e, t('publish.diff')), h('button', { type: 'button', onclick: dialog.close }, t('common.close'))); return; }
    const changes = diff.changes ?? [];
    const oldSteps = (this.detail?.definition?.steps ?? []).map(s => s.id);
    const newSteps = (this.parsed?.steps ?? []).map(s => s.id);
    const choice = name => h('input', { type: 'radio', name: 'inflight', value: name, id: `inflight-${name}`, checked: name === 'keep', onchange: update });
    const mapping = h('table', { id: 'mapping', hidden: true },
      h('caption', {}, t('publish.mapping')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('publish.oldStep')), h('th', { scope: 'col' }, t('publish.newStep')))),
      h('tbody', {}, oldSteps.map(old => h('tr', {}, h('td', { class: 'mono' }, old), h('td', {},
        h('select', { 'aria-label': t('publish.mapFor', { step: old }), dataset: { old } },
          h('option', { value: '' }, t('publish.unmapped')),
          newSteps.map(n => h('option', { value: n, selected: n === old }, n))))))));
    const outcome = h('input', { id: 'end-outcome', value: 'ended-by-publish' });
    const outcomeLabel = h('label', { for: 'end-outcome', hidden: true }, t('publish.outcome'), outcome);
    const errors = h('div', { 'aria-live': 'assertive' });
    function update() {
      const value = body.querySelector('input[name=inflight]:checked')?.value;
      mapping.hidden = value !== 'migrate';
      outcomeLabel.hidden = value !== 'end';
    }
    const confirm = h('button', { type: 'button', class: 'primary', id: 'confirm-publish', onclick: async () => {
      const inFlight = body.querySelector('input[name=inflight]:checked').value;
      const request = { inFlight };
      if (inFlight === 'migrate') request.mapping = Object.fromEntries([...mapping.querySelectorAll('select')].filter(s => s.value).map(s => [s.dataset.old, s.value]));
      if (inFlight === 'end') request.outcome = outcome.value;
      try {
        const result = await post(`/api/journeys/${enc(this.id)}/publish`, request);
        dialog.close();
        announce(t('publish.done', { version: result.version, kept: result.kept ?? 0, migrated: result.migrated ?? 0, ended: result.ended ?? 0 }));
        this.savedText = null;
        sessionStorage.removeItem(this.storageKey);
        this.saveState.textContent = t('publish.done', { version: result.version, kept: result.kept ?? 0, migrated: result.migrated ?? 0, ended: result.ended ?? 0 });
        if (result.migration) followMigration(this.saveState, result.migration.href);
      } catch (e) { clear(errors, failure(e, t('editor.publish'))); }
    } }, t('publish.confirm'));
    clear(body,
      h('h3', {}, t('publish.changes', { from: diff.from ?? '', to: diff.to ?? '' })),
      changes.length === 0 ? h('p', {}, t('publish.noChanges')) : h('ul', { class: 'diff', id: 'diff' }, changes.map(c => h('li', { class: c.op },
        h('strong', {}, t(`diff.${c.op}`)), ' ', h('code', {}, c.path),
        c.before !== undefined ? [' ', h('span', { class: 'muted' }, t('diff.before')), ' ', h('code', {}, JSON.stringify(c.before))] : null,
        c.after !== undefined ? [' ', h('span', { class: 'muted' }, t('diff.after')), ' ', h('code', {}, JSON.stringify(c.after))] : null))),
      h('fieldset', {}, h('legend', {}, t('publish.inFlight')),
        h('label', { for: 'inflight-keep' }, choice('keep'), t('publish.keep')),
        h('label', { for: 'inflight-migrate' }, choice('migrate'), t('publish.migrate')),
        h('label', { for: 'inflight-end' }, choice('end'), t('publish.end'))),
      mapping, outcomeLabel, errors,
      h('div', { class: 'actions' }, confirm, h('button', { type: 'button', onclick: dialog.close }, t('common.cancel'))));
    confirm.focus();
  }
}

/** The editor's undo history: each change to the text, with typing in one field merged into one step. */
class History {
  constructor(text) { this.items = [text]; this.at = 0; this.lastKey = null; this.lastAt = 0; }
  get current() { return this.items[this.at]; }
  get canUndo() { return this.at > 0; }
  get canRedo() { return this.at < this.items.length - 1; }

  record(text, key) {
    if (text === this.current) return;
    const now = Date.now();
    const merge = key && key === this.lastKey && now - this.lastAt < 1500 && this.at > 0 && !this.canRedo;
    this.items.splice(this.at + 1);
    if (merge) this.items[this.at] = text;
    else { this.items.push(text); this.at++; }
    this.lastKey = key; this.lastAt = now;
  }

  undo() { if (!this.canUndo) return null; this.at--; this.lastKey = null; return this.current; }
  redo() { if (!this.canRedo) return null; this.at++; this.lastKey = null; return this.current; }
}

// A migration moves the instances behind the publish's answer: its progress, read until every signalled instance has answered.
async function followMigration(target, href) {
  for (let attempt = 0; attempt < 120; attempt++) {
    let p;
    try { p = await get(href); } catch { return; }
    const line = h('span', { class: 'migration-progress', id: 'migration-progress' },
      t('publish.migration', { id: p.id, signalled: p.signalled, moved: p.moved, ended: p.ended, failed: p.failed }));
    target.querySelector('#migration-progress')?.remove();
    target.append(' ', line);
    if (!p.signalling && p.moved + p.ended + p.failed >= p.signalled) return;
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
}
