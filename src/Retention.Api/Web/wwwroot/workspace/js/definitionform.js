// Forms for a journey definition, built from its JSON Schema: a step's fields, or the journey's own settings. Every
// field carries the JSON Pointer it edits (data-path), so a validation error from the server is shown at its field.
import { h } from './dom.js';
import { t } from './i18n.js';

/** The JSON Pointer of a path of keys and indexes. */
export const pointer = path => path.map(k => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

export function getIn(value, path) {
  return path.reduce((v, k) => (v === null || v === undefined ? undefined : v[k]), value);
}

/** Sets (or, for undefined, removes) the value at the path, creating objects on the way. */
export function setIn(root, path, value) {
  let v = root;
  for (const k of path.slice(0, -1)) { if (v[k] === null || typeof v[k] !== 'object') v[k] = {}; v = v[k]; }
  const last = path[path.length - 1];
  if (value === undefined) { if (Array.isArray(v)) v.splice(last, 1); else delete v[last]; } else v[last] = value;
}

/** The places a step leads on from, each a path inside the step: next; onEvent and onTimeout; each case and otherwise; each path. */
export function slots(step) {
  switch (step?.type) {
    case 'exit': return [];
    case 'waitForEvent': return [{ path: ['onEvent'], label: t('form.arm.onEvent') }, { path: ['onTimeout'], label: t('form.arm.onTimeout') }];
    case 'branch': return [...(step.cases ?? []).map((_, n) => ({ path: ['cases', n, 'next'], label: t('graph.case', { n: n + 1 }) })),
      { path: ['otherwise'], label: t('graph.otherwise') }];
    case 'split': return (step.paths ?? []).map((p, n) => ({ path: ['paths', n, 'next'], label: `${t('form.arm.path', { n: n + 1 })} (${p?.percent ?? '?'}%)` }));
    default: return [{ path: ['next'], label: t('form.arm.next') }];
  }
}

/** Every reference to a step in the definition: start and each step's slots, as paths from the definition's root. */
function references(doc) {
  const refs = [['start']];
  (doc.steps ?? []).forEach((s, n) => { for (const slot of slots(s)) refs.push(['steps', n, ...slot.path]); });
  return refs;
}

function retarget(doc, from, to) {
  for (const ref of references(doc)) if (getIn(doc, ref) === from) setIn(doc, ref, to);
}

export function freeId(doc, type) {
  const ids = new Set((doc.steps ?? []).map(s => s?.id));
  let n = 1; while (ids.has(`${type.toLowerCase()}-${n}`)) n++;
  return `${type.toLowerCase()}-${n}`;
}

/** A new step of the type, from the schema's example, under a free id. */
export function newStep(schema, doc, type) {
  const id = freeId(doc, type);
  const example = schema?.$defs?.[`${type}Step`]?.examples?.[0] ?? {};
  return Object.assign({ id, type }, structuredClone(example), { id, type });
}

/** Adds a step on a step's slot (between it and where the slot led), or before a step (everything that led to it leads to the new one). */
export function insertStep(doc, step, { at, slot, before }) {
  const first = slots(step)[0];
  if (before !== undefined) {
    retarget(doc, before, step.id);
    if (first) setIn(step, first.path, before);
  } else {
    const owner = doc.steps[at];
    const target = getIn(owner, slot);
    if (first && target) setIn(step, first.path, target);
    setIn(owner, slot, step.id);
  }
  doc.steps.push(step);
}

/**
 * Removes a step. What led to it is re-linked to where it led when that is one step; otherwise those references are
 * left pointing at the removed id, so validation flags each of them at its field.
 */
export function deleteStep(doc, id) {
  const n = doc.steps.findIndex(s => s?.id === id);
  if (n < 0) return;
  const [removed] = doc.steps.splice(n, 1);
  const targets = [...new Set(slots(removed).map(s => getIn(removed, s.path)).filter(Boolean))];
  if (targets.length === 1) retarget(doc, id, targets[0]);
}

/** Renames a step and every reference to it. */
export function renameStep(doc, from, to) {
  const step = doc.steps.find(s => s?.id === from);
  if (!step) return;
  retarget(doc, from, to);
  step.id = to;
}

// ---- Schema reading ----

const refName = prop => (prop?.$ref ?? prop?.allOf?.find(p => p.$ref)?.$ref)?.split('/').pop();

function resolve(schema, prop) {
  const name = refName(prop);
  const def = name ? resolve(schema, schema.$defs[name]) : {};
  return { ...def, ...prop, ref: name ?? def.ref, refChain: [name, ...(def.refChain ?? [])].filter(Boolean), description: prop?.description ?? def.description };
}

const humanize = name => name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, c => c.toUpperCase()).replace(/ ([A-Z])/g, (_, c) => ` ${c.toLowerCase()}`);
const label = name => { const key = `field.${name}`; const text = t(key); return text === key ? humanize(name) : text; };

