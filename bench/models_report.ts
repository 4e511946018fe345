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
  onnxBytes: number;
  /** The web model's (saveQuantized) weight bytes. */
  webModelBytes: number;
  exportTFLite: Timing;
  exportONNX: Timing;
  /** Per-image latency by case: 'tflite.int8', 'onnx.int8', 'tfjs.float.cpu', 'tfjs.qat.wasm', 'tfjs.web.cpu', ... */
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

/** The tfjs cases of each backend: the float model, the QAT model, the web model of saveQuantized. */
const TFJS_MODELS = ['float', 'qat', 'web'] as const;
const TFJS_LABELS: Record<typeof TFJS_MODELS[number], string> = {
  float: 'float model', qat: 'QAT (fake-quant) model', web: 'web model (saveQuantized: uint8 kernels), stock',
};

const ms = (t: Timing) => `${t.medianMs < 1 ? t.medianMs.toFixed(3) : t.medianMs.toFixed(2)} ms`;
const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

/** The model rows as Markdown: sizes and export time, then the per-image latencies. */
export function renderModels(res: ModelBenchResult): string {
  const cases = ['tflite.int8', 'onnx.int8', ...res.meta.backends.flatMap((b) => TFJS_MODELS.map((m) => `tfjs.${m}.${b}`))];
  const caseLabel = (id: string) => {
    if (id === 'tflite.int8') return 'int8 .tflite, TFLite interpreter (LiteRT wasm)';
    if (id === 'onnx.int8') return 'ONNX QDQ, ONNX Runtime (onnxruntime-node CPU, 1 thread)';
    const [, kind, backend] = id.split('.');
    return `${TFJS_LABELS[kind as typeof TFJS_MODELS[number]]}, tfjs ${backend}`;
  };
  const share = (bytes: number, r: ModelRow) => `${kB(bytes)} (${(100 * bytes / r.floatBytes).toFixed(1)}%)`;
  const sizes = [
    '| model | float weights | int8 .tflite | ONNX QDQ | web model weights | exportTFLite | exportONNX |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...res.rows.map((r) => `| ${r.model} | ${kB(r.floatBytes)} | ${share(r.tfliteBytes, r)} | ${share(r.onnxBytes, r)} | ${
        share(r.webModelBytes, r)} | ${ms(r.exportTFLite)} | ${ms(r.exportONNX)} |`),
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
