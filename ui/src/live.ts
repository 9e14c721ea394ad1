// Live calls view: rows from the `live` stream and the recent journal, filters, row selection.
import { events, json, route } from './api';
import { clock, fill, h } from './dom';
import { setStream, showReload } from './banner';
import { showDetail, detailPane } from './detail';
import { onSessionsLoaded, refreshSessions, state } from './state';
import type { View } from './main';

/** What a `call` event (and a journal entry) says about one call. */
export interface CallSummary {
  seq: number;
  at: string;
  session: string;
  method: string;
  path: string;
  protocol: string;
  status: number;
  code: string;
  latencyMs: number;
  scenario?: string;
  rule?: number;
  answeredBy?: string;
}

const MAX_ROWS = 2000;
const rows: CallSummary[] = [];
const seen = new Set<string>();
const key = (c: CallSummary) => `${c.session}\u0000${c.seq}`;
const fired = (c: CallSummary) => (c.scenario ? `${c.scenario}#${c.rule ?? '?'}` : '');

const fSession = h('select', { testid: 'filter-session' });
const fMethod = h('input', { type: 'search', placeholder: 'method', testid: 'filter-method', size: 18 });
const fCode = h('input', { type: 'search', placeholder: 'code or status', testid: 'filter-code', size: 14, list: 'seen-codes' });
const fScenario = h('input', { type: 'search', placeholder: 'scenario', testid: 'filter-scenario', size: 14 });
const codes = h('datalist', { id: 'seen-codes' });
const count = h('span', { class: 'muted', testid: 'live-count' });
const body = h('tbody', { testid: 'live-rows' });
let selected = '';

function matches(c: CallSummary): boolean {
  if (fSession.value && c.session !== fSession.value) return false;
  const m = fMethod.value.trim().toLowerCase();
  if (m && !c.method.toLowerCase().includes(m) && !c.path.toLowerCase().includes(m)) return false;
  const code = fCode.value.trim().toLowerCase();
  if (code && c.code.toLowerCase() !== code && String(c.status) !== code) return false;
  const s = fScenario.value.trim().toLowerCase();
  if (s && !fired(c).toLowerCase().includes(s)) return false;
  return true;
}

function row(c: CallSummary): HTMLTableRowElement {
  const tone = c.code === 'ok' ? '' : c.status >= 500 || c.status === 0 ? 'err' : 'warn';
  const tr = h(
    'tr',
    { testid: 'live-row', 'data-session': c.session, 'data-seq': c.seq, 'data-method': c.method, 'data-code': c.code, class: tone },
    h('td', { class: 'mono' }, clock(c.at)),
    h('td', {}, c.session),
    h('td', { class: 'method' }, c.method),
    h('td', { class: 'muted' }, c.protocol),
    h('td', {}, h('span', { class: `code ${tone}` }, `${c.status} ${c.code}`)),
    h('td', { class: 'num' }, c.latencyMs.toFixed(1)),
    h('td', {}, fired(c) + (c.answeredBy ? ` (${c.answeredBy})` : '')),
  );
  if (key(c) === selected) tr.classList.add('selected');
  tr.addEventListener('click', () => {
    selected = key(c);
    for (const el of body.querySelectorAll('tr.selected')) el.classList.remove('selected');
    tr.classList.add('selected');
    void showDetail(c.session, c.seq);
  });
  return tr;
}

function render(): void {
  const shown = rows.filter(matches);
  fill(body, ...shown.slice(0, 500).map(row));
  count.textContent = `${shown.length} of ${rows.length} calls`;
  const known = [...new Set(rows.map((r) => r.code))].sort();
  fill(codes, ...known.map((c) => h('option', { value: c })));
}

function renderSessions(): void {
  const ids = [...new Set([...state.sessions.map((s) => s.id), ...rows.map((r) => r.session), fSession.value].filter(Boolean))].sort();
  const keep = fSession.value;
  fill(fSession, h('option', { value: '' }, 'all sessions'), ...ids.map((id) => h('option', { value: id }, id)));
  fSession.value = keep;
}

/** Adds calls (newest first); returns whether any was new. */
function add(list: CallSummary[]): boolean {
  let added = false;
  for (const c of list) {
    if (seen.has(key(c))) continue;
    seen.add(key(c));
    rows.push(c);
    added = true;
  }
  if (!added) return false;
  rows.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : b.seq - a.seq));
  for (const c of rows.splice(MAX_ROWS)) seen.delete(key(c));
  return true;
}

function onCall(c: CallSummary): void {
  if (!add([c])) return;
  if (!state.sessions.some((s) => s.id === c.session)) void refreshSessions();
  if (matches(c)) {
    body.prepend(row(c));
    while (body.rows.length > 500) body.lastElementChild?.remove();
  }
  count.textContent = `${rows.filter(matches).length} of ${rows.length} calls`;
}

/** Loads the recent journal of every known session, so the view starts with history. */
async function loadJournal(): Promise<void> {
  await refreshSessions();
  const ids = [...new Set(['default', ...state.sessions.map((s) => s.id)])].slice(0, 50);
  const known = new Set(state.sessions.map((s) => s.id));
  const lists = await Promise.all(
    ids.filter((id) => known.has(id)).map((id) =>
      json<{ entries: CallSummary[] }>(route('journal', { session: id, limit: 200 })).then((r) => r.entries ?? [], () => []),
    ),
  );
  if (add(lists.flat())) render();
  renderSessions();
}

export function liveView(): View {
  for (const f of [fMethod, fCode, fScenario]) f.addEventListener('input', render);
  fSession.addEventListener('change', render);
  const el = h(
    'section',
    { id: 'view-live', class: 'split' },
    h(
      'div',
      { class: 'list' },
      h('div', { class: 'toolbar' }, fSession, fMethod, fCode, codes, fScenario,
        h('button', { type: 'button', testid: 'live-clear', onclick: () => {
          rows.length = 0;
          seen.clear();
          render();
        } }, 'Clear'), count),
      h(
        'div',
        { class: 'scroll' },
        h('table', { class: 'grid', testid: 'live-table' },
          h('thead', {}, h('tr', {}, ...['time', 'session', 'method', 'protocol', 'status', 'ms', 'rule fired'].map((t) => h('th', {}, t)))),
          body),
      ),
    ),
    detailPane,
  );
  let loaded = false;
  onSessionsLoaded(renderSessions);
  events(
    route('live'),
    (event, data) => {
      if (event === 'call') onCall(data as CallSummary);
      else if (event === 'reload') showReload(data);
      else if (event === 'lagged') void loadJournal();
    },
    (st, detail) => setStream(st === 'open', detail),
  );
  return {
    id: 'live',
    title: 'Live calls',
    el,
    show() {
      if (!loaded) {
        loaded = true;
        void loadJournal();
      }
    },
  };
}