const durationUnits = [['M', 'minutes', true], ['H', 'hours', true], ['D', 'days'], ['W', 'weeks'], ['M', 'months'], ['Y', 'years']];

/** "P7D" → { amount: 7, unit: 'days' }; also "P-3D" (an amount typed as negative, which validation refuses); null when not a single part. */
function splitDuration(text) {
  const m = /^P(T?)(-?\d+(?:\.\d+)?)([YMWDHS])$/.exec(text ?? '');
  if (!m) return null;
  const unit = durationUnits.find(([letter, , time]) => letter === m[3] && !!time === (m[1] === 'T'));
  return unit ? { amount: m[2], unit: unit[1] } : null;
}

function joinDuration(amount, unit) {
  const [letter, , time] = durationUnits.find(u => u[1] === unit);
  return `P${time ? 'T' : ''}${amount}${letter}`;
}

const knownPaths = ['customer.tier', 'customer.status', 'customer.region', 'customer.locale', 'customer.tags', 'customer.birthday',
  'customer.attributes.', 'trigger.data.', 'event.data.', 'event.data.message', 'context.'];
const knownEvents = ['sale.completed', 'sale.refunded', 'transaction.posted', 'customer.upserted', 'customer.tier_changed', 'customer.status_changed',
  'complaint.opened', 'complaint.responded', 'complaint.resolved', 'consent.changed', 'sms.received', 'task.completed'];

/** Condition subjects offered by the builder: a fixed path, or a prefix plus a name typed beside it. */
const subjects = [
  { id: 'tier', path: 'customer.tier' }, { id: 'status', path: 'customer.status' }, { id: 'attribute', prefix: 'customer.attributes.' },
  { id: 'event', prefix: 'event.data.' }, { id: 'trigger', prefix: 'trigger.data.' }, { id: 'context', prefix: 'context.' },
  { id: 'customer', prefix: 'customer.' }, { id: 'path', prefix: '' },
];
const operators = ['eq', 'ne', 'in', 'notIn', 'gt', 'gte', 'lt', 'lte', 'exists', 'contains'];

function parseLiteral(text) {
  const s = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (s === 'true' || s === 'false') return s === 'true';
  return s;
}

let uid = 0;
const nextId = base => `${base}-${++uid}`;

/**
 * Builds forms. ctx: { schema, doc, change(mutate, { rerender, key }), select(stepId), templateInfo(name, locale) }.
 * change runs mutate on a copy of the definition and applies it; rerender false keeps the form as it is (typing).
 */
export class DefinitionForm {
  constructor(ctx) { this.ctx = ctx; }

  get schema() { return this.ctx.schema; }
  get doc() { return this.ctx.doc; }

  /** The form of the step at index n of the definition. */
  step(n) {
    const step = this.doc.steps[n];
    const def = this.schema?.$defs?.[`${step.type}Step`];
    const base = ['steps', n];
    const body = h('div', { class: 'form-fields' });
    if (!def) { body.append(this.jsonField(base, step, t('form.step'))); return this.frame(step, body); }
    const props = Object.entries(def.properties ?? {}).filter(([name]) => name !== 'type');
    if (step.type === 'wait') {
      body.append(this.field(base, 'id', def.properties.id, def), this.waitWhen(base, step, def));
      for (const [name, prop] of props) if (!['id', 'duration', 'until', 'untilDate', 'businessTime', 'calendar'].includes(name)) body.append(this.field(base, name, prop, def));
    } else {
      for (const [name, prop] of props) body.append(this.field(base, name, prop, def));
    }
    return this.frame(step, body, n);
  }

