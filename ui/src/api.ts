// Control-plane requests: relative URLs, the bearer token, JSON replies and the SSE reader.

const TOKEN_KEY = 'gitpod-mock-control-token';
let unauthorized: () => void = () => {};

/** Who waits for a new token (the live stream, after a 401, instead of retrying each second). */
const waiting: (() => void)[] = [];

export const token = {
  get: (): string => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (t: string): void => {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
    for (const wake of waiting.splice(0)) wake();
  },
};

const nextToken = (): Promise<void> => new Promise((r) => waiting.push(r));

/** What to do when the control plane answers 401 or 403 (ask for a token). */
export function onUnauthorized(f: () => void): void {
  unauthorized = f;
}

function withToken(extra: Record<string, string> = {}): Record<string, string> {
  const t = token.get();
  return t ? { ...extra, authorization: `Bearer ${t}` } : extra;
}

/** A control-plane route relative to the page at /__mock/ui/, with query parameters. */
export function route(path: string, params: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `../${path}${s ? `?${s}` : ''}`;
}

/** An RPC path (`/gitpod.v1.X/Method`) relative to the page, so any host and prefix work. */
export const rpcUrl = (path: string): string => `../../${path.replace(/^\//, '')}`;

export interface Reply<T = any> {
  status: number;
  ok: boolean;
  body: T;
  text: string;
}

export interface Init {
  method?: string;
  body?: string | Blob;
  headers?: Record<string, string>;
}

/** Fetches a control-plane route; the reply's JSON (if any) is parsed, never thrown on. */
export async function call<T = any>(url: string, init: Init = {}): Promise<Reply<T>> {
  const res = await fetch(url, { method: init.method ?? 'GET', body: init.body, headers: withToken(init.headers) });
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.status === 401 || res.status === 403) unauthorized();
  return { status: res.status, ok: res.ok, body, text };
}

/** An RPC call from the page (Try form): no token prompt, since a 403 is the API's answer. */
export async function rpc(path: string, body: string, session: string, auth = ''): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-mock-session': session };
  if (auth) headers.authorization = `Bearer ${auth}`;
  const res = await fetch(rpcUrl(path), { method: 'POST', body, headers });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, ok: res.ok, body: parsed, text };
}

export class ApiError extends Error {
  constructor(readonly reply: Reply) {
    super(describe(reply));
  }
}

/** `400 invalid_argument: message` for an error reply. */
export function describe(r: Reply): string {
  const b = r.body;
  if (b && typeof b === 'object' && 'code' in b) return `${r.status} ${b.code}: ${b.message ?? ''}`;
  return `${r.status} ${r.text.slice(0, 200)}`;
}

/** GETs (or sends) and returns the JSON body, throwing ApiError on a non-2xx answer. */
export async function json<T = any>(url: string, init: Init = {}): Promise<T> {
  const r = await call<T>(url, init);
  if (!r.ok) throw new ApiError(r);
  return r.body;
}

export const post = <T = any>(url: string, body?: unknown): Promise<Reply<T>> =>
  call<T>(url, {
    method: 'POST',
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
  });

/**
 * Reads a server-sent event stream with fetch (so the token header goes along, which
 * EventSource cannot do) and reconnects a second after it ends. Returns a stop function.
 */
export function events(
  url: string,
  on: (event: string, data: any) => void,
  status: (state: 'open' | 'closed', detail: string) => void,
): () => void {
  let stopped = false;
  let ctrl = new AbortController();
  const dispatch = (block: string) => {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (!data.length) return;
    let parsed: any;
    try {
      parsed = JSON.parse(data.join('\n'));
    } catch {
      parsed = data.join('\n');
    }
    on(event, parsed);
  };
  const run = async () => {
    while (!stopped) {
      ctrl = new AbortController();
      try {
        const res = await fetch(url, { headers: withToken({ accept: 'text/event-stream' }), signal: ctrl.signal, cache: 'no-store' });
        if (res.status === 401 || res.status === 403) {
          unauthorized();
          status('closed', 'needs the control-plane token');
          await nextToken();
          continue;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        status('open', 'live');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value.replace(/\r\n?/g, '\n');
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            dispatch(buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
        }
        status('closed', 'stream ended; reconnecting');
      } catch (e) {
        if (stopped) return;
        status('closed', `disconnected (${(e as Error).message}); reconnecting`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void run();
  return () => {
    stopped = true;
    ctrl.abort();
  };
}
