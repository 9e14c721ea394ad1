// Data view: each resource's records as a table (from GET resources), create, edit, delete, generate.
import { call, describe, json, route } from './api';
import { fill, h, note, table } from './dom';
import { recordForm, type Violation } from './recordform';
import { state } from './state';
import type { View } from './main';

/** A resource as `GET resources` gives it: the methods it has, and the fields they carry. */
interface Resource {
  name: string;
  key: string;
  message?: string;
  id: string;
  methods?: Partial<Record<'create' | 'get' | 'list' | 'update' | 'delete', string>>;
  /** Record fields a Create (Update) request carries; the rest it cannot set. */
  creates?: string[];
  updates?: string[];
  records: Record<string, unknown>[];
}

const method = (res: Resource, verb: 'create' | 'update' | 'delete'): string | undefined =>
  res.methods ? res.methods[verb]?.split('/').pop() : verb;

const SHOWN = 200;
const status = note('data-status');
const tables = h('div', { class: 'resources' });
const editor = h('div', { class: 'editor-slot' });

function cell(v: unknown): string {
  if (v === undefined) return '';
  let s: string;
  if (typeof v === 'string') s = v;
  else if (Array.isArray(v) && v.every((x) => x && typeof x === 'object' && 'key' in x)) {
    s = v.map((x) => `${x.key}=${x.value ?? ''}`).join(', '); // FieldValue lists, as key=value
  } else s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** The id first, then plain values, then nested ones, each group in the export's order. */
function columns(records: Record<string, unknown>[], id = 'id'): string[] {
  const cols = new Set<string>();
  for (const r of records.slice(0, 50)) for (const k of Object.keys(r)) cols.add(k);
  const nested = (k: string) => records.slice(0, 50).some((r) => r[k] !== null && typeof r[k] === 'object');
  const rank = (k: string) => (k === id ? 0 : nested(k) ? 2 : 1);
  return [...cols].sort((a, b) => rank(a) - rank(b));
}

/** The record with its fields in column order, so the form reads like the table. */
const ordered = (rec: Record<string, unknown>, cols: string[]): Record<string, unknown> =>
  Object.fromEntries([...cols.filter((c) => c in rec), ...Object.keys(rec).filter((k) => !cols.includes(k))].map((k) => [k, structuredClone(rec[k])]));

function openForm(res: Resource, record: Record<string, unknown>, editing: boolean): void {
  const id = String(record[res.id] ?? '');
  const carried = editing ? res.updates : res.creates;
  const via = method(res, editing ? 'update' : 'create');
  const form = recordForm(record, {
    idField: res.id,
    editing,
    editable: carried ? new Set(carried) : null,
    title: editing ? `Edit ${res.name} ${id} (saved with ${via})` : `New ${res.name} (created with ${via})`,
    onCancel: () => fill(editor),
    onSave: async () => {
      const read = form.read();
      if ('field' in read) return form.showErrors([{ field: read.field, message: read.message }]);
      const url = editing
        ? route(`records/${res.name}/${encodeURIComponent(id)}`, { session: state.session })
        : route(`records/${res.name}`, { session: state.session });
      const r = await call(url, { method: editing ? 'PUT' : 'POST', body: JSON.stringify(read.record), headers: { 'content-type': 'application/json' } });
      if (!r.ok) {
        const vs: Violation[] = Array.isArray(r.body?.violations) ? r.body.violations : [];
        form.showErrors(vs, describe(r));
        return;
      }
      fill(editor);
      const newId = r.body?.answer?.id ?? r.body?.answer?.[res.id] ?? id;
      status.say(`${editing ? 'saved' : 'created'} ${res.name} ${String(newId)} with ${r.body?.method ?? via}`, 'ok');
      await load();
    },
  });
  fill(editor, form.el);
  form.el.scrollIntoView({ block: 'nearest' });
}

function resourceTable(res: Resource): HTMLElement {
  const cols = columns(res.records, res.id);
  const count = h('input', { type: 'number', min: 1, max: 1000, value: 10, size: 5, testid: `generate-count-${res.name}` });
  const rows = res.records.slice(0, SHOWN).map((rec) => {
    const id = String(rec[res.id] ?? '');
    const del = h('button', { type: 'button', testid: 'record-delete' }, 'Delete');
    del.addEventListener('click', async () => {
      if (del.dataset.armed !== 'yes') {
        del.dataset.armed = 'yes';
        del.textContent = 'Really delete?';
        return;
      }
      const r = await call(route(`records/${res.name}/${encodeURIComponent(id)}`, { session: state.session }), { method: 'DELETE' });
      status.say(r.ok ? `deleted ${res.name} ${id}` : describe(r), r.ok ? 'ok' : 'err');
      await load();
    });
    return h(
      'tr',
      { testid: 'record-row', 'data-resource': res.name, 'data-id': id },
      h('td', {}, h('div', { class: 'actions' },
        method(res, 'update') ? h('button', { type: 'button', testid: 'record-edit', onclick: () => openForm(res, ordered(rec, cols), true) }, 'Edit') : null,
        method(res, 'delete') ? del : null)),
      ...cols.map((c) => h('td', { class: c === res.id ? 'mono' : '', title: typeof rec[c] === 'string' ? String(rec[c]) : undefined }, cell(rec[c]))),
    );
  });
  /** A new record: the fields Create carries, filled from the first record as an example. */
  const template = () => {
    const first = res.records[0] ?? {};
    const fields = res.creates ?? cols.filter((c) => c !== res.id);
    return Object.fromEntries(fields.map((f) => [f, f in first ? structuredClone(first[f]) : '']));
  };
  return h(
    'section',
    { class: 'resource', testid: `resource-${res.name}` },
    h('h3', {}, `${res.name} `, h('span', { class: 'muted' }, `(${res.records.length}${res.records.length > SHOWN ? `, first ${SHOWN} shown` : ''})`),
      h('span', { class: 'toolbar inline' },
        method(res, 'create') ? h('button', { type: 'button', testid: `create-${res.name}`, onclick: () => openForm(res, template(), false) }, 'Create') : null,
        count,
        h('button', { type: 'button', testid: `generate-${res.name}`, onclick: async () => {
          const r = await call(route('generate', { session: state.session, resource: res.name, count: count.value }), { method: 'POST' });
          status.say(r.ok ? `generated ${r.body?.generated} ${res.name}` : describe(r), r.ok ? 'ok' : 'err');
          await load();
        } }, 'Generate N'))),
    h('div', { class: 'scroll-x' },
      h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, ''), ...cols.map((c) => h('th', {}, c)))), h('tbody', {}, ...rows))),
  );
}

let ticket = 0;

async function load(): Promise<void> {
  const mine = ++ticket;
  try {
    const r = await json<{ resources: Resource[]; runners?: Record<string, unknown>[] }>(route('resources', { session: state.session }));
    if (mine !== ticket) return;
    const runners = r.runners ?? [];
    const rcols = columns(runners);
    fill(
      tables,
      ...r.resources.map(resourceTable),
      h('section', { class: 'resource', testid: 'resource-runners' }, h('h3', {}, 'runners ', h('span', { class: 'muted' }, '(read-only)')),
        h('div', { class: 'scroll-x' }, table(rcols, runners.map((x) => rcols.map((c) => cell(x[c]))), { class: 'grid' }))),
    );
    tables.dataset.session = state.session;
  } catch (e) {
    if (mine === ticket) status.say(`resources: ${(e as Error).message}`, 'err');
  }
}

export function dataView(): View {
  const el = h('section', { id: 'view-data' },
    h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => void load() }, 'Refresh'), status),
    editor, tables);
  return {
    id: 'data',
    title: 'Data',
    el,
    show: () => {
      fill(editor);
      void load();
    },
  };
}
