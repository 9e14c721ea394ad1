// Small DOM helpers: an element builder, tables, time and JSON formatting.

type AttrValue = string | number | boolean | null | undefined | ((ev: any) => void);
export type Attrs = Record<string, AttrValue>;
export type Kid = Node | string | number | null | undefined | false;

/** Builds an element: `on*` attributes become listeners, `value`/`checked` set properties. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...kids: Kid[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') (el as HTMLInputElement).value = String(v);
    else if (k === 'checked') (el as HTMLInputElement).checked = Boolean(v);
    else el.setAttribute(k === 'testid' ? 'data-testid' : k, v === true ? '' : String(v));
  }
  append(el, kids);
  return el;
}

function append(el: Element, kids: Kid[]): void {
  for (const kid of kids) {
    if (kid == null || kid === false) continue;
    el.append(typeof kid === 'number' ? String(kid) : kid);
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...kids: Kid[]): void {
  el.replaceChildren();
  append(el, kids);
}

/** A table with a header row; each row is a list of cells (or a ready `<tr>`). */
export function table(head: string[], rows: (Kid[] | HTMLTableRowElement)[], attrs: Attrs = {}): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => (Array.isArray(r) ? h('tr', {}, ...r.map((c) => h('td', {}, c))) : r))),
  );
}

export const pretty = (v: unknown): string => (v === undefined ? '' : JSON.stringify(v, null, 2));

/** `HH:MM:SS.mmm` of an RFC 3339 time, in the page's time zone. */
export function clock(at: string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** Runs `f` once `ms` after the last call. */
export function debounce<A extends unknown[]>(f: (...a: A) => void, ms: number): (...a: A) => void {
  let timer: number | undefined;
  return (...a: A) => {
    clearTimeout(timer);
    timer = window.setTimeout(() => f(...a), ms);
  };
}

/** A short status line element whose text and tone can be set. */
export type Note = HTMLElement & { say(text: string, tone?: 'ok' | 'err' | ''): void };
export function note(testid: string): Note {
  const el = h('div', { class: 'note', testid }) as unknown as Note;
  el.say = (text, tone = '') => {
    el.textContent = text;
    el.className = `note ${tone}`;
  };
  return el;
}
