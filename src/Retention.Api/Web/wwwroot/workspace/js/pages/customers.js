// Customers: find one by id; profile with status, tier and consent; the timeline of events, steps, messages and tasks.
import { get, enc } from '../api.js';
import { h, clear, table, badge, formatTime } from '../dom.js';
import { t } from '../i18n.js';
import { failure } from '../common.js';

export async function render(main, [customerId]) {
  main.append(h('h1', {}, t('customers.title')));
  const input = h('input', { id: 'customer-id', value: customerId ?? '', required: true, autocomplete: 'off' });
  main.append(h('form', { class: 'row', role: 'search', onsubmit: e => { e.preventDefault(); location.hash = `#/customers/${enc(input.value.trim())}`; } },
    h('label', { for: 'customer-id' }, t('customers.id'), input), h('button', { type: 'submit', class: 'primary' }, t('customers.search'))));
  if (!customerId) { input.focus(); return; }
  const holder = h('div', { id: 'customer' });
  main.append(holder);
  let profile, timeline;
  try {
    [profile, timeline] = await Promise.all([get(`/api/customers/${enc(customerId)}`), get(`/api/customers/${enc(customerId)}/timeline`)]);
  } catch (e) { holder.append(failure(e, t('customers.title'))); return; }
  const consent = profile.consent ?? {};
  const field = (label, value) => [h('dt', {}, label), h('dd', {}, value ?? '—')];
  holder.append(
    h('section', { class: 'panel', 'aria-labelledby': 'profile-heading' }, h('h2', { id: 'profile-heading' }, t('customers.profile', { id: customerId })),
      h('dl', { class: 'profile' },
        field(t('customers.name'), profile.name), field(t('customers.status'), profile.status ? badge(profile.status) : null),
        field(t('customers.tier'), profile.tier ?? profile.attributes?.tier),
        field(t('customers.consentSms'), consent.sms ? badge(consent.sms, consent.sms === 'opted-in' ? 'active' : 'suppressed') : null),
        field(t('customers.consentEmail'), consent.email ? badge(consent.email, consent.email === 'opted-in' ? 'active' : 'suppressed') : null),
        field(t('customers.locale'), profile.locale), field(t('customers.timeZone'), profile.timeZone), field(t('customers.owner'), profile.ownerId),
        field(t('customers.region'), profile.region))),
    h('h2', {}, t('customers.timeline')),
    table(t('customers.timeline'), [t('timeline.at'), t('timeline.kind'), t('timeline.what'), t('timeline.instance')],
      timeline.map(item => {
        const [group] = item.kind.split(':');
        const status = item.detail?.status;
        return h('tr', { class: `kind-${group}`, dataset: { kind: item.kind } },
          h('td', {}, formatTime(item.at)),
          h('td', {}, t(`timeline.group.${group}`), ' ', h('span', { class: 'muted mono' }, item.kind.split(':')[1] ?? '')),
          h('td', {}, group === 'message' && status ? [badge(t(`message.${status}`), status), ' '] : null, item.summary,
            item.deferredUntil ? h('div', { class: 'deferred-until' }, t('timeline.deferredUntil', { time: formatTime(item.deferredUntil) })) : null),
          h('td', {}, item.instanceId ? h('a', { href: `#/instances/${enc(item.instanceId)}` }, item.instanceId) : ''));
      })));
}
