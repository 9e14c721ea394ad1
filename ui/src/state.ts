// The page's shared state: the selected session and the known sessions, with change listeners.
import { json, route } from './api';

export interface SessionInfo {
  id: string;
  records: number;
  journalEntries: number;
  idleMs: number;
  activeScenarios: string[];
  followsFiles: boolean;
}

type Listener = () => void;
const sessionListeners: Listener[] = [];
const listListeners: Listener[] = [];

export const state = {
  session: 'default',
  sessions: [] as SessionInfo[],
};

export function onSessionChange(f: Listener): void {
  sessionListeners.push(f);
}

export function onSessionsLoaded(f: Listener): void {
  listListeners.push(f);
}

export function selectSession(id: string): void {
  if (!id || id === state.session) return;
  state.session = id;
  for (const f of sessionListeners) f();
}

/** Session ids for selectors: "default", the selected one, and every known session. */
export function sessionIds(): string[] {
  const ids = new Set(['default', state.session, ...state.sessions.map((s) => s.id)]);
  return [...ids].sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)));
}

let loading: Promise<void> | null = null;

/** Reloads `GET sessions` (one request at a time) and tells the listeners. */
export function refreshSessions(): Promise<void> {
  loading ??= json<{ sessions: SessionInfo[] }>(route('sessions'))
    .then((r) => {
      state.sessions = r.sessions ?? [];
      for (const f of listListeners) f();
    })
    .catch(() => {})
    .finally(() => (loading = null));
  return loading;
}
