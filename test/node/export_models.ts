/**
 * The models and the measure the export suites share (TFLite, ONNX, TF.js web models): float
 * models covering every layer kind the int8 export supports, quantized with `quantizeModel` and
 * calibrated on seeded random data; agreement with the QAT model's `predict()` counted in output
 * quantization steps.
 */
import * as tf from '@tensorflow/tfjs';

import type {ExportOptions} from '../../src/export';
import {calibrate, FakeQuant, quantizeModel, type QuantizeModelOptions} from '../../src/layers';
import {nudge, quantRange} from '../../src/quant/nudge';
import {mulberry32} from '../shared/random';

type Layer = tf.layers.Layer;

/** Samples per comparison. */
export const SAMPLES = 64;

/** Every weight of the model set to seeded random values (BatchNorm statistics kept plausible). */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const random = mulberry32(seed);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * random();
  for (const w of model.weights) {
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const name = w.originalName;
    // Negative gammas too: the fold must flip the channel's integers.
    const draw = name.endsWith('gamma') ? () => (random() < 0.2 ? -1 : 1) * uniform(0.5, 1.5) :
        name.endsWith('moving_variance') ? () => uniform(0.3, 2) :
        name.endsWith('moving_mean') || name.endsWith('beta') || name.endsWith('bias') ? () => uniform(-0.3, 0.3) :
        () => uniform(-0.6, 0.6);
    const values = tf.tensor(Array.from({length: n}, draw), shape);
    w.write(values);
    values.dispose();
  }
}

/** `n` seeded uniform [-1, 1) samples for each model input. */
export function randomInputs(model: tf.LayersModel, n: number, seed: number): tf.Tensor[] {
  return model.inputs.map((x, i) =>
      tf.randomUniform([n, ...x.shape.slice(1) as number[]], -1, 1, 'float32', seed + i));
}

/** The FakeQuant that produces a model output (looking into nested models). */
function outputQuantizer(model: tf.LayersModel, index: number): FakeQuant {
  const layer = model.outputs[index].sourceLayer as Layer;
  if (layer instanceof FakeQuant) return layer;
  if (layer instanceof tf.LayersModel) return outputQuantizer(layer, model.outputs[index].tensorIndex);
  throw new Error(`output ${index} of ${model.name} does not come from a FakeQuant (${layer.name})`);
}

/** One output quantization step: the scale of TF's nudged range of the output's FakeQuant. */
export function outputStep(model: tf.LayersModel, index: number): number {
  const fq = outputQuantizer(model, index);
  const {min, max} = fq.getRange();
  return nudge(min[0], max[0], quantRange(fq.numBits, fq.narrowRange)).scale;
}

/** The QAT model's outputs on `xs`, as arrays. */
export function predictArrays(qat: tf.LayersModel, xs: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const y = qat.predict(xs.length === 1 ? xs[0] : xs);
    return (Array.isArray(y) ? y : [y]).map((t) => t.dataSync() as Float32Array);
  });
}

export interface Agreement {
  /** Per output: the fraction within one step, and the largest difference in steps. */
  within1: number[];
  maxSteps: number[];
}

/** Adds one output's comparison (`actual` against the QAT model's `expected`) to `a`. */
export function addAgreement(a: Agreement, actual: ArrayLike<number>, expected: Float32Array, step: number): void {
  expect(actual.length).toBe(expected.length);
  let within = 0;
  let worst = 0;
  expected.forEach((e, i) => {
    const steps = Math.abs(actual[i] - e) / step;
    if (steps <= 1 + 1e-4) within++;
    worst = Math.max(worst, steps);
  });
  a.within1.push(within / expected.length);
  a.maxSteps.push(worst);
}

/** The acceptance bar: at least 99% within one output step, none beyond three. */
export function expectAgreement(a: Agreement): void {
  for (const w of a.within1) expect(w).toBeGreaterThanOrEqual(0.99);
  for (const m of a.maxSteps) expect(m).toBeLessThanOrEqual(3 + 1e-4);
}

export interface Case {
  /** A fresh float model (built, weights randomized). */
  build: () => tf.LayersModel;
  quantize?: QuantizeModelOptions;
}

/** quantizeModel + calibrate on random data, as a user would before exporting. */
export function quantizedModel(c: Case, seed: number): tf.LayersModel {
  const float = c.build();
  randomizeWeights(float, seed);
  const qat = quantizeModel(float, c.quantize);
  const calibration = randomInputs(qat, 64, seed + 100);
  calibrate(qat, calibration.length === 1 ? calibration[0] : calibration);
  tf.dispose(calibration);
  float.dispose();
  return qat;
}

