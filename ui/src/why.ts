// The Why panel: each active scenario rule, whether it fired for this call, and if not, why not.
import { h, table } from './dom';

export interface WhyRule {
  scenario: string;
  rule: number;
  fired: boolean;
  reason?: string;
}

export interface Why {
  rules: WhyRule[];
  omitted?: number;
}

export function whyPanel(e: { why?: Why; scenario?: string; rule?: number }): HTMLElement {
  const rules = e.why?.rules ?? [];
  const omitted = e.why?.omitted ?? 0;
  const body = rules.length
    ? table(
      ['rule', 'fired', 'why not'],
      rules.map((r) =>
        h(
          'tr',
          { class: r.fired ? 'fired' : '', testid: 'why-rule', 'data-rule': `${r.scenario}#${r.rule}`, 'data-fired': String(r.fired) },
          h('td', { class: 'mono' }, `${r.scenario}#${r.rule}`),
          h('td', {}, r.fired ? h('strong', { class: 'ok' }, 'fired') : 'no'),
          h('td', { class: 'reason' }, r.fired ? '' : (r.reason ?? '')),
        ),
      ),
      { class: 'grid' },
    )
    : h('p', { class: 'muted' }, e.scenario ? `Rule ${e.scenario}#${e.rule} fired.` : 'No scenario was active for this call.');
  return h(
    'section',
    { class: 'why', testid: 'why' },
    h('h4', {}, 'Why'),
    body,
    omitted ? h('p', { class: 'muted' }, `${omitted} more rules not listed.`) : null,
  );
}