  frame(step, body, n) {
    const typeHelp = this.schema?.$defs?.[`${step.type}Step`]?.description;
    return h('form', { class: 'step-form', id: 'step-form-body', dataset: { step: step.id, path: pointer(['steps', n]) }, onsubmit: e => e.preventDefault() },
      h('h3', {}, t('form.stepHeading', { id: step.id, type: step.type })),
      typeHelp ? h('p', { class: 'hint' }, typeHelp) : null,
      h('div', { class: 'field-error step-error', 'aria-live': 'polite' }),
      body, this.stepActions(step, n));
  }

  /** Add a step (before this one, or on one of its arms) and delete this one. */
  stepActions(step, n) {
    const types = this.schema?.$defs?.step?.properties?.type?.enum ?? [];
    const typeId = nextId('add-type'), whereId = nextId('add-where');
    const type = h('select', { id: typeId, class: 'add-type' }, types.map(x => h('option', { value: x }, t(`form.type.${x}`) === `form.type.${x}` ? x : t(`form.type.${x}`))));
    const where = h('select', { id: whereId, class: 'add-where' },
      slots(step).map((s, k) => h('option', { value: String(k) }, t('form.addOn', { arm: s.label }))),
      h('option', { value: 'before' }, t('form.addBefore')));
    const add = () => {
      let created;
      this.ctx.change(doc => {
        created = newStep(this.schema, doc, type.value);
        if (where.value === 'before') insertStep(doc, created, { before: step.id });
        else insertStep(doc, created, { at: n, slot: slots(step)[Number(where.value)].path });
      });
      this.ctx.select(created.id, true);
    };
    return h('div', { class: 'step-actions' },
      h('fieldset', {}, h('legend', {}, t('form.addStep')),
        h('label', { for: typeId }, t('editor.stepType'), type),
        h('label', { for: whereId }, t('form.where'), where),
        h('button', { type: 'button', id: 'add-step', onclick: add }, t('form.add'))),
      h('button', { type: 'button', class: 'danger', id: 'delete-step', onclick: () => {
        const fallback = slots(step).map(s => getIn(step, s.path)).find(Boolean) ?? this.doc.start;
        this.ctx.change(doc => deleteStep(doc, step.id));
        this.ctx.select(fallback === step.id ? null : fallback, true);
      } }, t('form.delete', { id: step.id })));
  }

  /** The journey's own settings: name, trigger, entry, exit-on events, goal, holdout, start. */
  journey() {
    const props = this.schema?.properties ?? {};
    const body = h('div', { class: 'form-fields' });
    for (const name of ['name', 'description', 'trigger', 'entry', 'exitOn', 'goal', 'holdoutPercent', 'eventBufferWindow', 'start']) {
      if (props[name]) body.append(this.field([], name, props[name], this.schema));
    }
    return h('form', { class: 'journey-form', id: 'journey-form', dataset: { path: 'journey' }, onsubmit: e => e.preventDefault() },
      h('h3', {}, t('form.journeyHeading')), h('div', { class: 'field-error step-error', 'aria-live': 'polite' }), body);
  }

