// Sessions view: counts, idle time, follows files; reset, drop, export and import of each session.
import { call, describe, route } from './api';
import { duration, fill, h, note } from './dom';
import { onSessionsLoaded, refreshSessions, selectSession, state, type SessionInfo } from './state';
import type { View } from './main';

const status = note('sessions-status');
const body = h('tbody', { testid: 'sessions-rows' });

async function act(what: string, f: () => Promise<{ ok: boolean; status: number; text: string; body: any }>): Promise<void> {
  const r = await f();
  status.say(r.ok ? `${what}: done` : `${what}: ${describe(r)}`, r.ok ? 'ok' : 'err');
  await refreshSessions();
}

async function exportState(id: string): Promise<void> {
  const r = await call(route('state', { session: id }));
  if (!r.ok) return status.say(`export ${id}: ${describe(r)}`, 'err');
  const url = URL.createObjectURL(new Blob([r.text], { type: 'application/json' }));
  const a = h('a', { href: url, download: `gitpod-mock-${id}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  status.say(`exported ${id} (${r.text.length} bytes)`, 'ok');
}

function importState(id: string): void {
  const input = h('input', { type: 'file', accept: 'application/json,.json', testid: 'import-file' });
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    const text = await file.text();
    await act(`import ${file.name} into ${id}`, () =>
      call(route('state', { session: id }), { method: 'PUT', body: text, headers: { 'content-type': 'application/json' } }));
    input.remove();
  });
  input.hidden = true;
  document.body.append(input);
  input.click();
}

function row(s: SessionInfo): HTMLTableRowElement {
  const id = encodeURIComponent(s.id);
  const btn = (label: string, f: () => void) => h('button', { type: 'button', testid: `session-${label}`, onclick: f }, label);
  return h(
    'tr',
    { testid: 'session-row', 'data-session': s.id, class: s.id === state.session ? 'selected' : '' },
    h('td', { class: 'mono' }, h('a', { href: '#', onclick: (ev: Event) => {
      ev.preventDefault();
      selectSession(s.id);
    } }, s.id)),
    h('td', { class: 'num' }, s.records),
    h('td', { class: 'num' }, s.journalEntries),
    h('td', { class: 'num', title: (s.activeScenarios ?? []).join(', ') }, (s.activeScenarios ?? []).length),
    h('td', { class: 'num' }, duration(s.idleMs)),
    h('td', {}, s.followsFiles ? 'follows files' : h('strong', {}, 'has own changes')),
    h(
      'td',
      {},
      h('div', { class: 'actions' },
      btn('reset', () => void act(`reset ${s.id}`, () => call(route(`sessions/${id}/reset`), { method: 'POST' }))),
      btn('drop', () => void act(`drop ${s.id}`, () => call(route(`sessions/${id}`), { method: 'DELETE' }))),
      btn('export', () => void exportState(s.id)),
      btn('import', () => importState(s.id))),
    ),
  );
}

function render(): void {
  const list = [...state.sessions];
  if (!list.some((s) => s.id === state.session)) {
    fill(body, ...list.map(row), h('tr', { class: 'muted' }, h('td', { colspan: 7 },
      `${state.session}: not started yet (its first call or import creates it) `,
      h('button', { type: 'button', testid: 'session-import', onclick: () => importState(state.session) }, 'import'))));
    return;
  }
  fill(body, ...list.map(row));
}

export function sessionsView(): View {
  onSessionsLoaded(render);
  const el = h(
    'section',
    { id: 'view-sessions' },
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', onclick: () => void refreshSessions() }, 'Refresh'),
      h('button', { type: 'button', testid: 'reset-all', onclick: () => void act('reset every session', () => call(route('reset'), { method: 'POST' })) }, 'Reset all'),
      status),
    h(
      'table',
      { class: 'grid', testid: 'sessions-table' },
      h('thead', {}, h('tr', {}, ...['session', 'records', 'journal', 'active scenarios', 'idle', 'files', ''].map((t) => h('th', {}, t)))),
      body,
    ),
  );
  return { id: 'sessions', title: 'Sessions', el, show: () => void refreshSessions().then(render) };
}
