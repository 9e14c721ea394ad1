// Coverage view: methods × codes from the session's coverage matrix, gaps highlighted.
import { json, route } from './api';
import { fill, h, note } from './dom';
import { state } from './state';
import type { View } from './main';

interface Coverage {
  methods: Record<string, number>;
  methodsNotCalled: string[];
  codes: Record<string, number>;
  scenarios: Record<string, number>;
  matrix?: Record<string, Record<string, number>>;
  errorPathsNotExercised?: { method: string; code: string }[];
}

const status = note('coverage-status');
const out = h('div', { testid: 'coverage' });

function render(c: Coverage): void {
  // Before the server had a matrix, only per-method totals: shown under "calls".
  const matrix: Record<string, Record<string, number>> = c.matrix ?? Object.fromEntries(Object.entries(c.methods).map(([m, n]) => [m, { calls: n }]));
  const gaps = new Set((c.errorPathsNotExercised ?? []).map((g) => `${g.method}\u0000${g.code}`));
  const notCalled = new Set(c.methodsNotCalled);
  const methods = [...new Set([...Object.keys(matrix), ...c.methodsNotCalled, ...(c.errorPathsNotExercised ?? []).map((g) => g.method)])].sort();
  const codeSet = new Set<string>(['ok']);
  for (const m of Object.values(matrix)) for (const k of Object.keys(m)) codeSet.add(k);
  for (const g of c.errorPathsNotExercised ?? []) codeSet.add(g.code);
  const codes = [...codeSet].sort((a, b) => (a === 'ok' ? -1 : b === 'ok' ? 1 : a.localeCompare(b)));
  const rows = methods.map((m) =>
    h('tr', { class: notCalled.has(m) ? 'never' : '', testid: 'coverage-row', 'data-method': m },
      h('th', { class: 'method' }, m, notCalled.has(m) ? h('span', { class: 'tag' }, 'never called') : null),
      ...codes.map((code) => {
        const n = matrix[m]?.[code] ?? 0;
        const gap = gaps.has(`${m}\u0000${code}`);
        return h('td', { class: `num${n ? ' hit' : ''}${gap ? ' gap' : ''}`, 'data-code': code,
          title: gap ? `${m}: the ${code} error path was never exercised` : `${m} → ${code}: ${n}` }, n || (gap ? '·' : ''));
      })));
  const called = methods.length - notCalled.size;
  fill(
    out,
    h('p', {}, `${called} of ${methods.length} methods called; `,
      `${gaps.size} documented error paths not exercised (dotted cells); scenarios fired: `,
      Object.entries(c.scenarios).map(([s, n]) => `${s} ×${n}`).join(', ') || 'none'),
    h('div', { class: 'scroll-x' },
      h('table', { class: 'grid matrix' }, h('thead', {}, h('tr', {}, h('th', {}, 'method'), ...codes.map((k) => h('th', {}, k)))),
        h('tbody', {}, ...rows))),
  );
}

async function load(): Promise<void> {
  try {
    render(await json<Coverage>(route('coverage', { session: state.session })));
    out.dataset.session = state.session;
    status.say(`session ${state.session}`);
  } catch (e) {
    status.say(`coverage: ${(e as Error).message}`, 'err');
  }
}

export function coverageView(): View {
  const el = h('section', { id: 'view-coverage' },
    h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => void load() }, 'Refresh'), status), out);
  return { id: 'coverage', title: 'Coverage', el, show: () => void load() };
}
