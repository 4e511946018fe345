/**
 * The model rows' results (bench_models.ts) and their Markdown, without tfjs (the results README
 * is regenerated from the saved JSON).
 */
import type {ModelKind} from '../examples/qat/models';

/** The tfjs backends the model rows time the tfjs models on. */
export type ModelBackend = 'cpu'|'wasm';

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Per-call times of every sample. */
  samplesMs: number[];
  callsPerSample: number;
}

export interface ModelRow {
  model: ModelKind;
  /** float32 bytes of all the float model's weights. */
  floatBytes: number;
  tfliteBytes: number;
  exportTFLite: Timing;
  /** Per-image latency by case: 'tflite.int8', 'tfjs.float.cpu', 'tfjs.qat.wasm', ... */
  latency: Record<string, Timing>;
}

export interface ModelBenchResult {
  meta: {
    machine: string;
    details: Record<string, string|number|boolean>;
    date: string;
    quick: boolean;
    backends: ModelBackend[];
    totalSeconds: number;
  };
  rows: ModelRow[];
  /** Tensors each tfjs case left allocated (all should be 0). */
  leaks: Record<string, number>;
}

const ms = (t: Timing) => `${t.medianMs < 1 ? t.medianMs.toFixed(3) : t.medianMs.toFixed(2)} ms`;
const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

/** The model rows as Markdown: sizes and export time, then the per-image latencies. */
export function renderModels(res: ModelBenchResult): string {
  const cases = ['tflite.int8', ...res.meta.backends.flatMap((b) => [`tfjs.float.${b}`, `tfjs.qat.${b}`])];
  const caseLabel = (id: string) => {
    if (id === 'tflite.int8') return 'int8 .tflite, TFLite interpreter (LiteRT wasm)';
    const [, kind, backend] = id.split('.');
    return `${kind === 'float' ? 'float' : 'QAT (fake-quant)'} model, tfjs ${backend}`;
  };
  const sizes = [
    '| model | float weights | int8 .tflite | exportTFLite |', '|---|---:|---:|---:|',
    ...res.rows.map((r) => `| ${r.model} | ${kB(r.floatBytes)} | ${kB(r.tfliteBytes)} (${
        (100 * r.tfliteBytes / r.floatBytes).toFixed(1)}%) | ${ms(r.exportTFLite)} |`),
  ];
  const latency = [
    `| per image (batch 1) | ${res.rows.map((r) => r.model).join(' | ')} |`,
    `|---|${res.rows.map(() => '---:').join('|')}|`,
    ...cases.map((id) => `| ${caseLabel(id)} | ${res.rows.map((r) => {
      const t = r.latency[id];
      return `${ms(t)} (${t.minMs.toFixed(3)}–${t.maxMs.toFixed(3)})`;
    }).join(' | ')} |`),
  ];
  return [...sizes, '', ...latency].join('\n');
}
