/**
 * Result types, statistics, goal checks and Markdown rendering shared by the Node bench (cpu,
 * webgpu), the browser page (webgl) and the puppeteer driver. No tfjs import here: the driver only
 * renders.
 */

/** forward / gradient: the two ops; floor: one tf.mul plus one tf.sum of the same size. */
export type Group = 'forward'|'gradient'|'floor';
/** ours: the package's op; composite: stock tfjs ops; floor: mul+sum; loop: plain Float32Array JS. */
export type Role = 'ours'|'composite'|'floor'|'loop';

export interface CaseResult {
  /** e.g. 'ours.grad', 'composite.grad.maskMul', 'floor.mulSum', 'loop.grad'. */
  id: string;
  label: string;
  group: Group;
  role: Role;
  /** Only the rows with main=true go into the main table (the others are variants). */
  main: boolean;
  n: number;
  /** Per-call times (ms) of every timed sample (each sample = callsPerSample calls / count). */
  samplesMs: number[];
  callsPerSample: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Kernels per call: tf.profile(...).kernels.length (null for the JS loops). */
  kernels: number|null;
  /** Their names, e.g. 'Sub×4, RealDiv×2, ...'. */
  kernelNames?: string;
  /**
   * GPU work of one timed iteration, read-backs included: webgl, backend.runWebGLProgram calls;
   * webgpu, compute dispatches.
   */
  programs: number|null;
  /** Their program classes, e.g. 'FakeQuantProgram, SliceProgram, DecodeMatrixProgram'. */
  programNames?: string;
  /** tf.profile peakBytes minus the engine's bytes before the call (null for the JS loops). */
  peakExtraBytes: number|null;
  /**
   * GPU backends with timer queries: median tf.time(...).kernelMs of the op over a few untimed
   * iterations.
   */
  kernelMs: number|null;
}

export interface Check {
  n: number;
  what: string;
  detail: string;
  ok: boolean;
}

export interface BenchMeta {
  backend: string;
  /** Short description of the machine, e.g. '2-core VM, no GPU' or the WebGL renderer. */
  machine: string;
  /** Extra facts: cpu model, user agent, renderer, flags, tfjs version... */
  details: Record<string, string|number|boolean>;
  date: string;
  quick: boolean;
  sizes: number[];
  options: Record<string, number|string|boolean>;
  totalSeconds?: number;
}

export interface BenchResult {
  meta: BenchMeta;
  results: CaseResult[];
  checks: Check[];
  goals?: Goal[];
}

export interface Goal {
  text: string;
  n: number;
  measured: string;
  /** null when a needed row is missing (e.g. the size was not run). */
  met: boolean|null;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(samplesMs: number[]): {medianMs: number, minMs: number, maxMs: number} {
  return {
    medianMs: median(samplesMs),
    minMs: Math.min(...samplesMs),
    maxMs: Math.max(...samplesMs),
  };
}

/** 1e4 -> '1e4', 4000000 -> '4e6', 16000000 -> '16e6', 123 -> '123'. */
export function sizeLabel(n: number): string {
  for (let e = Math.floor(Math.log10(n)); e > 0; e--) {
    const m = n / 10 ** e;
    if (Number.isInteger(m)) return m === 1 ? `1e${e}` : `${m}e${e}`;
  }
  return String(n);
}

export function parseSize(s: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0 || !Number.isInteger(n)) throw new Error(`bad size ${s}`);
  return n;
}

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

