// Contract view: every method of GET openapi.json with its schemas and example, and a Try form.
import { json, rpc, route } from './api';
import { fill, h, pretty } from './dom';
import { state } from './state';
import type { View } from './main';

type Json = any;
let doc: Json | null = null;
const out = h('div', { testid: 'contract' });
const apiToken = h('input', { type: 'password', size: 24, autocomplete: 'off', testid: 'try-token',
  placeholder: 'API token (with --require-auth)' });

/** Inlines `$ref`s (each at most once per branch, so recursive messages stop) up to a depth. */
function inline(schema: Json, seen: string[] = [], depth = 0): Json {
  if (Array.isArray(schema)) return schema.map((s) => inline(s, seen, depth));
  if (!schema || typeof schema !== 'object') return schema;
  const ref: unknown = schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    const name = ref.split('/').pop() ?? ref;
    if (seen.includes(ref) || depth > 6) return { $ref: name };
    const target = ref.slice(2).split('/').reduce((o: Json, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    return { title: name, ...inline(target, [...seen, ref], depth + 1) };
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(v, seen, depth + 1)]));
}

function firstExample(content: Json): Json {
  if (!content) return undefined;
  if (content.example !== undefined) return content.example;
  const ex = content.examples && Object.values(content.examples)[0];
  return (ex as Json)?.value;
}

function method(path: string, op: Json): HTMLElement {
  const name = path.split('/').pop() ?? path;
  const req = op.requestBody?.content?.['application/json'];
  const res = op.responses?.['200']?.content?.['application/json'];
  const details = h('details', { class: 'method-doc', testid: 'contract-method', 'data-method': name },
    h('summary', {}, h('strong', {}, name), ' ', h('span', { class: 'muted' }, `${path.split('/')[1]} — ${op.summary ?? ''}`)));
  details.addEventListener('toggle', () => {
    if (!details.open || details.dataset.rendered) return;
    details.dataset.rendered = 'yes';
    const example = firstExample(req);
    const input = h('textarea', { rows: 8, spellcheck: 'false', testid: `try-body-${name}` });
    input.value = pretty(example ?? {});
    const result = h('pre', { class: 'json', testid: `try-result-${name}` });
    const send = async () => {
      result.textContent = 'sending…';
      const r = await rpc(path, input.value, state.session, apiToken.value.trim());
      result.className = `json ${r.ok ? 'ok' : 'err'}`;
      result.textContent = `${r.status} ${r.ok ? 'ok' : (r.body?.code ?? '')}\n${r.body === undefined ? r.text : pretty(r.body)}`;
    };
    details.append(
      op.description ? h('p', { class: 'doc' }, op.description) : null as unknown as Node,
      h('div', { class: 'cols' },
        h('section', {}, h('h4', {}, 'Request schema'), h('pre', { class: 'json schema' }, pretty(inline(req?.schema)))),
        h('section', {}, h('h4', {}, 'Response schema'), h('pre', { class: 'json schema' }, pretty(inline(res?.schema))))),
      h('div', { class: 'cols' },
        h('section', {}, h('h4', {}, 'Example request'), h('pre', { class: 'json' }, example === undefined ? '(none)' : pretty(example))),
        h('section', {}, h('h4', {}, 'Example response'), h('pre', { class: 'json' }, pretty(firstExample(res) ?? '(none)')))),
      h('section', { class: 'try' }, h('h4', {}, `Try it (session ${state.session})`), input,
        h('div', { class: 'toolbar' }, h('button', { type: 'button', testid: `try-send-${name}`, onclick: () => void send() }, 'Send')),
        result),
    );
  });
  return details;
}

function render(): void {
  const paths = Object.entries<Json>(doc?.paths ?? {}).filter(([, item]) => item.post);
  fill(
    out,
    h('div', { class: 'toolbar' },
      h('span', { class: 'muted' }, `${doc?.info?.title ?? 'API'} ${doc?.info?.version ?? ''}: ${paths.length} methods, `,
        'each POST /package.Service/Method with a JSON (or binary) body.'),
      h('label', { class: 'muted' }, 'Try forms send the API token ', apiToken)),
    ...paths.map(([p, item]) => method(p, item.post)),
  );
}

export function contractView(): View {
  const el = h('section', { id: 'view-contract' }, out);
  return {
    id: 'contract',
    title: 'Contract',
    el,
    show: () => {
      if (doc) return;
      void json(route('openapi.json')).then(
        (d) => {
          doc = d;
          render();
        },
        (e) => fill(out, h('p', { class: 'err' }, `openapi.json: ${(e as Error).message}`)),
      );
    },
  };
}
