// The Why panel: each active scenario rule, whether it fired for this call, and if not, why not.
import { json, route } from './api';
import { h, table } from './dom';

/** One-line rule summaries (`GET scenarios`), by `scenario#rule`, for the table's second column. */
const summaries = new Map<string, string>();

/** Fetches the summaries when a rule of `why` has none yet (a scenario loaded since). */
export async function learnSummaries(why: Why | undefined, session: string): Promise<void> {
  if (!why?.rules.some((r) => !summaries.has(`${r.scenario}#${r.rule}`))) return;
  try {
    const r = await json<{ scenarios: { name: string; rules: { rule: number; summary?: string }[] }[] }>(route('scenarios', { session }));
    for (const s of r.scenarios) for (const rule of s.rules) summaries.set(`${s.name}#${rule.rule}`, rule.summary ?? '');
  } catch {
    // The table shows without summaries.
  }
}

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
      ['rule', 'what it does', 'fired', 'why not'],
      rules.map((r) =>
        h(
          'tr',
          { class: r.fired ? 'fired' : '', testid: 'why-rule', 'data-rule': `${r.scenario}#${r.rule}`, 'data-fired': String(r.fired) },
          h('td', { class: 'mono' }, `${r.scenario}#${r.rule}`),
          h('td', { class: 'reason muted' }, summaries.get(`${r.scenario}#${r.rule}`) ?? ''),
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
