// The journey editor: definition JSON with line numbers and inline validation, next to the flow graph; save and publish.
import { api, get, post, put, enc, ApiError } from '../api.js';
import { h, clear, debounce } from '../dom.js';
import { t } from '../i18n.js';
import { session } from '../session.js';
import { failure, announce, unavailable } from '../common.js';
import { parseWithPositions, locate, lineOf, JsonSyntaxError } from '../jsonpos.js';
import { drawGraph } from '../graph.js';
import { openDialog } from '../dialog.js';

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
  const editor = new Editor(main, id, detail, original ? JSON.stringify(original, null, 2) : skeleton(id));
  await editor.start();
}

class Editor {
  constructor(main, id, detail, text) {
    this.main = main; this.id = id; this.detail = detail; this.savedText = detail?.draft ? text : null;
    this.seq = 0; this.parsed = null; this.errors = [];
    this.textarea = h('textarea', { id: 'definition', spellcheck: false, wrap: 'off', 'aria-label': t('editor.definition'), 'aria-describedby': 'validation' });
    this.textarea.value = text;
    this.gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
    this.marks = h('div', { class: 'marks', 'aria-hidden': 'true' });
    this.validation = h('div', { id: 'validation', 'aria-live': 'polite' });
    this.hints = h('div', { class: 'hint', id: 'field-hints' });
    this.graph = h('div', { class: 'graph', id: 'graph' });
    this.saveState = h('span', { class: 'muted', id: 'save-state' });
  }

  async start() {
    const toolbar = h('div', { class: 'row' });
    if (session.canEdit) toolbar.append(h('button', { type: 'button', class: 'primary', id: 'save-draft', onclick: () => this.save() }, t('editor.save')));
    if (session.canPublish) toolbar.append(h('button', { type: 'button', id: 'publish', onclick: () => this.publish() }, t('editor.publish')));
    toolbar.append(h('button', { type: 'button', id: 'simulate-this', onclick: () => {
      sessionStorage.setItem('retention.simulate.definition', this.textarea.value);
      location.hash = `#/simulate/${enc(this.id)}/editor`;
    } }, t('editor.simulate')));
    const steps = await this.stepTypes();
    if (steps.length && session.canEdit) {
      const pick = h('select', { id: 'step-type' }, steps.map(s => h('option', { value: s }, s)));
      toolbar.append(h('label', { for: 'step-type' }, t('editor.stepType'), pick),
        h('button', { type: 'button', id: 'insert-step', onclick: () => this.insertStep(pick.value) }, t('editor.insertStep')));
    }
    toolbar.append(this.saveState);
    if (this.detail?.draft) this.saveState.textContent = t('editor.draftFrom', { at: this.detail.draft.savedAt ?? '' });
    const code = h('div', { class: 'code' }, this.gutter, h('div', { class: 'surface' }, this.marks, this.textarea));
    this.main.append(toolbar, h('div', { class: 'editor-layout' },
      h('section', { 'aria-labelledby': 'definition-heading' }, h('h2', { id: 'definition-heading' }, t('editor.definition')), code, this.validation, this.hints),
      h('section', { 'aria-labelledby': 'graph-heading' }, h('h2', { id: 'graph-heading' }, t('editor.graph')), this.graph)));
    const validateSoon = debounce(() => this.validate(), 400);
    this.textarea.addEventListener('input', () => { this.renderGutter(); validateSoon(); });
    this.textarea.addEventListener('scroll', () => this.syncScroll());
    for (const ev of ['keyup', 'click']) this.textarea.addEventListener(ev, () => this.showHints());
    this.textarea.addEventListener('keydown', e => {
      // Tab indents inside the editor; Escape then Tab leaves it, so keyboard users are never trapped.
      if (e.key === 'Tab' && !e.shiftKey && !this.escaped) { e.preventDefault(); this.textarea.setRangeText('  ', this.textarea.selectionStart, this.textarea.selectionEnd, 'end'); this.textarea.dispatchEvent(new Event('input')); }
      this.escaped = e.key === 'Escape';
    });
    this.renderGutter();
    await this.validate();
  }

  async stepTypes() {
    const s = await schema();
    return s?.$defs?.step?.properties?.type?.enum ?? [];
  }

  renderGutter() {
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
    let spans;
    try {
      const parsed = parseWithPositions(text);
      this.parsed = parsed.value; spans = parsed.spans; this.spans = spans;
    } catch (e) {
      if (!(e instanceof JsonSyntaxError)) throw e;
      this.show([{ path: null, message: t('editor.syntax', { message: e.message }), offset: e.offset, end: e.offset + 1 }], false);
      return;
    }
    try {
      const report = await api('POST', '/api/journeys/validate', text);
      if (seq !== this.seq) return;
      this.show([], true, report);
    } catch (e) {
      if (seq !== this.seq) return;
      if (!(e instanceof ApiError) || e.status !== 400) { clear(this.validation, failure(e, t('editor.validate'))); return; }
      this.show((e.errors.length ? e.errors : [{ path: '', message: e.message }]).map(err => {
        const where = locate(spans, err.path);
        return { path: err.path, message: err.message, offset: where.offset, end: where.end, exact: where.exact };
      }), false);
    }
  }

