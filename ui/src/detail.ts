// The call detail pane: request and response as proto3 JSON, headers, "Copy as curl", violations.
import { describe, call, route } from './api';
import { fill, h, pretty, table } from './dom';
import { learnSummaries, whyPanel, type Why } from './why';
import type { CallSummary } from './live';

/** A whole journal entry, as `GET journal?seq=N` gives it: the summary and the bodies. */
export interface Entry extends CallSummary {
  headers?: Record<string, string>;
  request?: unknown;
  response?: unknown;
  truncated?: boolean;
  responseTruncated?: boolean;
  violations?: { field: string; message: string }[];
  why?: Why;
}

export const detailPane = h('aside', { class: 'detail', testid: 'detail' }, h('p', { class: 'muted' }, 'Click a call to see it.'));

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A Connect JSON curl command that makes the same call again, on this page's origin. */
export function curlFor(e: Entry): string {
  const url = new URL(`../../${e.path.replace(/^\//, '')}`, location.href).href;
  const lines = [
    `curl -X POST ${shellQuote(url)}`,
    `-H 'content-type: application/json'`,
    `-H ${shellQuote(`x-mock-session: ${e.session}`)}`,
    `-d ${shellQuote(JSON.stringify(e.request ?? {}))}`,
  ];
  return lines.join(' \\\n  ');
}

function block(title: string, testid: string, value: unknown, truncated?: boolean): HTMLElement {
  return h(
    'section',
    {},
    h('h4', {}, title, truncated ? h('span', { class: 'warn' }, ' (truncated)') : null),
    h('pre', { class: 'json', testid }, value === undefined ? '(not recorded)' : pretty(value)),
  );
}

let showing = 0;

/** Fetches one entry and shows it; a slower earlier fetch never overwrites a later one. */
export async function showDetail(session: string, seq: number): Promise<void> {
  const ticket = ++showing;
  fill(detailPane, h('p', { class: 'muted' }, `Loading ${session} #${seq}…`));
  const r = await call<{ entries: Entry[] }>(route('journal', { session, seq }));
  if (ticket !== showing) return;
  const e = r.ok ? r.body.entries?.find((x) => x.seq === seq) : undefined;
  if (!e) {
    fill(detailPane, h('p', { class: 'err' }, r.ok ? `Call #${seq} is no longer in ${session}'s journal.` : describe(r)));
    return;
  }
  await learnSummaries(e.why, session);
  if (ticket !== showing) return;
  const curl = curlFor(e);
  const curlText = h('pre', { class: 'curl', testid: 'curl' }, curl);
  const copied = h('span', { class: 'muted' });
  fill(
    detailPane,
    h('h3', { testid: 'detail-title' }, `${e.method} `, h('span', { class: 'muted' }, `${e.session} #${e.seq}`)),
    h(
      'p',
      { class: 'meta' },
      `${e.at} · ${e.protocol} · `,
      h('strong', {}, `${e.status} ${e.code}`),
      ` · ${e.latencyMs.toFixed(1)} ms`,
      e.scenario ? ` · fired ${e.scenario}#${e.rule}` : '',
      e.answeredBy ? ` · answered by ${e.answeredBy}` : '',
    ),
    whyPanel(e),
    e.violations?.length
      ? h('section', {}, h('h4', {}, 'Violations'),
        table(['field', 'message'], e.violations.map((v) => [v.field, v.message]), { class: 'grid', testid: 'detail-violations' }))
      : null,
    block('Request', 'detail-request', e.request, e.truncated),
    block('Response', 'detail-response', e.response, e.responseTruncated),
    h('section', {}, h('h4', {}, 'Request headers'),
      table(['name', 'value'], Object.entries(e.headers ?? {}).map(([k, v]) => [k, v]), { class: 'grid headers', testid: 'detail-headers' })),
    h(
      'section',
      {},
      h('h4', {}, 'Copy as curl ',
        h('button', { type: 'button', testid: 'copy-curl', onclick: async () => {
          try {
            await navigator.clipboard.writeText(curl);
            copied.textContent = 'copied';
          } catch {
            getSelection()?.selectAllChildren(curlText);
            copied.textContent = 'selected: press Ctrl+C';
          }
        } }, 'Copy as curl'), ' ', copied),
      curlText,
    ),
  );
}
