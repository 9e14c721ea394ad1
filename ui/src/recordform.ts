// The record editor: one input per field of the record, and each rule violation shown at its field.
import { h, pretty } from './dom';

export interface Violation {
  field: string;
  message: string;
}

type Kind = 'string' | 'number' | 'boolean' | 'json';
const kindOf = (v: unknown): Kind =>
  typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'json';

/** The record field a violation path names: `configuration[0].key` → `configuration`. */
export const topField = (path: string): string => path.split(/[.[]/)[0];

export interface RecordForm {
  el: HTMLFormElement;
  /** The record the inputs describe, or the name of the field that does not parse. */
  read(): { record: Record<string, unknown> } | { field: string; message: string };
  showErrors(vs: Violation[], message?: string): void;
}

/** A form for `record`; `idField` is read-only when editing. */
export function recordForm(
  record: Record<string, unknown>,
  opts: {
    idField: string;
    editing: boolean;
    /** The fields the request carries (null: all); the others are shown but cannot change. */
    editable: Set<string> | null;
    onSave: () => void;
    onCancel: () => void;
    title: string;
  },
): RecordForm {
  const fields = Object.keys(record);
  const inputs = new Map<string, { kind: Kind; el: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement }>();
  const errors = new Map<string, HTMLElement>();
  const general = h('div', { class: 'err', testid: 'form-error' });
  const form = h('form', { class: 'record-form', testid: 'record-form' }, h('h4', {}, opts.title));
  for (const f of fields) {
    const v = record[f];
    const kind = kindOf(v);
    let el: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
    if (kind === 'boolean') {
      el = h('select', {}, h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
      el.value = String(v);
    } else if (kind === 'json') {
      el = h('textarea', { rows: Math.min(8, pretty(v).split('\n').length), spellcheck: 'false' });
      el.value = pretty(v);
    } else {
      el = h('input', { type: kind === 'number' ? 'number' : 'text', value: String(v ?? ''), step: 'any' });
    }
    el.name = f;
    el.dataset.field = f;
    el.dataset.testid = `field-${f}`;
    const fixed = (opts.editing && f === opts.idField) || (opts.editable !== null && !opts.editable.has(f));
    if (fixed) {
      el.disabled = true;
      el.title = f === opts.idField ? 'the record id' : 'this method does not change it';
    }
    const err = h('div', { class: 'field-error', 'data-error-for': f, testid: `error-${f}` });
    if (!fixed) inputs.set(f, { kind, el });
    errors.set(f, err);
    form.append(h('label', { class: 'field' }, h('span', { class: 'name' }, f), el, err));
  }
  form.append(
    general,
    h('div', { class: 'toolbar' },
      h('button', { type: 'submit', testid: 'record-save' }, 'Save'),
      h('button', { type: 'button', testid: 'record-cancel', onclick: opts.onCancel }, 'Cancel')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    opts.onSave();
  });
  return {
    el: form,
    read() {
      const out: Record<string, unknown> = {};
      for (const [f, { kind, el }] of inputs) {
        const raw = el.value;
        if (kind === 'string') {
          if (raw !== '' || record[f] !== '') out[f] = raw; // an empty field left empty is left out
        } else if (kind === 'number') out[f] = Number(raw);
        else if (kind === 'boolean') out[f] = raw === 'true';
        else if (raw.trim() !== '') {
          try {
            out[f] = JSON.parse(raw);
          } catch (e) {
            return { field: f, message: `not JSON: ${(e as Error).message}` };
          }
        }
      }
      return { record: out };
    },
    showErrors(vs, message) {
      for (const err of errors.values()) err.textContent = '';
      for (const { el } of inputs.values()) el.classList.remove('invalid');
      const stray: string[] = [];
      for (const v of vs) {
        const f = topField(v.field);
        const err = errors.get(f);
        if (!err) {
          stray.push(`${v.field}: ${v.message}`);
          continue;
        }
        err.textContent = [err.textContent, v.field === f ? v.message : `${v.field}: ${v.message}`].filter(Boolean).join('; ');
        inputs.get(f)?.el.classList.add('invalid');
      }
      general.textContent = [vs.length ? '' : message, ...stray].filter(Boolean).join('; ');
    },
  };
}
