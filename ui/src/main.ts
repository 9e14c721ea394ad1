// Page shell: tabs with hash routing (#live, #data?session=ID), the session selector, the token bar.
import { onUnauthorized, token } from './api';
import { fill, h } from './dom';
import { state, onSessionChange, onSessionsLoaded, refreshSessions, selectSession, sessionIds } from './state';
import { banner, startHealth, streamState } from './banner';
import { liveView } from './live';
import { sessionsView } from './sessions';
import { dataView } from './data';
import { scenariosView } from './scenarios';
import { coverageView } from './coverage';
import { contractView } from './contract';

/** A tab: its hash name, title, root element and what to do when it is shown. */
export interface View {
  id: string;
  title: string;
  el: HTMLElement;
  show(): void;
}

const views: View[] = [liveView(), sessionsView(), dataView(), scenariosView(), coverageView(), contractView()];
let current: View = views[0];

const tabs = h('nav', { class: 'tabs' });
const picker = h('select', { id: 'session-select', testid: 'session-select', title: 'session the views act on' });

const tokenInput = h('input', { type: 'password', placeholder: 'control-plane token', autocomplete: 'off', testid: 'token-input' });
const tokenBar = h(
  'form',
  { class: 'token-bar', hidden: true, testid: 'token-bar' },
  'The control plane wants a token (the one the server printed, or --control-token): ',
  tokenInput,
  h('button', { type: 'submit' }, 'Use token'),
);
tokenBar.addEventListener('submit', (ev) => {
  ev.preventDefault();
  token.set(tokenInput.value.trim());
  tokenBar.hidden = true;
  void refreshSessions();
  current.show();
});
onUnauthorized(() => {
  tokenBar.hidden = false;
});

function renderPicker(): void {
  fill(picker, ...sessionIds().map((id) => h('option', { value: id, selected: id === state.session }, id)));
  picker.value = state.session;
}
picker.addEventListener('change', () => {
  selectSession(picker.value);
  location.hash = hashFor(current.id);
});

function hashFor(view: string): string {
  return state.session === 'default' ? `#${view}` : `#${view}?session=${encodeURIComponent(state.session)}`;
}

/** Applies `#view?session=ID` to the page. */
function route(): void {
  const [name, query] = location.hash.replace(/^#/, '').split('?');
  const session = new URLSearchParams(query ?? '').get('session');
  if (session) selectSession(session);
  current = views.find((v) => v.id === name) ?? views[0];
  for (const v of views) v.el.hidden = v !== current;
  for (const a of tabs.querySelectorAll('a')) a.classList.toggle('active', a.dataset.view === current.id);
  renderPicker();
  current.show();
}

for (const v of views) {
  tabs.append(h('a', { href: `#${v.id}`, 'data-view': v.id, testid: `tab-${v.id}`, onclick: (ev: MouseEvent) => {
    ev.preventDefault();
    location.hash = hashFor(v.id);
  } }, v.title));
}

document.body.append(
  h('header', {}, h('strong', { class: 'brand' }, 'gitpod-mock'), tabs,
    h('label', { class: 'picker' }, 'session ', picker), streamState),
  tokenBar,
  banner,
  h('main', {}, ...views.map((v) => v.el)),
);

onSessionChange(() => {
  renderPicker();
  current.show();
});
onSessionsLoaded(renderPicker);
window.addEventListener('hashchange', route);
void refreshSessions();
setInterval(() => void refreshSessions(), 5000);
startHealth();
route();
