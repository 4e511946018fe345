/**
 * `exportTFLite` against TFLite's own interpreter (LiteRT.js's wasm build, examples/qat/
 * tflite_runtime.ts): float models built with tfjs-layers, quantized with `quantizeModel` (per
 * channel and per tensor), calibrated on random data (one also trained), exported, and run in
 * the interpreter on other random inputs. The reference is the QAT model's `predict()`: at least
 * 99% of the output values within one output quantization step, none beyond three, for every
 * supported layer kind; float32 and int8 inputs and outputs; Sequential, functional (residual
 * Add, Concatenate, two inputs and two outputs) and nested models. Then the errors, and leaks.
 */
import * as tf from '@tensorflow/tfjs';

import {loadTFLiteModel, TFLiteData, TFLiteModel, TFLiteQuantization} from '../../examples/qat/tflite_runtime';
import {exportTFLite, ExportOptions} from '../../src/export';
import {calibrate, FakeQuant, FakeQuantWeights, quantizeModel, QuantizeModelOptions} from '../../src/layers';
import {nudge, quantRange} from '../../src/quant/nudge';
import {mulberry32} from '../shared/random';

type Layer = tf.layers.Layer;

const SAMPLES = 64;

/** Every weight of the model set to seeded random values (BatchNorm statistics kept plausible). */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
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

