// The reload banner (health's reload object and `reload` events) and the live-stream indicator.
import { call, route } from './api';
import { clock, fill, h } from './dom';

export const banner = h('div', { class: 'banner', hidden: true, testid: 'reload-banner' });
export const streamState = h('span', { class: 'stream', testid: 'stream-state' }, 'connecting…');

interface ReloadError {
  file?: string;
  field?: string;
  reason?: string;
  message?: string;
}

export interface Reload {
  watching?: string[];
  ok?: boolean;
  error?: ReloadError | string | null;
  at?: string | null;
  reloads?: number;
  generation?: number;
  reloadedAt?: string | null;
}

/**
 * Health gives the error as check prints it: a headline, then one `file: where: reason` line
 * per problem. Each line is shown as file and problem; anything else as it came.
 */
function problems(text: string): HTMLElement {
  const [headline, ...lines] = text.split('\n');
  const rows = lines.filter(Boolean).map((line) => {
    const i = line.indexOf(': ');
    return h('tr', { testid: 'reload-problem' },
      h('td', { class: 'mono', testid: 'reload-file' }, i < 0 ? '' : line.slice(0, i)),
      h('td', { testid: 'reload-reason' }, i < 0 ? line : line.slice(i + 2)));
  });
  return h('span', {}, headline, rows.length ? h('table', { class: 'problems' }, h('tbody', {}, ...rows)) : null);
}

export function setStream(open: boolean, text: string): void {
  streamState.textContent = open ? '● live' : `○ ${text}`;
  streamState.className = `stream ${open ? 'ok' : 'err'}`;
  streamState.title = text;
}

/** Shows what the last reload did: a failure with file, field and reason, or when it applied. */
export function showReload(r: Reload | undefined | null): void {
  if (!r) {
    banner.hidden = true;
    return;
  }
  banner.hidden = false;
  if (r.ok === false) {
    banner.className = 'banner err';
    const e = r.error;
    const parts: (Node | string)[] = [h('strong', {}, 'Reload failed'), ' — the last good files keep serving. '];
    if (e && typeof e === 'object') {
      parts.push(
        h('span', { testid: 'reload-file' }, `file: ${e.file ?? '?'}`), ' · ',
        h('span', { testid: 'reload-field' }, `field: ${e.field ?? '?'}`), ' · ',
        h('span', { testid: 'reload-reason' }, `reason: ${e.reason ?? e.message ?? '?'}`),
      );
    } else if (e) {
      parts.push(problems(e));
    }
    if (r.at) parts.push(` (at ${clock(r.at)})`);
    fill(banner, ...parts);
  } else {
    banner.className = 'banner ok';
    const watching = (r.watching ?? []).join(', ');
    fill(
      banner,
      `Watching ${watching || 'nothing'}: `,
      r.reloadedAt ? `reloaded at ${clock(r.reloadedAt)} (generation ${r.generation ?? 0})` : 'no reload yet',
    );
  }
}

/** Reads health once at start; the live stream's `reload` events keep it current after. */
export function startHealth(): void {
  void call(route('health')).then((r) => {
    if (r.ok) showReload(r.body?.reload);
  });
}