// ---- the models: every supported layer kind ----

/** Dense (own relu), Dense -> BN -> ReLU, Dropout, Dense -> Activation(relu6), Dense -> Softmax. */
export function mlp(): tf.LayersModel {
  return tf.sequential({layers: [
    tf.layers.dense({inputShape: [16], units: 12, activation: 'relu'}),
    tf.layers.dense({units: 10}),
    tf.layers.batchNormalization(),
    tf.layers.reLU(),
    tf.layers.dropout({rate: 0.3}),
    tf.layers.dense({units: 8}),
    tf.layers.activation({activation: 'relu6'}),
    tf.layers.dense({units: 6, activation: 'relu6'}),
    tf.layers.dense({units: 5}),
    tf.layers.softmax(),
  ]});
}

/**
 * Conv2D (strides, same) -> BN -> ReLU; DepthwiseConv2D (multiplier 2) -> BN -> ReLU6;
 * ZeroPadding2D; Conv2D (own relu, valid, dilation 2); MaxPooling2D; Conv2D.
 */
export function cnn(): tf.LayersModel {
  return tf.sequential({layers: [
    tf.layers.conv2d({inputShape: [12, 12, 3], filters: 6, kernelSize: 3, strides: 2, padding: 'same'}),
    tf.layers.batchNormalization(),
    tf.layers.reLU(),
    tf.layers.depthwiseConv2d({kernelSize: 3, depthMultiplier: 2, padding: 'same'}),
    tf.layers.batchNormalization(),
    tf.layers.reLU({maxValue: 6}),
    tf.layers.zeroPadding2d({padding: [[1, 0], [0, 1]]}),
    tf.layers.conv2d({filters: 8, kernelSize: 2, dilationRate: 2, activation: 'relu'}),
    tf.layers.maxPooling2d({poolSize: 2, strides: 1}),
    tf.layers.conv2d({filters: 4, kernelSize: 1}),
  ]});
}

/**
 * Conv2D (own relu6, strides 2x1); AveragePooling2D (valid, stride 1); Conv2D ->
 * Activation(relu); GlobalAveragePooling2D; Dense -> Activation(linear).
 */
export function cnnHead(): tf.LayersModel {
  return tf.sequential({layers: [
    tf.layers.conv2d({inputShape: [7, 6, 4], filters: 8, kernelSize: [1, 2], strides: [2, 1], activation: 'relu6'}),
    tf.layers.averagePooling2d({poolSize: 2, strides: 1}),
    tf.layers.conv2d({filters: 6, kernelSize: 1}),
    tf.layers.activation({activation: 'relu'}),
    tf.layers.globalAveragePooling2d({}),
    tf.layers.dense({units: 4}),
    tf.layers.activation({activation: 'linear'}),
  ]});
}

/**
 * Two inputs, two outputs: a residual block (Conv -> BN -> ReLU, Conv, Add -> ReLU), a
 * Concatenate of two conv branches, MaxPooling2D, Flatten, Reshape, a Concatenate of the image
 * branch and a Dense branch.
 */
export function functional(): tf.LayersModel {
  const image = tf.input({shape: [8, 8, 2], name: 'image'});
  const features = tf.input({shape: [6], name: 'features'});
  const a = tf.layers.conv2d({filters: 4, kernelSize: 3, padding: 'same'}).apply(image) as tf.SymbolicTensor;
  const r = tf.layers.reLU().apply(tf.layers.batchNormalization().apply(a)) as tf.SymbolicTensor;
  const c = tf.layers.conv2d({filters: 4, kernelSize: 3, padding: 'same'}).apply(r) as tf.SymbolicTensor;
  const residual = tf.layers.reLU().apply(tf.layers.add().apply([c, r])) as tf.SymbolicTensor;
  const side = tf.layers.conv2d({filters: 3, kernelSize: 1, activation: 'relu'}).apply(image) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate().apply([residual, side]) as tf.SymbolicTensor;
  const pooled = tf.layers.maxPooling2d({poolSize: 2}).apply(joined) as tf.SymbolicTensor;
  const flat = tf.layers.reshape({targetShape: [16, 7]}).apply(pooled) as tf.SymbolicTensor;
  const flat2 = tf.layers.flatten().apply(flat) as tf.SymbolicTensor;
  const e = tf.layers.dense({units: 5}).apply(features) as tf.SymbolicTensor;
  const both = tf.layers.concatenate().apply([flat2, e]) as tf.SymbolicTensor;
  const out1 = tf.layers.dense({units: 3}).apply(both) as tf.SymbolicTensor;
  const out2 = tf.layers.dense({units: 2, activation: 'relu'}).apply(e) as tf.SymbolicTensor;
  return tf.model({inputs: [image, features], outputs: [out1, out2]});
}

