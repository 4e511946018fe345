/**
 * The bench's model rows (`npm run bench`; alone: `npm run bench -- --models`): the demo's MLP and
 * conv net (examples/qat/models.ts, seeded weights, quantized by `quantizeModel` and calibrated on
 * MNIST digits, not trained: the times do not depend on the weights' values). Per model:
 * - the time of `exportTFLite` and of `exportONNX` on the QAT model (cpu backend);
 * - the per-image latency (batch 1, input to output read back) of the int8 .tflite in TFLite's
 *   interpreter (LiteRT.js wasm, its CPU path: XNNPACK and TFLite's builtin kernels) and of the
 *   ONNX QDQ model in ONNX Runtime (onnxruntime-node, CPU, one thread like the others, loaded as
 *   the demo loads it: with `session.x64quantprecision: '1'`, the exact int8 path on x86 CPUs
 *   without VNNI, see exportONNX), beside the float model, the QAT (fake-quant) model and the
 *   TF.js web model of `saveQuantized` (8-bit kernels, loaded in stock tfjs) in tfjs, on each
 *   chosen backend (cpu, wasm).
 * Each case warms up, then times samples of several calls until its time budget is spent; the
 * cases run one after the other (a model's weights stay on the backend that created them).
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';

import {exportONNX, exportTFLite} from '../src/export';
import {calibrate, quantizeModel} from '../src/layers';
import {splitDigits} from '../examples/qat/data';
import {deploy, loadWebModel, openONNXSession} from '../examples/qat/deploy_formats';
import {createModel, floatWeightBytes, inputShape, MODEL_KINDS, type ModelKind} from '../examples/qat/models';
import {loadDigits} from '../examples/qat/mnist';
import {loadTFLiteModel} from '../examples/qat/tflite_runtime';
import type {ModelBackend, ModelBenchResult, ModelRow, Timing} from './models_report';
import {summarize} from './report';

export interface ModelBenchOptions {
  backends: ModelBackend[];
  quick: boolean;
  /** Makes `backend` tfjs's current backend (loading it first if need be). */
  selectBackend(backend: ModelBackend): Promise<void>;
  log(message: string): void;
}

/** Digits the QAT models are calibrated on; the first one is the timed input. */
const CALIBRATION_DIGITS = 500;
const SAMPLE_MS = 20;

/** Times `call` (one image): warm-up, then samples of several calls until `budgetMs` is spent. */
async function time(call: () => unknown, budgetMs: number, minSamples: number): Promise<Timing> {
  const warmUntil = performance.now() + Math.min(300, budgetMs / 4);
  let calls = 0;
  const warmStart = performance.now();
  do {
    await call();
    calls++;
  } while (calls < 5 || performance.now() < warmUntil);
  const perCall = (performance.now() - warmStart) / calls;
  const callsPerSample = Math.max(1, Math.min(200, Math.round(SAMPLE_MS / perCall)));
  const samplesMs: number[] = [];
  const end = performance.now() + budgetMs;
  while (samplesMs.length < minSamples || performance.now() < end) {
    const t0 = performance.now();
    for (let i = 0; i < callsPerSample; i++) await call();
    samplesMs.push((performance.now() - t0) / callsPerSample);
  }
  return {...summarize(samplesMs), samplesMs, callsPerSample};
}

/** The float model of a kind and its QAT copy, calibrated, on the current backend. */
function buildModels(kind: ModelKind, digits: Float32Array): {float: tf.LayersModel, qat: tf.LayersModel} {
  const float = createModel(kind, 42);
  const qat = quantizeModel(float, {mode: 'ema'});
  tf.tidy(() => calibrate(qat, tf.tensor(digits, [CALIBRATION_DIGITS, ...inputShape(kind)])));
  return {float, qat};
}

export async function benchModels(opts: ModelBenchOptions): Promise<ModelBenchResult> {
  const t0 = performance.now();
  const budgetMs = opts.quick ? 1000 : 4000;
  const minSamples = opts.quick ? 5 : 15;
  const digits = splitDigits(loadDigits(), CALIBRATION_DIGITS, 42).test.images;
  const image = digits.slice(0, inputShape('mlp')[0]);
  const leaks: Record<string, number> = {};
  const rows: ModelRow[] = [];

  for (const kind of MODEL_KINDS) {
    await opts.selectBackend('cpu');
    const models = buildModels(kind, digits);
    const floatBytes = floatWeightBytes(models.float);
    opts.log(`${kind}: exportTFLite, exportONNX, saveQuantized`);
    const bytes = await exportTFLite(models.qat);
    const exportTiming = await time(() => exportTFLite(models.qat), budgetMs, opts.quick ? 3 : 5);
    const deployed = await deploy(models.qat);
    const exportONNXTiming = await time(() => exportONNX(models.qat), budgetMs, opts.quick ? 3 : 5);
    disposeModels(models);

    const latency: Record<string, Timing> = {};
    opts.log(`${kind}: TFLite interpreter`);
    const interpreter = await loadTFLiteModel(bytes);
    try {
      latency['tflite.int8'] = await time(() => interpreter.run([image]), budgetMs, minSamples);
    } finally {
      interpreter.delete();
    }
    opts.log(`${kind}: ONNX Runtime`);
    latency['onnx.int8'] = await timeONNX(deployed.onnx, image, [1, ...inputShape(kind)], budgetMs, minSamples);
    for (const backend of opts.backends) {
      await opts.selectBackend(backend);
      const onBackend = buildModels(kind, digits);
      const web = await loadWebModel(deployed);
      const x = tf.tensor(image, [1, ...inputShape(kind)]);
      for (const [name, model] of [['float', onBackend.float], ['qat', onBackend.qat], ['web', web]] as const) {
        const id = `tfjs.${name}.${backend}`;
        opts.log(`${kind}: ${id}`);
        const before = tf.memory().numTensors;
        latency[id] = await time(() => {
          const y = model.predict(x) as tf.Tensor;
          y.dataSync();
          y.dispose();
        }, budgetMs, minSamples);
        leaks[`${kind}.${id}`] = tf.memory().numTensors - before;
      }
      x.dispose();
      web.dispose();
      disposeModels(onBackend);
    }
    rows.push({
      model: kind, floatBytes, tfliteBytes: bytes.length, onnxBytes: deployed.onnx.length,
      webModelBytes: (deployed.webModel.weightData as ArrayBuffer).byteLength,
      exportTFLite: exportTiming, exportONNX: exportONNXTiming, latency,
    });
  }
  return {
    meta: {
      machine: '', details: {}, date: new Date().toISOString(), quick: opts.quick, backends: opts.backends,
      totalSeconds: (performance.now() - t0) / 1000,
    },
    rows,
    leaks,
  };
}

/** Per-image latency of the ONNX model in ONNX Runtime, single-threaded (as the interpreter and tfjs run). */
async function timeONNX(onnx: Uint8Array, image: Float32Array, shape: number[], budgetMs: number, minSamples: number): Promise<Timing> {
  const session = await openONNXSession(onnx, {intraOpNumThreads: 1, interOpNumThreads: 1});
  try {
    const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', image, shape)};
    const output = session.outputNames[0];
    return await time(async () => (await session.run(feeds))[output].data, budgetMs, minSamples);
  } finally {
    await session.release();
  }
}

function disposeModels(models: {float: tf.LayersModel, qat: tf.LayersModel}): void {
  models.qat.dispose();
  models.float.dispose();
}

/** The version of ONNX Runtime the model rows run. */
export function onnxRuntimeVersion(): string {
  return ort.env.versions.node ?? 'unknown';
}