function fmtRatio(r: number|null): string {
  if (r == null || !Number.isFinite(r)) return '—';
  return r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

function fmtBytes(b: number|null): string {
  if (b == null || !Number.isFinite(b)) return '—';
  return `${(b / 1e6).toFixed(b >= 1e6 ? 1 : 2)} MB`;
}

function fmtCount(c: number|null): string {
  return c == null ? '—' : String(c);
}

/** The fastest composite of a group at size n (by median). */
export function bestComposite(results: CaseResult[], n: number, group: Group): CaseResult|undefined {
  return results.filter(r => r.n === n && r.group === group && r.role === 'composite' && r.main)
      .sort((a, b) => a.medianMs - b.medianMs)[0];
}

function find(results: CaseResult[], n: number, id: string): CaseResult|undefined {
  return results.find(r => r.n === n && r.id === id);
}

/** Rows of the main table for size n, in display order. */
function mainRows(results: CaseResult[], n: number): CaseResult[] {
  const rows: CaseResult[] = [];
  const push = (r: CaseResult|undefined) => {
    if (r != null) rows.push(r);
  };
  push(find(results, n, 'ours.grad'));
  push(bestComposite(results, n, 'gradient'));
  push(find(results, n, 'loop.grad'));
  push(find(results, n, 'floor.mulSum'));
  push(find(results, n, 'ours.fwd'));
  push(bestComposite(results, n, 'forward'));
  push(find(results, n, 'loop.fwd'));
  return rows;
}

function loopFor(results: CaseResult[], r: CaseResult): CaseResult|undefined {
  if (r.group === 'gradient') return find(results, r.n, 'loop.grad');
  if (r.group === 'forward') return find(results, r.n, 'loop.fwd');
  return undefined;
}

export function evaluateGoals(res: BenchResult): Goal[] {
  const goals: Goal[] = [];
  const rs = res.results;
  let n = 1e6;
  // Judged on medians; the ratio of the minima is shown too (less sensitive to a busy machine).
  let minRatio: number|null = null;
  const ratio = (a?: CaseResult, b?: CaseResult) => {
    minRatio = a != null && b != null ? a.minMs / b.minMs : null;
    return a != null && b != null ? a.medianMs / b.medianMs : null;
  };
  const goal = (text: string, r: number|null, ok: (r: number) => boolean, fmt: (r: number) => string) =>
      goals.push({
        text, n, met: r == null ? null : ok(r),
        measured: r == null ? `n = ${sizeLabel(n)} not run` :
                              `${fmt(r)} (medians; minima: ${fmt(minRatio!).replace(/^.* = /, '')})`,
      });
  if (res.meta.backend === 'cpu') {
    const ours = find(rs, n, 'ours.grad');
    goal('cpu gradient within 1.5× of the plain loop (ours ÷ loop ≤ 1.5)',
         ratio(ours, find(rs, n, 'loop.grad')), r => r <= 1.5, r => `ours ÷ loop = ${r.toFixed(2)}`);
    const fastLoop = find(rs, n, 'loop.grad.branchless');
    if (fastLoop) {
      goal('cpu gradient vs the branchless plain loop (ours ÷ loop ≤ 1.5)', ratio(ours, fastLoop),
           r => r <= 1.5, r => `ours ÷ loop = ${r.toFixed(2)}`);
    }
    goal('cpu gradient ≥ 5× faster than the fastest composite',
         ratio(bestComposite(rs, n, 'gradient'), ours), r => r >= 5,
         r => `composite ÷ ours = ${r.toFixed(1)}`);
    goal('cpu forward ≥ 10× faster than the fastest composite',
         ratio(bestComposite(rs, n, 'forward'), find(rs, n, 'ours.fwd')), r => r >= 10,
         r => `composite ÷ ours = ${r.toFixed(1)}`);
  } else if (res.meta.backend === 'webgpu') {
    // Issue 7's goals, set for a real GPU.
    goal('webgpu gradient no slower than mul+sum (ours ÷ floor ≤ 1)',
         ratio(find(rs, n, 'ours.grad'), find(rs, n, 'floor.mulSum')), r => r <= 1,
         r => `ours ÷ floor = ${r.toFixed(2)}`);
    n = 16e6;
    goal('webgpu gradient ≥ 10× faster than the fastest composite',
         ratio(bestComposite(rs, n, 'gradient'), find(rs, n, 'ours.grad')), r => r >= 10,
         r => `composite ÷ ours = ${r.toFixed(1)}`);
  } else if (res.meta.backend === 'webgl') {
    const ours = find(rs, n, 'ours.grad');
    goal('webgl gradient within 1.5× of mul+sum (ours ÷ floor ≤ 1.5)',
         ratio(ours, find(rs, n, 'floor.mulSum')), r => r <= 1.5,
         r => `ours ÷ floor = ${r.toFixed(2)}`);
    goal('webgl gradient ≥ 2.5× faster than the fastest composite',
         ratio(bestComposite(rs, n, 'gradient'), ours), r => r >= 2.5,
         r => `composite ÷ ours = ${r.toFixed(1)}`);
    const oursP = find(rs, n, 'ours.grad@packed');
    if (oursP) {
      goal('same, x and dy packed: ours ÷ floor ≤ 1.5',
           ratio(oursP, find(rs, n, 'floor.mulSum@packed')), r => r <= 1.5,
           r => `ours ÷ floor = ${r.toFixed(2)}`);
      goal('same, x and dy packed: ≥ 2.5× faster than the maskMul composite',
           ratio(find(rs, n, 'composite.grad.maskMul@packed'), oursP), r => r >= 2.5,
           r => `composite ÷ ours = ${r.toFixed(1)}`);
    }
  }
  return goals;
}

/** Markdown: main table, all-variants table, goals, checks. */
export function renderMarkdown(res: BenchResult, opts: {heading?: string} = {}): string {
  const {meta, results} = res;
  const isGpu = meta.backend === 'webgl' || meta.backend === 'webgpu';
  const hasLoops = meta.backend === 'cpu';
  const lines: string[] = [];
  if (opts.heading) lines.push(opts.heading, '');
  lines.push(
      `Backend **${meta.backend}** on ${meta.machine}; ${meta.date}` +
          `${meta.quick ? ' (quick run)' : ''}${
              meta.totalSeconds != null ? `, ${meta.totalSeconds.toFixed(0)} s in all` : ''}.`,
      '');
  const sizes = [...new Set(results.map(r => r.n))].sort((a, b) => a - b);

  const head = ['n', 'case', 'median ms', 'min–max ms', 'composite ÷ this', 'this ÷ floor'];
  if (hasLoops) head.push('this ÷ loop');
  head.push('kernels');
  if (isGpu) head.push(meta.backend === 'webgpu' ? 'dispatches/iter' : 'programs/iter', 'GPU kernelMs');
  head.push('peak extra');
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const n of sizes) {
    const floor = find(results, n, 'floor.mulSum');
    for (const r of mainRows(results, n)) {
      const comp = r.group === 'floor' ? undefined : bestComposite(results, n, r.group);
      const loop = loopFor(results, r);
      const label = r.role === 'ours' ? `**${r.label}**` : r.label;
      const cells = [
        sizeLabel(n), label, fmtMs(r.medianMs), `${fmtMs(r.minMs)}–${fmtMs(r.maxMs)}`,
        fmtRatio(comp ? comp.medianMs / r.medianMs : null),
        fmtRatio(floor ? r.medianMs / floor.medianMs : null),
      ];
      if (hasLoops) cells.push(fmtRatio(loop && loop !== r ? r.medianMs / loop.medianMs : null));
      cells.push(fmtCount(r.kernels));
      if (isGpu) cells.push(fmtCount(r.programs), r.kernelMs == null ? '—' : fmtMs(r.kernelMs));
      cells.push(fmtBytes(r.peakExtraBytes));
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  lines.push('');

  const variants = results.filter(r => r.role === 'composite' || !r.main);
  if (variants.length > 0) {
    lines.push(
        'All composite formulations and variants (median ms, min–max; the fastest composite per ' +
            'size is the one in the table above):',
        '');
    const ids = [...new Set(variants.map(r => r.id))];
    lines.push(
        `| case | ${sizes.map(sizeLabel).join(' | ')} | kernels |`,
        `|---|${sizes.map(() => '---').join('|')}|---|`);
    for (const id of ids) {
      const rs = sizes.map(n => find(results, n, id));
      const any = rs.find(r => r != null)!;
      lines.push(`| ${any.label} | ${
          rs.map(r => (r ? `${fmtMs(r.medianMs)} (${fmtMs(r.minMs)}–${fmtMs(r.maxMs)})` : '—'))
              .join(' | ')} | ${fmtCount(any.kernels)} |`);
    }
    lines.push('');
  }

  const goals = res.goals ?? evaluateGoals(res);
  if (goals.length > 0) {
    lines.push('Goals:', '');
    for (const g of goals) {
      const mark = g.met == null ? '' : g.met ? ' (met)' : ' (**not met**)';
      lines.push(`- at n = ${sizeLabel(g.n)}, ${g.text}: ${g.measured}${mark}`);
    }
    lines.push('');
  }

  const bad = res.checks.filter(c => !c.ok);
  lines.push(
      `Sanity checks (outputs of ours vs composites${hasLoops ? ' and loops' : ''}, untimed): ` +
      `${res.checks.length - bad.length}/${res.checks.length} ok` +
      (bad.length ? `; failed: ${bad.map(c => `${sizeLabel(c.n)} ${c.what} (${c.detail})`).join('; ')}` : '') +
      '.');
  return lines.join('\n');
}

/**
 * One table comparing backends: per size, the median ms of ours, the fastest composite and
 * mul+sum for each op, one column per result (backend); ours also shows how many times faster
 * it is than that backend's fastest composite.
 */
export function renderSideBySide(all: BenchResult[]): string {
  const sizes = [...new Set(all.flatMap(res => res.results.map(r => r.n)))].sort((a, b) => a - b);
  const rows: Array<{label: string, pick: (rs: CaseResult[], n: number) => CaseResult|undefined}> = [
    {label: '**gradient (ours)**', pick: (rs, n) => find(rs, n, 'ours.grad')},
    {label: 'gradient, fastest composite', pick: (rs, n) => bestComposite(rs, n, 'gradient')},
    {label: 'mul + sum (floor)', pick: (rs, n) => find(rs, n, 'floor.mulSum')},
    {label: '**forward (ours)**', pick: (rs, n) => find(rs, n, 'ours.fwd')},
    {label: 'forward, fastest composite', pick: (rs, n) => bestComposite(rs, n, 'forward')},
  ];
  const lines = [
    `| n | case | ${all.map(res => res.meta.backend).join(' | ')} |`,
    `|---|---|${all.map(() => '---').join('|')}|`,
  ];
  for (const n of sizes) {
    for (const row of rows) {
      const cells = all.map(res => {
        const r = row.pick(res.results, n);
        if (r == null) return '—';
        const comp = r.role === 'ours' ? bestComposite(res.results, n, r.group) : undefined;
        return comp ? `${fmtMs(r.medianMs)} (${fmtRatio(comp.medianMs / r.medianMs)})` : fmtMs(r.medianMs);
      });
      lines.push(`| ${sizeLabel(n)} | ${row.label} | ${cells.join(' | ')} |`);
    }
  }
  return [
    'Median ms per call; "(N×)": how many times faster than the fastest composite of stock tfjs ' +
        'ops on the same backend.',
    '', ...lines,
  ].join('\n');
}

/** What the browser page logs, one `RESULT <json>` console line each (see browser_page.ts). */
export type PageMessage = ({type: 'meta'}&BenchMeta)|({type: 'check'}&Check)|
    ({type: 'case'}&CaseResult)|{type: 'end', totalSeconds: number}|{type: 'error', message: string};

/**
 * The JSON of a `RESULT ` line, wherever it sits: a console message text, or a line of Chromium's
 * stderr log (`[...:INFO:CONSOLE(1)] "RESULT {...}", source: http://... (1)`) or of gpu-chromium's
 * run.sh output. Returns undefined for other lines.
 */
export function parseResultLine(line: string): PageMessage|undefined {
  const at = line.indexOf('RESULT {');
  if (at < 0) return undefined;
  let json = line.slice(at + 'RESULT '.length).trimEnd();
  const source = json.lastIndexOf('", source: ');
  if (source >= 0) json = json.slice(0, source);
  if (json.endsWith('"') && !json.endsWith('}"')) json = json.slice(0, -1);
  try {
    return JSON.parse(json) as PageMessage;
  } catch {
    return undefined;
  }
}

/** Reassembles the page's messages into a BenchResult (throws on an error message or no meta). */
export function resultFromMessages(messages: PageMessage[]): BenchResult {
  const error = messages.find(m => m.type === 'error');
  if (error && error.type === 'error') throw new Error(`the page failed: ${error.message}`);
  const metaMsg = messages.find(m => m.type === 'meta');
  if (!metaMsg || metaMsg.type !== 'meta') throw new Error('no meta message from the page');
  const {type: _t, ...meta} = metaMsg;
  const end = messages.find(m => m.type === 'end');
  const results: CaseResult[] = [];
  const checks: Check[] = [];
  for (const m of messages) {
    if (m.type === 'case') {
      const {type: _c, ...r} = m;
      results.push(r);
    } else if (m.type === 'check') {
      const {type: _c, ...c} = m;
      checks.push(c);
    }
  }
  const res: BenchResult = {
    meta: {...meta, ...(end && end.type === 'end' ? {totalSeconds: end.totalSeconds} : {})},
    results,
    checks,
  };
  if (!end) {
    checks.push({n: 0, what: 'page finished', ok: false, detail: 'no end message (timed out?)'});
  }
  res.goals = evaluateGoals(res);
  return res;
}