  /** Lists the errors, marks their lines, and marks the steps they belong to in the graph. */
  show(errors, valid, report) {
    const text = this.textarea.value;
    this.errors = errors.map(e => ({ ...e, line: lineOf(text, e.offset) }));
    clear(this.marks, this.errors.map(e => h('div', { style: undefined, dataset: { line: e.line } })));
    for (const mark of this.marks.children) mark.style.top = `${(Number(mark.dataset.line) - 1) * LINE + 6}px`;
    this.renderGutter();
    const errorSteps = new Set(this.errors.map(e => this.stepAt(e.path)).filter(Boolean));
    if (valid) {
      const sms = report?.sms?.length ? ` ${t('editor.smsSegments', { list: report.sms.map(s => `${s.template}/${s.locale}: ${s.segments}`).join(', ') })}` : '';
      clear(this.validation, h('p', { class: 'valid', id: 'valid-state' }, t('editor.valid', { steps: report?.steps ?? '' }) + sms));
    } else {
      clear(this.validation,
        h('p', { class: 'error', id: 'valid-state' }, t('editor.invalid', { count: this.errors.length })),
        h('ul', { class: 'errors', 'aria-label': t('editor.errors') }, this.errors.map(e => h('li', {},
          h('button', { type: 'button', class: 'error-item', dataset: { path: e.path ?? '', line: e.line }, onclick: () => this.moveTo(e) },
            `${t('editor.line', { line: e.line })} · ${e.path ?? t('editor.syntaxShort')} — ${e.message}`)))));
    }
    this.drawGraph(errorSteps);
  }

  /** The step id a JSON Pointer such as /steps/3/next falls in. */
  stepAt(path) {
    const m = /^\/steps\/(\d+)/.exec(path ?? '');
    return m ? this.parsed?.steps?.[Number(m[1])]?.id ?? null : null;
  }

  drawGraph(errorSteps, focusStep = null) {
    this.lastErrorSteps = errorSteps;
    if (!this.parsed) return;
    clear(this.graph, drawGraph(this.parsed, { errorSteps, focusStep, onSelect: stepId => {
      const n = (this.parsed?.steps ?? []).findIndex(s => s?.id === stepId);
      const span = this.spans?.get(`/steps/${n}`);
      if (span) this.moveTo({ offset: span.start, end: span.start + 1, path: `/steps/${n}` });
    } }));
    this.keepInView(this.graph.querySelector(focusStep ? 'g.node.focus' : 'g.node.start'));
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

  moveTo(error) {
    const ta = this.textarea;
    ta.focus();
    ta.setSelectionRange(error.offset, Math.max(error.offset, Math.min(error.end ?? error.offset, error.offset + 200)));
    const line = lineOf(ta.value, error.offset);
    ta.scrollTop = Math.max(0, (line - 4) * LINE);
    this.syncScroll();
    this.drawGraph(this.lastErrorSteps ?? new Set(), this.stepAt(error.path));
    this.showHints();
  }

  /** The fields the step under the cursor may have, from the schema. */
  async showHints() {
    if (!this.spans || !this.parsed) return;
    const at = this.textarea.selectionStart;
    const n = (this.parsed.steps ?? []).findIndex((_, k) => { const s = this.spans.get(`/steps/${k}`); return s && s.start <= at && at <= s.end; });
    const step = this.parsed.steps?.[n];
    const s = await schema();
    const def = step && s?.$defs?.[`${step.type}Step`];
    if (!def) { clear(this.hints); return; }
    clear(this.hints, h('p', {}, t('editor.fieldsOf', { type: step.type })), h('ul', { class: 'fields' },
      Object.entries(def.properties ?? {}).map(([name, p]) => h('li', {}, h('code', {}, name), (def.required ?? []).includes(name) ? ` (${t('editor.required')})` : '',
        p.description ? ` — ${p.description}` : ''))));
  }

  /** Adds a step of the type: the schema's example for it, under the next free id. */
  async insertStep(type) {
    if (!this.parsed || !Array.isArray(this.parsed.steps)) { announce(t('editor.fixFirst'), true); return; }
    const ids = new Set(this.parsed.steps.map(s => s?.id));
    let n = 1; while (ids.has(`${type.toLowerCase()}-${n}`)) n++;
    const id = `${type.toLowerCase()}-${n}`;
    const example = (await schema())?.$defs?.[`${type}Step`]?.examples?.[0] ?? {};
    this.parsed.steps.push(Object.assign({ id, type }, structuredClone(example), { id, type }));
    this.textarea.value = JSON.stringify(this.parsed, null, 2);
    this.renderGutter();
    this.validate();
  }

  async save() {
    try {
      const saved = await put(`/api/journeys/${enc(this.id)}/draft`, this.textarea.value);
      this.savedText = this.textarea.value;
      this.saveState.textContent = t('editor.saved', { at: saved?.savedAt ?? '' });
      announce(t('editor.saved', { at: saved?.savedAt ?? '' }));
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.notAvailable) { clear(this.saveState); this.saveState.append(unavailable(t('editor.save'))); return false; }
      if (e instanceof ApiError && e.status === 400) { await this.validate(); announce(t('editor.notSaved'), true); return false; }
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