  /** One property: a field chosen by its schema, labelled and explained from the schema too. */
  field(base, name, prop, parentDef) {
    const path = [...base, name];
    const spec = resolve(this.schema, prop);
    const value = getIn(this.doc, path);
    const required = (parentDef?.required ?? []).includes(name);
    const id = nextId(`f-${name}`);
    const set = (v, opts) => this.ctx.change(doc => setIn(doc, path, v), opts);
    const help = spec.description ? h('p', { class: 'help', id: `${id}-help` }, spec.description) : null;
    const wrap = control => h('div', { class: 'field', dataset: { path: pointer(path) } },
      h('label', { for: id }, label(name), required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
      control, help, h('div', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' }));
    const described = { 'aria-describedby': `${id}-help ${id}-error`, 'aria-required': required ? 'true' : undefined };
    const chain = spec.refChain ?? [];

    if (name === 'id' && base[0] === 'steps') {
      return wrap(h('input', { id, value: value ?? '', ...described, onchange: e => {
        const to = e.target.value.trim();
        this.ctx.change(doc => renameStep(doc, value, to));
        this.ctx.select(to, false);
      } }));
    }
    if (chain.includes('stepRef') || name === 'start') return wrap(this.stepSelect(id, value, set, described, name !== 'start'));
    if (chain.includes('workingTime')) return wrap(this.duration(id, value, set, described, true));
    if (chain.includes('duration') || chain.includes('positiveDuration')) return wrap(this.duration(id, value, set, described, false));
    if (chain.includes('condition')) return this.optional(path, value, required, name, () => this.condition(path, value, id), () => ({ path: 'customer.tier', op: 'eq', value: '' }));
    if (chain.includes('pathMap')) return this.optional(path, value, required, name, () => this.pathMap(path, value ?? {}, id), () => ({}));
    if (chain.includes('timeOfDay')) return wrap(h('input', { id, type: 'time', step: value?.length > 5 ? 1 : 60, value: value ?? '', ...described, onchange: e => set(e.target.value || undefined) }));
    if (name === 'template' && base[0] === 'steps') return this.template(base, id, value, wrap, set, described);
    if (chain.includes('trigger')) return this.trigger(path, value ?? {});
    if (spec.enum) {
      return wrap(h('select', { id, ...described, onchange: e => set(e.target.value || undefined, { rerender: true }) },
        required && value !== undefined ? null : h('option', { value: '' }, t('form.none')),
        spec.enum.map(v => h('option', { value: v, selected: v === value }, String(v)))));
    }
    if (spec.type === 'boolean') {
      return wrap(h('input', { id, type: 'checkbox', checked: value ?? spec.default ?? false, ...described, onchange: e => set(e.target.checked) }));
    }
    if (spec.type === 'integer' || spec.type === 'number') {
      return wrap(h('input', { id, type: 'number', min: spec.minimum, max: spec.maximum, step: spec.type === 'integer' ? 1 : 'any', value: value ?? '', placeholder: spec.default ?? '', ...described,
        oninput: e => set(e.target.value === '' ? undefined : Number(e.target.value), { key: pointer(path) }) }));
    }
    if (spec.type === 'object' && spec.properties) return this.optional(path, value, required, name, () => this.object(path, spec), () => ({}));
    if (spec.type === 'array' && spec.items) return this.list(path, value ?? [], spec, name);
    if (spec.type === 'string' || chain.includes('text') || chain.includes('slug') || chain.includes('valuePath') || chain.includes('eventType')) {
      const list = chain.includes('valuePath') ? 'known-paths' : chain.includes('eventType') ? 'known-events' : undefined;
      const long = name === 'description' || name === 'title';
      const oninput = e => set(e.target.value === '' ? undefined : e.target.value, { key: pointer(path) });
      const placeholder = spec.examples?.[0] ?? '';
      // A textarea's text is its content (a value attribute would be ignored).
      return wrap(long ? h('textarea', { id, rows: 2, placeholder, ...described, oninput }, value ?? '')
        : h('input', { id, value: value ?? '', list, placeholder, ...described, oninput }));
    }
    return this.jsonField(path, value, label(name));
  }

  /** An optional object: an "Add" button while it is absent, its fields and a "Remove" button once present. */
  optional(path, value, required, name, render, empty) {
    const box = h('fieldset', { class: 'group', dataset: { path: pointer(path) } }, h('legend', {}, label(name)));
    if (value === undefined && !required) {
      box.append(h('button', { type: 'button', class: 'add-optional', dataset: { add: name }, onclick: () => this.ctx.change(doc => setIn(doc, path, empty()), { rerender: true, focus: pointer(path) }) },
        t('form.addOptional', { name: label(name) })));
    } else {
      box.append(render());
      if (!required) box.append(h('button', { type: 'button', class: 'remove-optional', onclick: () => this.ctx.change(doc => setIn(doc, path, undefined), { rerender: true }) }, t('form.removeOptional', { name: label(name) })));
    }
    box.append(h('div', { class: 'field-error', 'aria-live': 'polite' }));
    return box;
  }

  object(path, spec) {
    return h('div', { class: 'form-fields nested' }, Object.entries(spec.properties).map(([name, prop]) => this.field(path, name, prop, spec)));
  }

  /** An array of objects (cases, paths, exit rules): each item's fields, with add and remove. */
  list(path, items, spec, name) {
    const itemSpec = resolve(this.schema, spec.items);
    const box = h('fieldset', { class: 'group list', dataset: { path: pointer(path) } }, h('legend', {}, label(name)),
      spec.description ? h('p', { class: 'help' }, spec.description) : null);
    items.forEach((item, k) => {
      box.append(h('div', { class: 'list-item', dataset: { path: pointer([...path, k]) } },
        h('p', { class: 'item-title' }, t('form.item', { n: k + 1 })),
        itemSpec.properties ? this.object([...path, k], itemSpec) : this.jsonField([...path, k], item, t('form.item', { n: k + 1 })),
        h('button', { type: 'button', class: 'remove-item', onclick: () => this.ctx.change(doc => { getIn(doc, path).splice(k, 1); if (!getIn(doc, path).length && name !== 'cases' && name !== 'paths') setIn(doc, path, undefined); }, { rerender: true }) },
          t('form.removeItem', { n: k + 1 }))));
    });
    const blank = itemSpec.examples?.[0] ?? (name === 'cases' ? { when: { path: 'customer.tier', op: 'eq', value: '' } } : name === 'paths' ? { percent: 50 } : {});
    box.append(h('button', { type: 'button', class: 'add-item', dataset: { add: name }, onclick: () => this.ctx.change(doc => {
      if (!Array.isArray(getIn(doc, path))) setIn(doc, path, []);
      getIn(doc, path).push(structuredClone(blank));
    }, { rerender: true }) }, t('form.addItem', { name: label(name) })), h('div', { class: 'field-error', 'aria-live': 'polite' }));
    return box;
  }

  /** The target of next, onEvent, onTimeout, a case or a path: chosen from the journey's steps. */
  stepSelect(id, value, set, described, optional) {
    const ids = (this.doc.steps ?? []).map(s => s?.id).filter(Boolean);
    return h('select', { id, class: 'step-ref', ...described, onchange: e => set(e.target.value || undefined, { rerender: true }) },
      optional ? h('option', { value: '' }, t('form.endHere')) : null,
      value && !ids.includes(value) ? h('option', { value, selected: true }, t('form.missingStep', { id: value })) : null,
      ids.map(s => h('option', { value: s, selected: s === value }, s)));
  }

  /** A duration as an amount and a unit (P7D is 7 days), or as ISO text when it has several parts. */
  duration(id, value, set, described, workingTime) {
    const split = value === undefined ? { amount: '', unit: workingTime ? 'hours' : 'days' } : splitDuration(value);
    const units = durationUnits.filter(u => !workingTime || u[2]);
    if (!split) {
      return h('span', { class: 'duration' }, h('input', { id, value, class: 'mono', ...described, oninput: e => set(e.target.value || undefined, { key: id }) }),
        h('span', { class: 'muted' }, t('form.isoDuration')));
    }
    const amount = h('input', { id, type: 'number', class: 'amount', value: split.amount, step: 1, ...described });
    const unit = h('select', { 'aria-label': t('form.unit'), class: 'unit' }, units.map(([, name]) => h('option', { value: name, selected: name === split.unit }, t(`form.unit.${name}`))));
    const iso = h('code', { class: 'iso' }, value ?? '');
    const apply = () => {
      const text = amount.value === '' ? undefined : joinDuration(amount.value, unit.value);
      iso.textContent = text ?? '';
      set(text, { key: id });
    };
    amount.addEventListener('input', apply);
    unit.addEventListener('change', apply);
    return h('span', { class: 'duration' }, amount, unit, iso);
  }

  /** A wait's "when": after a duration, at a local time of day, on a date from a value, or after working hours. */
  waitWhen(base, step, def) {
    const modes = [['duration', 'duration'], ['until', 'until'], ['businessTime', 'businessTime'], ['untilDate', 'untilDate']];
    const current = modes.find(([, key]) => step[key] !== undefined)?.[0] ?? 'duration';
    const id = nextId('wait-mode');
    const select = h('select', { id, class: 'wait-mode', onchange: e => this.ctx.change(doc => {
      const s = getIn(doc, base);
      for (const key of ['duration', 'until', 'untilDate', 'businessTime', 'calendar']) delete s[key];
      Object.assign(s, { duration: { duration: 'P1D' }, until: { until: { time: '10:00', daysLater: 1 } }, businessTime: { businessTime: 'PT4H' }, untilDate: { untilDate: { path: 'customer.birthday' } } }[e.target.value]);
    }, { rerender: true, focus: `${pointer(base)}/mode` }) }, modes.map(([mode]) => h('option', { value: mode, selected: mode === current }, t(`form.wait.${mode}`))));
    const fields = current === 'businessTime'
      ? [this.field(base, 'businessTime', def.properties.businessTime, def), this.field(base, 'calendar', def.properties.calendar, def)]
      : [this.field(base, current, def.properties[current], { required: [current] })];
    return h('fieldset', { class: 'group', dataset: { path: `${pointer(base)}/mode` } }, h('legend', {}, t('form.wait.when')),
      h('div', { class: 'field' }, h('label', { for: id }, t('form.wait.kind')), select), fields);
  }

  /** The send's template: its name (one of the journey's or a new one) and its text per locale, with the SMS segment count. */
  template(base, id, value, wrap, set, described) {
    const names = Object.keys(this.doc.templates ?? {});
    const field = wrap(h('input', { id, value: value ?? '', list: 'template-names', ...described, onchange: e => set(e.target.value || undefined, { rerender: true }) }));
    const channel = getIn(this.doc, [...base, 'channel']) ?? 'sms';
    if (!value) return h('div', {}, field, h('datalist', { id: 'template-names' }, names.map(n => h('option', { value: n }))));
    const contentPath = ['templates', value, channel];
    const content = getIn(this.doc, contentPath) ?? {};
    const locales = [...new Set(['en', 'zh-CN', ...Object.keys(content)])];
    const box = h('fieldset', { class: 'group template', dataset: { path: pointer(['templates', value]) } },
      h('legend', {}, t('form.templateText', { name: value, channel })),
      h('p', { class: 'help' }, t('form.templateHelp')));
    for (const locale of locales) {
      const path = [...contentPath, locale];
      const fid = nextId(`tpl-${locale}`);
      if (channel === 'sms') {
        box.append(h('div', { class: 'field', dataset: { path: pointer(path) } },
          h('label', { for: fid }, t('form.locale', { locale })),
          h('textarea', { id: fid, class: 'template-text', rows: 3, lang: locale, dataset: { locale }, 'aria-describedby': `${fid}-seg ${fid}-error`,
            oninput: e => this.ctx.change(doc => setIn(doc, path, e.target.value === '' ? undefined : e.target.value), { key: pointer(path) }) }, content[locale] ?? ''),
          h('p', { class: 'help segments', id: `${fid}-seg`, dataset: { template: value, locale } }, this.ctx.templateInfo(value, locale)),
          h('p', { class: 'help preview', 'aria-live': 'polite', dataset: { template: value, locale } }),
          h('div', { class: 'field-error', id: `${fid}-error`, 'aria-live': 'polite' })));
      } else {
        box.append(this.jsonField(path, content[locale], t('form.locale', { locale })));
      }
    }
    box.append(h('div', { class: 'field-error', 'aria-live': 'polite' }));
    return h('div', {}, field, h('datalist', { id: 'template-names' }, names.map(n => h('option', { value: n }))), box);
  }

  /** The trigger: its type, then the fields of that kind of trigger. */
  trigger(path, value) {
    const def = this.schema.$defs[`${value.type}Trigger`] ?? this.schema.$defs.trigger;
    const id = nextId('trigger-type');
    const types = this.schema.$defs.trigger.properties.type.enum;
    return h('fieldset', { class: 'group', dataset: { path: pointer(path) } }, h('legend', {}, label('trigger')),
      h('div', { class: 'field', dataset: { path: pointer([...path, 'type']) } },
        h('label', { for: id }, label('type')),
        h('select', { id, onchange: e => this.ctx.change(doc => setIn(doc, path, { type: e.target.value }), { rerender: true }) },
          types.map(x => h('option', { value: x, selected: x === value.type }, x))),
        h('p', { class: 'help' }, this.schema.$defs.trigger.properties.type.description),
        h('div', { class: 'field-error', 'aria-live': 'polite' })),
      Object.entries(def.properties ?? {}).filter(([n]) => n !== 'type').map(([n, p]) => this.field(path, n, p, def)),
      h('div', { class: 'field-error', 'aria-live': 'polite' }));
  }

  /** Conditions: a comparison (subject, operator, value), or all/any of comparisons; anything deeper is edited as JSON. */
  condition(path, value, id) {
    if (value && (value.all || value.any)) {
      const kind = value.all ? 'all' : 'any';
      const items = value[kind];
      return h('div', { class: 'condition-group' },
        h('label', { for: id }, t('form.cond.combine'),
          h('select', { id, onchange: e => this.ctx.change(doc => setIn(doc, path, { [e.target.value]: getIn(doc, [...path, kind]) }), { rerender: true }) },
            ['all', 'any'].map(k => h('option', { value: k, selected: k === kind }, t(`form.cond.${k}`))))),
        items.map((c, k) => h('div', { class: 'condition-item' }, this.condition([...path, kind, k], c, nextId('cond')),
          h('button', { type: 'button', onclick: () => this.ctx.change(doc => getIn(doc, [...path, kind]).splice(k, 1), { rerender: true }) }, t('form.cond.remove')))),
        h('button', { type: 'button', onclick: () => this.ctx.change(doc => getIn(doc, [...path, kind]).push({ path: 'customer.tier', op: 'eq', value: '' }), { rerender: true }) }, t('form.cond.add')));
    }
    if (!value || value.not || value.path === undefined && Object.keys(value).length) return this.jsonField(path, value, t('form.condition'));
    const subject = subjects.find(s => (s.path ? value.path === s.path : String(value.path ?? '').startsWith(s.prefix))) ?? subjects[subjects.length - 1];
    const rest = subject.prefix !== undefined ? String(value.path ?? '').slice(subject.prefix.length) : '';
    const put = (mutate, opts = {}) => this.ctx.change(doc => { const c = getIn(doc, path); mutate(c); }, opts);
    const subjectSelect = h('select', { id, class: 'cond-subject', onchange: e => put(c => {
      const s = subjects.find(x => x.id === e.target.value);
      c.path = s.path ?? (s.prefix === '' ? c.path : s.prefix + rest);
    }, { rerender: true }) }, subjects.map(s => h('option', { value: s.id, selected: s === subject }, t(`form.cond.subject.${s.id}`))));
    const nameInput = subject.prefix !== undefined
      ? h('input', { class: 'cond-name', 'aria-label': t('form.cond.name'), value: subject.prefix === '' ? value.path ?? '' : rest, list: subject.prefix === '' ? 'known-paths' : undefined,
        oninput: e => put(c => { c.path = subject.prefix + e.target.value; }, { key: `${pointer(path)}/path` }) })
      : null;
    const op = h('select', { class: 'cond-op', 'aria-label': t('form.cond.op'), onchange: e => put(c => {
      c.op = e.target.value;
      if (c.op === 'exists') delete c.value;
      else if ((c.op === 'in' || c.op === 'notIn') && !Array.isArray(c.value)) c.value = c.value === undefined || c.value === '' ? [] : [c.value];
      else if (!(c.op === 'in' || c.op === 'notIn') && Array.isArray(c.value)) c.value = c.value[0] ?? '';
    }, { rerender: true }) }, operators.map(o => h('option', { value: o, selected: o === value.op }, t(`form.cond.op.${o}`))));
    const shown = Array.isArray(value.value) ? value.value.join(', ') : value.value ?? '';
    const literal = value.op === 'exists' ? null : value.valuePath !== undefined
      ? h('input', { class: 'cond-value', 'aria-label': t('form.cond.valuePath'), value: value.valuePath, list: 'known-paths', oninput: e => put(c => { c.valuePath = e.target.value; }, { key: `${pointer(path)}/valuePath` }) })
      : h('input', { class: 'cond-value', 'aria-label': t('form.cond.value'), value: shown, list: subject.id === 'tier' ? 'known-tiers' : undefined,
        oninput: e => put(c => {
          c.value = c.op === 'in' || c.op === 'notIn' ? e.target.value.split(',').map(x => x.trim()).filter(Boolean).map(parseLiteral) : parseLiteral(e.target.value);
        }, { key: `${pointer(path)}/value` }) });
    const group = h('div', { class: 'condition', dataset: { path: pointer(path) } },
      h('label', { for: id, class: 'sr-only' }, t('form.cond.subject')), subjectSelect, nameInput, op, literal);
    // The condition as it is now (typed into since this was drawn), not as it was drawn.
    const toGroup = h('button', { type: 'button', class: 'cond-more', onclick: () => this.ctx.change(doc => setIn(doc, path, { all: [getIn(doc, path)] }), { rerender: true }) }, t('form.cond.more'));
    return h('div', { class: 'condition-box' }, group, toGroup, h('p', { class: 'help' }, t('form.cond.help')));
  }

  /** A map of names to value paths (match, capture). */
  pathMap(path, value) {
    const rows = Object.entries(value);
    return h('div', { class: 'path-map' },
      rows.map(([key, v], k) => h('div', { class: 'path-row' },
        h('input', { 'aria-label': t('form.map.key', { n: k + 1 }), value: key, onchange: e => this.ctx.change(doc => {
          const map = getIn(doc, path); const entries = Object.entries(map).map(([a, b]) => (a === key ? [e.target.value, b] : [a, b]));
          setIn(doc, path, Object.fromEntries(entries));
        }, { rerender: true }) }),
        h('span', { 'aria-hidden': 'true' }, ' = '),
        h('input', { 'aria-label': t('form.map.value', { n: k + 1 }), value: v, list: 'known-paths', oninput: e => this.ctx.change(doc => setIn(doc, [...path, key], e.target.value), { key: pointer([...path, key]) }) }),
        h('button', { type: 'button', onclick: () => this.ctx.change(doc => setIn(doc, [...path, key], undefined), { rerender: true }) }, t('common.remove')))),
      h('button', { type: 'button', onclick: () => this.ctx.change(doc => { let n = 1; while (getIn(doc, [...path, `name${n}`]) !== undefined) n++; setIn(doc, [...path, `name${n}`], 'trigger.data.'); }, { rerender: true }) }, t('form.map.add')));
  }

  /** Anything the form has no field for is edited as JSON in place. */
  jsonField(path, value, title) {
    const id = nextId('json');
    const error = h('div', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
    return h('div', { class: 'field', dataset: { path: pointer(path) } },
      h('label', { for: id }, title, ' ', h('span', { class: 'muted' }, t('form.asJson'))),
      h('textarea', { id, class: 'mono json-field', rows: 4, spellcheck: false, 'aria-describedby': `${id}-error`, onchange: e => {
        try { const v = e.target.value.trim() ? JSON.parse(e.target.value) : undefined; error.textContent = ''; this.ctx.change(doc => setIn(doc, path, v), { rerender: true }); }
        catch (err) { error.textContent = t('common.badJson', { field: title, message: err.message }); }
      } }, value === undefined ? '' : JSON.stringify(value, null, 2)), error);
  }
}

/** Suggestion lists the fields share. */
export function datalists() {
  return [h('datalist', { id: 'known-paths' }, knownPaths.map(p => h('option', { value: p }))),
    h('datalist', { id: 'known-events' }, knownEvents.map(p => h('option', { value: p }))),
    h('datalist', { id: 'known-tiers' }, ['top', 'high', 'gold', 'silver', 'base'].map(p => h('option', { value: p })))];
}

/** Shows each error at the field whose path is its path, or the nearest enclosing field; returns those with no field. */
export function markErrors(container, errors) {
  for (const el of container.querySelectorAll('.field-error')) el.replaceChildren();
  for (const el of container.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of container.querySelectorAll('.has-error')) el.classList.remove('has-error');
  const unplaced = [];
  const fields = new Map([...container.querySelectorAll('[data-path]')].map(el => [el.dataset.path, el]));
  for (const error of errors) {
    let p = error.path ?? '';
    let el;
    for (;;) {
      el = fields.get(p);
      if (el || p === '') break;
      p = p.slice(0, p.lastIndexOf('/'));
    }
    if (!el) { unplaced.push(error); continue; }
    el.classList.add('has-error');
    const slot = [...el.querySelectorAll('.field-error')].find(x => x.closest('[data-path]') === el) ?? el.querySelector('.field-error');
    slot?.append(h('p', { class: 'error', dataset: { errorPath: error.path ?? '' } }, error.message));
    for (const control of el.querySelectorAll('input, select, textarea')) if (control.closest('[data-path]') === el) control.setAttribute('aria-invalid', 'true');
  }
  return unplaced;
}