/**
 * A Sequential base (Conv -> BN -> ReLU, Depthwise -> ReLU) nested in a functional model, then
 * AveragePooling2D (same), GlobalAveragePooling2D, Dense -> Softmax.
 */
export function nested(): tf.LayersModel {
  const base = tf.sequential({name: 'base', layers: [
    tf.layers.conv2d({inputShape: [8, 8, 3], filters: 4, kernelSize: 3}),
    tf.layers.batchNormalization(),
    tf.layers.reLU(),
    tf.layers.depthwiseConv2d({kernelSize: 3, activation: 'relu'}),
  ]});
  const x = tf.input({shape: [8, 8, 3]});
  const y = base.apply(x) as tf.SymbolicTensor;
  const pooled = tf.layers.averagePooling2d({poolSize: 2, padding: 'same'}).apply(y) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({}).apply(pooled) as tf.SymbolicTensor;
  const probs = tf.layers.softmax().apply(tf.layers.dense({units: 3}).apply(gap)) as tf.SymbolicTensor;
  return tf.model({inputs: x, outputs: probs});
}

/** SeparableConv2D (quantizeModel splits it into DepthwiseConv2D and a 1x1 Conv2D), ReLU, GAP. */
export function separable(): tf.LayersModel {
  return tf.sequential({layers: [
    tf.layers.separableConv2d({inputShape: [8, 8, 3], filters: 5, kernelSize: 3, depthMultiplier: 2, padding: 'same'}),
    tf.layers.reLU(),
    tf.layers.globalAveragePooling2d({}),
  ]});
}

/** Together: every layer kind the int8 export supports. */
export const MODELS: Array<[string, () => tf.LayersModel]> = [
  ['Sequential MLP', mlp], ['Sequential CNN', cnn], ['Sequential CNN head', cnnHead], ['functional', functional],
  ['nested', nested],
];

/** Exports `qat` with `options`, runs the file in a runtime and compares it with `predict()`. */
export type ExportAndCompare = (qat: tf.LayersModel, options: ExportOptions, seed: number) => Promise<Agreement>;

/**
 * The agreement matrix every exporter passes: each model of `MODELS` with per-channel and
 * per-tensor kernels (float32 I/O), with int8 inputs and outputs, and a QAT-trained model.
 */
export function itAgreesOnEveryModel(exportAndCompare: ExportAndCompare): void {
  for (const [name, build] of MODELS) {
    for (const perChannelWeights of [true, false]) {
      it(`${name}, ${perChannelWeights ? 'per-channel' : 'per-tensor'} weights, float32 I/O`, async () => {
        const qat = quantizedModel({build, quantize: {perChannelWeights}}, 1);
        expectAgreement(await exportAndCompare(qat, {}, 7));
        qat.dispose();
      });
    }
    it(`${name}, int8 inputs and outputs`, async () => {
      const qat = quantizedModel({build}, 2);
      expectAgreement(await exportAndCompare(qat, {inputType: 'int8', outputType: 'int8'}, 8));
      qat.dispose();
    });
  }

  it('a QAT-trained model (two epochs: weights and moving-average ranges moved)', async () => {
    const qat = quantizedModel({build: mlp}, 3);
    const [x] = randomInputs(qat, 64, 30);
    const y = tf.oneHot(tf.randomUniform([64], 0, 5, 'int32', 31), 5);
    qat.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy'});
    const hidden = qat.layers.find((l) => l instanceof FakeQuant && l.name.startsWith('dense'))! as FakeQuant;
    const before = hidden.getRange().max[0];
    await qat.fit(x, y, {epochs: 2, batchSize: 16, verbose: 0});
    expect(hidden.getRange().max[0]).not.toBe(before);
    expectAgreement(await exportAndCompare(qat, {}, 9));
    tf.dispose([x, y]);
    qat.dispose();
  });
}