function randomInputs(model: tf.LayersModel, n: number, seed: number): tf.Tensor[] {
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
function outputStep(model: tf.LayersModel, index: number): number {
  const fq = outputQuantizer(model, index);
  const {min, max} = fq.getRange();
  return nudge(min[0], max[0], quantRange(fq.numBits, fq.narrowRange)).scale;
}

/** TFLite's QUANTIZE: round half away from zero, then clamp. */
function quantizeInt8(values: Float32Array, q: TFLiteQuantization): Int8Array {
  return Int8Array.from(values, (v) => {
    const r = v / q.scale[0];
    const rounded = Math.sign(r) * Math.round(Math.abs(r));
    return Math.max(-128, Math.min(127, rounded + q.zeroPoint[0]));
  });
}

function dequantize(values: TFLiteData, q: TFLiteQuantization): Float32Array {
  return Float32Array.from(values as Int8Array, (v) => (v - q.zeroPoint[0]) * q.scale[0]);
}

interface Agreement {
  /** Per output: the fraction within one step, and the largest difference in steps. */
  within1: number[];
  maxSteps: number[];
}

/** Runs `bytes` in TFLite's interpreter and `qat.predict` on the same inputs; compares. */
async function compare(qat: tf.LayersModel, bytes: Uint8Array, xs: tf.Tensor[], options: ExportOptions): Promise<Agreement> {
  const tflite: TFLiteModel = await loadTFLiteModel(bytes);
  try {
    const inputs = xs.map((x, i) => {
      const data = x.dataSync() as Float32Array;
      if (options.inputType !== 'int8') return data;
      expect(tflite.inputs[i].dtype).toBe('int8');
      return quantizeInt8(data, tflite.inputs[i].quantization!);
    });
    const outputs = await tflite.run(inputs);
    const predicted = tf.tidy(() => {
      const y = qat.predict(xs.length === 1 ? xs[0] : xs);
      return (Array.isArray(y) ? y : [y]).map((t) => t.dataSync() as Float32Array);
    });
    const agreement: Agreement = {within1: [], maxSteps: []};
    outputs.forEach((out, k) => {
      const values = options.outputType === 'int8' ? dequantize(out, tflite.outputs[k].quantization!) : out as Float32Array;
      const expected = predicted[k];
      expect(values.length).toBe(expected.length);
      const step = outputStep(qat, k);
      let within = 0;
      let worst = 0;
      expected.forEach((e, i) => {
        const steps = Math.abs(values[i] - e) / step;
        if (steps <= 1 + 1e-4) within++;
        worst = Math.max(worst, steps);
      });
      agreement.within1.push(within / expected.length);
      agreement.maxSteps.push(worst);
    });
    return agreement;
  } finally {
    tflite.delete();
  }
}

function expectAgreement(a: Agreement): void {
  for (const w of a.within1) expect(w).toBeGreaterThanOrEqual(0.99);
  for (const m of a.maxSteps) expect(m).toBeLessThanOrEqual(3 + 1e-4);
}

interface Case {
  /** A fresh float model (built, weights randomized). */
  build: () => tf.LayersModel;
  quantize?: QuantizeModelOptions;
}

/** quantizeModel + calibrate on random data, as a user would before exporting. */
function quantizedModel(c: Case, seed: number): tf.LayersModel {
  const float = c.build();
  randomizeWeights(float, seed);
  const qat = quantizeModel(float, c.quantize);
  const calibration = randomInputs(qat, 64, seed + 100);
  calibrate(qat, calibration.length === 1 ? calibration[0] : calibration);
  tf.dispose(calibration);
  float.dispose();
  return qat;
}

async function exportAndCompare(qat: tf.LayersModel, options: ExportOptions, seed: number): Promise<Agreement> {
  const xs = randomInputs(qat, SAMPLES, seed);
  try {
    const bytes = await exportTFLite(qat, options);
    return await compare(qat, bytes, xs, options);
  } finally {
    tf.dispose(xs);
  }
}

// ---- the models: every supported layer kind ----

/** Dense (own relu), Dense -> BN -> ReLU, Dropout, Dense -> Activation(relu6), Dense -> Softmax. */
function mlp(): tf.LayersModel {
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
function cnn(): tf.LayersModel {
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
function cnnHead(): tf.LayersModel {
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
function functional(): tf.LayersModel {
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
 * AveragePooling2D (same, padding: TFLite's AVERAGE_POOL_2D), GlobalAveragePooling2D, Dense ->
 * Softmax.
 */
function nested(): tf.LayersModel {
  const base = tf.sequential({name: 'base', layers: [
    tf.layers.conv2d({inputShape: [8, 8, 3], filters: 4, kernelSize: 3}),
    tf.layers.batchNormalization(),
    tf.layers.reLU(),
    tf.layers.depthwiseConv2d({kernelSize: 3, activation: 'relu'}),
  ]});
  const x = tf.input({shape: [8, 8, 3]});
  const y = base.apply(x) as tf.SymbolicTensor;
  const pooled = tf.layers.averagePooling2d({poolSize: 3, strides: 1, padding: 'same'}).apply(y) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({}).apply(pooled) as tf.SymbolicTensor;
  const probs = tf.layers.softmax().apply(tf.layers.dense({units: 3}).apply(gap)) as tf.SymbolicTensor;
  return tf.model({inputs: x, outputs: probs});
}

const MODELS: Array<[string, () => tf.LayersModel]> = [
  ['Sequential MLP', mlp], ['Sequential CNN', cnn], ['Sequential CNN head', cnnHead], ['functional', functional],
  ['nested', nested],
];

describe('exportTFLite: TFLite runs what the QAT model computed', () => {
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

  it('SeparableConv2D (quantizeModel splits it into DepthwiseConv2D and a 1x1 Conv2D)', async () => {
    const build = () => tf.sequential({layers: [
      tf.layers.separableConv2d({inputShape: [8, 8, 3], filters: 5, kernelSize: 3, depthMultiplier: 2, padding: 'same'}),
      tf.layers.reLU(),
      tf.layers.globalAveragePooling2d({}),
    ]});
    const qat = quantizedModel({build}, 20);
    expectAgreement(await exportAndCompare(qat, {}, 21));
    qat.dispose();
  });

  it('a QAT model saved and loaded again (tf.loadLayersModel) exports the same', async () => {
    const qat = quantizedModel({build: functional}, 18);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await qat.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    expectAgreement(await exportAndCompare(loaded, {}, 19));
    expect(await exportTFLite(loaded)).toEqual(await exportTFLite(qat));
    loaded.dispose();
    qat.dispose();
  });

  it('4-bit weights and activations run on int8 containers with the 4-bit grid', async () => {
    const qat = quantizedModel({build: mlp, quantize: {weightBits: 4, activationBits: 4}}, 4);
    expectAgreement(await exportAndCompare(qat, {}, 10));
    qat.dispose();
  });

  it('batchSize: the exported model takes that many samples at once', async () => {
    const qat = quantizedModel({build: cnn}, 5);
    const bytes = await exportTFLite(qat, {batchSize: 3});
    const tflite = await loadTFLiteModel(bytes);
    expect(tflite.inputs[0].shape).toEqual([3, 12, 12, 3]);
    expect(tflite.outputs[0].shape).toEqual([3, 4, 4, 4]);
    tflite.delete();
    qat.dispose();
  });

  it('creates no tensor that outlives the export', async () => {
    const qat = quantizedModel({build: functional}, 6);
    const before = tf.memory().numTensors;
    await exportTFLite(qat);
    await exportTFLite(qat, {inputType: 'int8', outputType: 'int8'});
    expect(tf.memory().numTensors).toBe(before);
    qat.dispose();
  });
});

describe('exportTFLite: errors', () => {
  /** Expects the export to reject with every pattern, leaking no tensor. */
  async function expectRejects(model: tf.LayersModel, options: ExportOptions, ...patterns: RegExp[]) {
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      await exportTFLite(model, options);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Error);
    for (const p of patterns) expect((caught as Error).message).toMatch(p);
    expect(tf.memory().numTensors).toBe(before);
  }

  it('an unsupported layer: its name, class and the supported list', async () => {
    const float = tf.sequential({layers: [
      tf.layers.dense({inputShape: [4], units: 3}),
      tf.layers.leakyReLU({name: 'leaky'}),
      tf.layers.dense({units: 2}),
    ]});
    const qat = quantizedModel({build: () => float}, 11);
    await expectRejects(qat, {}, /leaky/, /LeakyReLU/, /supported: .*Dense.*Concatenate/);
    qat.dispose();
  });

  it('a float model (not quantized)', async () => {
    const float = mlp();
    await expectRejects(float, {}, /not quantized/, /quantizeModel/);
    float.dispose();
  });

  it('a float input without a range (quantizeInputs: false)', async () => {
    const qat = quantizedModel({build: mlp, quantize: {quantizeInputs: false}}, 12);
    await expectRejects(qat, {}, /model input/, /no int8 range/, /quantizeInputs: true/);
    qat.dispose();
  });

  it('activations wider than 8 bits', async () => {
    const qat = quantizedModel({build: mlp, quantize: {activationBits: 12}}, 13);
    await expectRejects(qat, {}, /numBits 12/, /at most 8 bits/);
    qat.dispose();
  });

  it('a per-channel activation quantizer (TFLite activations are per tensor)', async () => {
    const model = tf.sequential({layers: [
      new FakeQuant({inputShape: [3], perChannel: true, name: 'pc'}),
      new FakeQuantWeights({layer: tf.layers.dense({units: 2})}),
      new FakeQuant({}),
    ]});
    await expectRejects(model, {}, /FakeQuant pc/, /per channel/, /perChannel: false/);
    model.dispose();
  });

  it('an activation the int8 export does not support (split out of its layer by quantizeModel)', async () => {
    const build = () => tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 3, activation: 'tanh', name: 'd'})]});
    const qat = quantizedModel({build}, 14);
    await expectRejects(qat, {}, /layer d\S* \(Activation\(tanh\)\)/, /not supported/);
    qat.dispose();
  });

  it('a dilated DepthwiseConv2D (tfjs-layers runs it undilated)', async () => {
    const build = () => tf.sequential({layers: [
      tf.layers.depthwiseConv2d({inputShape: [6, 6, 2], kernelSize: 2, dilationRate: 2, padding: 'same', name: 'dw'}),
    ]});
    const qat = quantizedModel({build}, 17);
    await expectRejects(qat, {}, /layer quant_dw/, /dilationRate/, /dilation 1/);
    qat.dispose();
  });

  it('a kernel that is not fake-quantized, and one off TFLite\'s symmetric int8 grid', async () => {
    const plain = tf.sequential({layers: [
      new FakeQuant({inputShape: [3], initMin: -1, initMax: 1}),
      tf.layers.dense({units: 2, name: 'plain'}),
      new FakeQuant({}),
    ]});
    await expectRejects(plain, {}, /layer plain \(Dense\)/, /not fake-quantized/, /FakeQuantWeights/);
    plain.dispose();
    // Two's-complement (not narrow) weights: the most negative one lands on -128.
    const dense = tf.layers.dense({units: 2, name: 'wide'});
    const wide = tf.sequential({layers: [
      new FakeQuant({inputShape: [3], initMin: -1, initMax: 1}),
      new FakeQuantWeights({layer: dense, narrowRange: false}),
      new FakeQuant({}),
    ]});
    dense.setWeights([tf.tensor2d([[-1, 0.5], [0.25, -0.5], [0.1, 0.2]]), tf.zeros([2])]);
    await expectRejects(wide, {}, /wide/, /not an integer in \[-127, 127\]/, /narrowRange: true/);
    wide.dispose();
  });

  it('a BatchNormalization that follows no kernel layer', async () => {
    const build = () => tf.sequential({layers: [
      tf.layers.dense({inputShape: [4], units: 3}), tf.layers.reLU(), tf.layers.batchNormalization({name: 'bn'}),
    ]});
    const qat = quantizedModel({build}, 15);
    await expectRejects(qat, {}, /layer bn \(BatchNormalization\)/, /folded/);
    qat.dispose();
  });

  it('bad options', async () => {
    const qat = quantizedModel({build: mlp}, 16);
    await expectRejects(qat, {inputType: 'uint8' as 'int8'}, /inputType/, /'float32' or 'int8'/);
    await expectRejects(qat, {batchSize: 0}, /batchSize/, /positive integer/);
    qat.dispose();
  });
});
