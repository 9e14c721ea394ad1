// Scenarios view: loaded scenarios and rule counts, on/off toggles, and a checked editor that loads.
import { call, describe, json, post, route } from './api';
import { debounce, fill, h, note } from './dom';
import { refreshSessions, state } from './state';
import type { View } from './main';

interface RuleInfo {
  rule: number;
  matched: number;
  fired: number;
  summary?: string;
}

interface ScenarioInfo {
  name: string;
  description?: string;
  file?: string;
  source?: string;
  activeServerWide: boolean;
  activeInSession: boolean;
  rules: RuleInfo[];
}

const status = note('scenarios-status');
const list = h('div', { testid: 'scenario-list' });
const editor = h('textarea', {
  testid: 'scenario-editor', rows: 14, spellcheck: 'false',
  placeholder: 'name: my-scenario\nrules:\n  - match: {method: GetEnvironmentClass}\n    when: {nth: 3}\n    error: unavailable',
});
const nameInput = h('input', { type: 'text', placeholder: 'name (if the file has none)', testid: 'scenario-name', size: 24 });
const check = note('scenario-check');

async function toggle(name: string, on: boolean, session: boolean): Promise<void> {
  const url = route(`scenarios/${encodeURIComponent(name)}/${on ? 'activate' : 'deactivate'}`, session ? { session: state.session } : {});
  const r = await post(url);
  status.say(r.ok ? `${name} ${on ? 'on' : 'off'} ${session ? `in ${state.session}` : 'server-wide'}` : describe(r), r.ok ? 'ok' : 'err');
  await load();
  void refreshSessions();
}

function card(s: ScenarioInfo): HTMLElement {
  const box = (session: boolean) => {
    const el = h('input', { type: 'checkbox', checked: session ? s.activeInSession : s.activeServerWide,
      testid: `toggle-${session ? 'session' : 'server'}-${s.name}` });
    el.addEventListener('change', () => void toggle(s.name, el.checked, session));
    return el;
  };
  const on = s.activeServerWide || s.activeInSession;
  return h(
    'article',
    { class: `scenario${on ? ' on' : ''}`, testid: 'scenario', 'data-name': s.name },
    h('header', {},
      h('strong', {}, s.name),
      h('label', {}, box(false), ' server-wide'),
      h('label', {}, box(true), ` in ${state.session}`),
      s.source ? h('button', { type: 'button', class: 'small', onclick: () => {
        editor.value = s.source ?? '';
        nameInput.value = s.name;
        void runCheck();
      } }, 'Edit') : null,
      s.file ? h('span', { class: 'muted mono' }, s.file) : null),
    s.description ? h('p', { class: 'muted' }, s.description) : null,
    h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'rule'), h('th', {}, 'matched'), h('th', {}, 'fired'))),
      h('tbody', {}, ...s.rules.map((r) => h('tr', { testid: 'scenario-rule' },
        h('td', { class: 'num' }, r.rule), h('td', {}, r.summary ?? ''), h('td', { class: 'num' }, r.matched),
        h('td', { class: 'num' }, r.fired))))),
  );
}

async function load(): Promise<void> {
  try {
    const r = await json<{ scenarios: ScenarioInfo[] }>(route('scenarios', { session: state.session }));
    fill(list, ...r.scenarios.map(card));
    list.dataset.session = state.session;
  } catch (e) {
    status.say(`scenarios: ${(e as Error).message}`, 'err');
  }
}

let checking = 0;

async function runCheck(): Promise<void> {
  const text = editor.value;
  const mine = ++checking;
  if (!text.trim()) return check.say('');
  const r = await call(route('scenarios/check'), { method: 'POST', body: text, headers: { 'content-type': 'application/yaml' } });
  if (mine !== checking) return;
  if (!r.ok) return check.say(`check: ${describe(r)}`, 'err');
  if (r.body?.ok) check.say(`ok: ${r.body.name ?? '(no name: give one)'}, ${r.body.rules} rule${r.body.rules === 1 ? '' : 's'}`, 'ok');
  else check.say((r.body?.errors ?? ['invalid']).join('\n'), 'err');
}

async function loadScenario(): Promise<void> {
  const r = await call(route('scenarios', { name: nameInput.value.trim() || undefined }), {
    method: 'POST', body: editor.value, headers: { 'content-type': 'application/yaml' },
  });
  status.say(r.ok ? `loaded ${r.body?.loaded}` : `load: ${describe(r)}`, r.ok ? 'ok' : 'err');
  await load();
}

export function scenariosView(): View {
  editor.addEventListener('input', debounce(() => void runCheck(), 300));
  const el = h(
    'section',
    { id: 'view-scenarios', class: 'split' },
    h('div', { class: 'list' }, h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => void load() }, 'Refresh'), status), list),
    h('aside', { class: 'detail' },
      h('h3', {}, 'Load a scenario'),
      editor,
      h('div', { class: 'toolbar' }, nameInput, h('button', { type: 'button', testid: 'scenario-load', onclick: () => void loadScenario() }, 'Load')),
      check),
  );
  return { id: 'scenarios', title: 'Scenarios', el, show: () => void load() };
}
