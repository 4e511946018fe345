/**
 * tfjs-fake-quant/layers on the cpu backend: the FakeQuant layer (learned and EMA ranges,
 * calibration, range safety), FakeQuantWeights, quantizeModel on Sequential and functional models,
 * serialization round trips, and tensor leaks over training.
 */
import * as tf from '@tensorflow/tfjs';

import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVarsPerChannel} from '../../src';
import {calibrate, FakeQuant, FakeQuantWeights, fakeQuantKernel, fakeQuantLayers, MIN_RANGE, quantizeModel} from '../../src/layers';

const f32 = Math.fround;

/** Saves to memory, through JSON text as a file would, and loads back. */
async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts|undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  if (artifacts == null) throw new Error('nothing saved');
  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology));
  return tf.loadLayersModel(tf.io.fromMemory({...artifacts, modelTopology: topology}));
}

function values(t: tf.Tensor|tf.Tensor[]): number[] {
  const single = Array.isArray(t) ? t[0] : t;
  return Array.from(single.dataSync());
}

function weightValues(layer: tf.layers.Layer): number[][] {
  return layer.getWeights().map((w) => Array.from(w.dataSync()));
}

/** Seeded data in [lo, hi). */
function uniform(shape: number[], lo: number, hi: number, seed: number): tf.Tensor {
  return tf.randomUniform(shape, lo, hi, 'float32', seed);
}

function mlp(seed = 1): tf.Sequential {
  return tf.sequential({layers: [
    tf.layers.dense({inputShape: [6], units: 5, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({seed}), name: 'h'}),
    tf.layers.dense({units: 3, kernelInitializer: tf.initializers.glorotUniform({seed: seed + 1}), name: 'out'}),
  ]});
}

afterEach(() => {
  tf.disposeVariables();
});

describe('FakeQuant layer', () => {
  it('quantizes with its range as fakeQuantWithMinMaxVars (per tensor) and ...PerChannel', () => {
    const x = tf.tensor2d([[-2, -0.3, 0.1], [0.7, 1.5, 3]]);
    const perTensor = new FakeQuant({numBits: 4, initMin: -1, initMax: 2});
    expect(values(perTensor.apply(x) as tf.Tensor)).toEqual(values(fakeQuantWithMinMaxVars(x, -1, 2, 4)));
    const perChannel = new FakeQuant({numBits: 3, narrowRange: true, perChannel: true});
    perChannel.build([null, 3]);
    perChannel.setRange([-1, -0.5, 0], [1, 2, 3]);
    expect(values(perChannel.apply(x) as tf.Tensor)).toEqual(values(fakeQuantWithMinMaxVarsPerChannel(
        x, tf.tensor1d([-1, -0.5, 0]), tf.tensor1d([1, 2, 3]), 3, true)));
    expect(perChannel.getRange()).toEqual({min: [-1, -0.5, 0], max: [1, 2, 3]});
  });

  it("'learned': min/max are trainable and receive the op's range gradients", () => {
    const layer = new FakeQuant({mode: 'learned', initMin: -1, initMax: 1});
    const x = tf.tensor2d([[-3, -0.5, 0, 0.5, 2, 4]]);
    const dy = tf.tensor2d([[0.5, 1, 2, 3, -1.5, 4]]);
    layer.apply(x);  // builds
    expect(layer.trainableWeights.map((w) => w.originalName)).toEqual([`${layer.name}/min`, `${layer.name}/max`]);
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const {value, grads} = tf.variableGrads(() => (layer.apply(x) as tf.Tensor).mul(dy).sum() as tf.Scalar, vars);
    const expected = fakeQuantWithMinMaxVarsGradient(dy, x, -1, 1);
    expect(grads[vars[0].name].dataSync()[0]).toBe(expected.backpropWrtMin.dataSync()[0]);
    expect(grads[vars[1].name].dataSync()[0]).toBe(expected.backpropWrtMax.dataSync()[0]);
    expect(grads[vars[0].name].dataSync()[0]).toBe(0.5);   // the element below the range
    expect(grads[vars[1].name].dataSync()[0]).toBe(2.5);   // the two elements above it
    expect(value.dataSync()[0]).toBeCloseTo(values(fakeQuantWithMinMaxVars(x, -1, 1)).reduce(
        (s, v, i) => s + v * values(dy)[i], 0), 5);
  });

  it("'learned': fit moves the range towards the data", async () => {
    const model = tf.sequential({layers: [new FakeQuant({inputShape: [4], mode: 'learned', initMin: -1, initMax: 1})]});
    model.compile({optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError'});
    const x = tf.tensor2d([[-3, -1, 1, 3], [-2.5, 0.5, 2, 2.8]]);
    await model.fit(x, x, {epochs: 20, batchSize: 2, verbose: 0});
    const {min, max} = (model.layers[0] as FakeQuant).getRange();
    expect(min[0]).toBeLessThan(-1.5);
    expect(max[0]).toBeGreaterThan(1.5);
  });

  it("'ema': training updates min/max as TF's moving average (decay, float32), inference does not", () => {
    const layer = new FakeQuant({emaDecay: 0.9, initMin: -1, initMax: 1, numBits: 8});
    const x1 = tf.tensor2d([[0.5, 2], [-0.25, 1]]);
    const rate = f32(1 - f32(0.9));
    const ema = (v: number, b: number) => f32(v - f32(f32(v - b) * rate));
    const y1 = layer.apply(x1, {training: true}) as tf.Tensor;
    const min1 = ema(-1, -0.25);
    const max1 = ema(1, 2);
    expect(weightValues(layer)).toEqual([[min1], [max1]]);
    // The batch is quantized with the updated range.
    expect(values(y1)).toEqual(values(fakeQuantWithMinMaxVars(x1, min1, max1)));

    // Batch extremes are widened to include 0 (TF: min(batch_min, 0), max(batch_max, 0)).
    const x2 = tf.tensor2d([[0.5, 0.75]]);
    layer.apply(x2, {training: true});
    const min2 = ema(min1, 0);
    const max2 = ema(max1, 0.75);
    expect(weightValues(layer)).toEqual([[min2], [max2]]);

    // Inference: frozen.
    layer.apply(tf.tensor2d([[-10, 10]]));
    layer.apply(tf.tensor2d([[-10, 10]]), {training: false});
    expect(weightValues(layer)).toEqual([[min2], [max2]]);
    expect(layer.trainableWeights).toEqual([]);
    expect(layer.nonTrainableWeights.length).toBe(2);
  });

  it("'ema' per channel tracks each channel's batch range; the default decay is 0.999", () => {
    const layer = new FakeQuant({perChannel: true, initMin: -6, initMax: 6});
    expect(layer.emaDecay).toBe(0.999);
    const x = tf.tensor3d([[[1, -2, 0.5]], [[3, -1, 0.25]]]);  // [2, 1, 3]
    layer.apply(x, {training: true});
    const rate = f32(1 - f32(0.999));
    const ema = (v: number, b: number) => f32(v - f32(f32(v - b) * rate));
    expect(weightValues(layer)).toEqual([
      [ema(-6, 0), ema(-6, -2), ema(-6, 0)].map(f32),
      [ema(6, 3), ema(6, 0), ema(6, 0.5)].map(f32),
    ]);
  });

  it('keeps min <= 0 <= max and a non-zero range: no NaN from any stored range', () => {
    const layer = new FakeQuant({mode: 'learned'});
    layer.build([null, 3]);
    const x = tf.tensor2d([[-1, 0.1, 5]]);
    for (const [lo, hi] of [[0.5, 0.2], [0, 0], [-0.3, -0.6], [2, -2], [0.3, 0.3]]) {
      layer.setWeights([tf.scalar(lo), tf.scalar(hi)]);
      const {min, max} = layer.getRange();
      expect(min[0]).toBeLessThanOrEqual(0);
      expect(max[0]).toBeGreaterThanOrEqual(0);
      expect(max[0] - min[0]).toBeGreaterThanOrEqual(f32(MIN_RANGE) * 0.99);
      expect(values(layer.apply(x) as tf.Tensor).every(Number.isFinite)).toBe(true);
    }
  });

  it('training that collapses a learned range produces no NaN', async () => {
    const model = tf.sequential({layers: [new FakeQuant({inputShape: [4], mode: 'learned', initMin: -1, initMax: 1})]});
    model.compile({optimizer: tf.train.sgd(50), loss: 'meanSquaredError'});
    const x = tf.tensor2d([[-3, -1, 1, 3], [-2, 0.5, 2, 4]]);
    const history = await model.fit(x, tf.zerosLike(x), {epochs: 10, batchSize: 2, verbose: 0});
    expect((history.history.loss as number[]).every(Number.isFinite)).toBe(true);
    expect(values(model.predict(x) as tf.Tensor).every(Number.isFinite)).toBe(true);
    const {min, max} = (model.layers[0] as FakeQuant).getRange();
    expect(min[0]).toBeLessThanOrEqual(0);
    expect(max[0]).toBeGreaterThan(min[0]);
  });

  it("'ema' on all-zero batches from a [0, 0] range stays finite", () => {
    const layer = new FakeQuant();
    layer.build([null, 2]);
    layer.setRange(0, 0);
    const y = layer.apply(tf.zeros([3, 2]), {training: true}) as tf.Tensor;
    expect(values(y)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(weightValues(layer)).toEqual([[0], [0]]);
  });

  it('calibration passes values through and sets the range from the recorded extremes', () => {
    const layer = new FakeQuant();
    layer.build([null, 2]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      layer.startCalibration('minmax');
      expect(values(layer.apply(tf.tensor2d([[0.5, 2]])) as tf.Tensor)).toEqual([0.5, 2]);
      layer.apply(tf.tensor2d([[0.25, 1]]));
      expect(layer.finishCalibration()).toBe(true);
    });
    expect(layer.getRange()).toEqual({min: [0], max: [2]});
    tf.tidy(() => {
      layer.startCalibration('average');
      layer.apply(tf.tensor2d([[-1, 2]]));
      layer.apply(tf.tensor2d([[-3, 1]]));
      layer.finishCalibration();
    });
    expect(layer.getRange()).toEqual({min: [-2], max: [1.5]});
    expect(tf.memory().numTensors).toBe(before);
    // Nothing seen: the range stays.
    layer.startCalibration();
    expect(layer.finishCalibration()).toBe(false);
    expect(layer.getRange()).toEqual({min: [-2], max: [1.5]});
  });

  it('validates its arguments', () => {
    expect(() => new FakeQuant({numBits: 1})).toThrow(/numBits must be an integer in 2\.\.16/);
    expect(() => new FakeQuant({numBits: 17})).toThrow(/numBits/);
    expect(() => new FakeQuant({mode: 'minmax' as 'ema'})).toThrow(/mode must be 'learned', 'ema' or 'fixed'/);
    expect(() => new FakeQuant({emaDecay: 1})).toThrow(/emaDecay/);
    expect(() => new FakeQuant({initMin: 1, initMax: 1})).toThrow(/initMin < initMax/);
    expect(() => new FakeQuant({perChannel: true}).build([null, null])).toThrow(/known last dimension/);
    expect(() => new FakeQuant().getRange()).toThrow(/not built/);
    expect(() => new FakeQuantWeights({layer: tf.layers.flatten()})).toThrow(/wraps Dense, Conv1D, Conv2D, DepthwiseConv2D, Conv2DTranspose layers, not Flatten/);
  });
});

describe('FakeQuant serialization', () => {
  it('round-trips through model.save / tf.loadLayersModel with its config and range', async () => {
    const fq = new FakeQuant({
      inputShape: [3], numBits: 5, narrowRange: true, perChannel: true, mode: 'learned',
      emaDecay: 0.99, initMin: -2, initMax: 3, name: 'fq_in',
    });
    const model = tf.sequential({layers: [fq, tf.layers.dense({units: 2, kernelInitializer: tf.initializers.glorotUniform({seed: 3})})]});
    fq.setRange([-1, -0.5, 0], [0.5, 1, 4]);
    const loaded = await roundTrip(model);
    const layer = loaded.layers[0];
    expect(layer).toBeInstanceOf(FakeQuant);
    expect(layer.getConfig()).toEqual(fq.getConfig());
    expect((layer as FakeQuant).getRange()).toEqual(fq.getRange());
    expect(layer.trainableWeights.length).toBe(2);
    const x = uniform([4, 3], -2, 4, 1);
    expect(values(loaded.predict(x) as tf.Tensor)).toEqual(values(model.predict(x) as tf.Tensor));
  });
});

describe('quantizeModel', () => {
  it('Sequential: predictions equal manual fake quantization of the same weights', () => {
    const float = mlp();
    const q = quantizeModel(float, {weightBits: 4, activationBits: 4});
    expect(q).toBeInstanceOf(tf.Sequential);
    expect(q.layers.map((l) => l.getClassName())).toEqual(
        ['InputLayer', 'FakeQuant', 'FakeQuantWeights', 'FakeQuant', 'FakeQuantWeights', 'FakeQuant']);
    const x = uniform([16, 6], -1, 2, 2);
    expect(calibrate(q, x)).toBe(3);
    const [rIn, rH, rOut] = fakeQuantLayers(q).map((l) => l.getRange());
    expect(rH.min[0]).toBe(0);  // ReLU output

    const [w1, b1, w2, b2] = float.getWeights();
    const perChannel = (w: tf.Tensor) => {
      const m = tf.max(tf.abs(w), 0);
      return fakeQuantWithMinMaxVarsPerChannel(w, tf.neg(m) as tf.Tensor1D, m as tf.Tensor1D, 4, true);
    };
    const act = (t: tf.Tensor, r: {min: number[], max: number[]}) => fakeQuantWithMinMaxVars(t, r.min[0], r.max[0], 4);
    const h = act(tf.relu(tf.matMul(act(x, rIn), perChannel(w1)).add(b1)), rH);
    const expected = act(tf.matMul(h, perChannel(w2)).add(b2), rOut);
    expect(values(q.predict(x) as tf.Tensor)).toEqual(values(expected));
    // The float model is unchanged and differs.
    expect(values(float.predict(x) as tf.Tensor)).not.toEqual(values(expected));
  });

  it('functional Conv2D model: kernels per channel, outputs quantized, predictions match manual', () => {
    const input = tf.input({shape: [5, 5, 2]});
    const conv = tf.layers.conv2d({filters: 3, kernelSize: 3, activation: 'relu', name: 'conv', kernelInitializer: tf.initializers.glorotUniform({seed: 5})})
        .apply(input) as tf.SymbolicTensor;
    const pool = tf.layers.maxPooling2d({poolSize: 3, name: 'pool'}).apply(conv) as tf.SymbolicTensor;
    const flat = tf.layers.flatten({name: 'flat'}).apply(pool) as tf.SymbolicTensor;
    const logits = tf.layers.dense({units: 2, name: 'logits', kernelInitializer: tf.initializers.glorotUniform({seed: 6})}).apply(flat) as tf.SymbolicTensor;
    const float = tf.model({inputs: input, outputs: logits});
    const q = quantizeModel(float, {weightBits: 8, activationBits: 8, perChannelWeights: true});
    expect(q.layers.map((l) => `${l.getClassName()}:${l.name}`)).toEqual([
      `InputLayer:${float.layers[0].name}`, `FakeQuant:${float.layers[0].name}_fq`, 'FakeQuantWeights:quant_conv',
      'FakeQuant:conv_fq', 'MaxPooling2D:pool', 'Flatten:flat', 'FakeQuantWeights:quant_logits', 'FakeQuant:logits_fq',
    ]);
    const x = uniform([3, 5, 5, 2], -1, 1, 7);
    calibrate(q, x);
    const [rIn, rConv, rOut] = fakeQuantLayers(q).map((l) => l.getRange());
    const [k, b, w, bw] = float.getWeights();
    const act = (t: tf.Tensor, r: {min: number[], max: number[]}) => fakeQuantWithMinMaxVars(t, r.min[0], r.max[0]);
    const c = act(tf.relu(tf.conv2d(act(x, rIn) as tf.Tensor4D, fakeQuantKernel(k) as tf.Tensor4D, 1, 'valid').add(b)), rConv);
    const expected = act(tf.matMul(tf.maxPool(c as tf.Tensor4D, 3, 3, 'valid').reshape([3, 3]), fakeQuantKernel(w)).add(bw), rOut);
    const got = values(q.predict(x) as tf.Tensor);
    values(expected).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    // fakeQuantKernel is per output channel: each filter's largest |w| is kept exactly.
    const maxAbs = (t: tf.Tensor) => values(tf.max(tf.abs(t.reshape([-1, 3])), 0));
    expect(maxAbs(fakeQuantKernel(k))).toEqual(maxAbs(k));
  });

  it('functional model with a shared layer and two inputs', () => {
    const a = tf.input({shape: [4], name: 'a'});
    const b = tf.input({shape: [4], name: 'b'});
    const shared = tf.layers.dense({units: 3, name: 'shared'});
    const sum = tf.layers.add({name: 'sum'}).apply([shared.apply(a), shared.apply(b)] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
    const float = tf.model({inputs: [a, b], outputs: sum});
    const q = quantizeModel(float, {quantizeInputs: false});
    expect(q.inputLayers.map((l) => l.name)).toEqual(['a', 'b']);
    const names = q.layers.map((l) => l.name).sort();
    expect(names).toEqual(['a', 'b', 'quant_shared', 'shared_fq', 'shared_fq_1', 'sum', 'sum_fq'].sort());
    expect(q.getWeights().length).toBe(2 + 3 * 2);
    const x = [uniform([2, 4], -1, 1, 1), uniform([2, 4], -1, 1, 2)];
    calibrate(q, x);
    const out = q.predict(x) as tf.Tensor;
    expect(out.shape).toEqual([2, 3]);
  });

  it('options: per-tensor weights, learned ranges, per-layer bits', () => {
    const float = mlp(3);
    const q = quantizeModel(float, {
      perChannelWeights: false, mode: 'learned', weightBits: 4, activationBits: 4,
      layerOptions: {out: {activationBits: 8, weightBits: 6}},
    });
    const wrappers = q.layers.filter((l): l is FakeQuantWeights => l instanceof FakeQuantWeights);
    expect(wrappers.map((w) => [w.perChannel, w.numBits])).toEqual([[false, 4], [false, 6]]);
    const fqs = fakeQuantLayers(q);
    expect(fqs.map((l) => [l.mode, l.numBits])).toEqual([['learned', 4], ['learned', 4], ['learned', 8]]);
    // Learned ranges are trained with the model.
    expect(q.trainableWeights.length).toBe(4 + 2 * 3);
    expect(() => quantizeModel(float, {weightBits: 1})).toThrow(/weightBits must be an integer in 2\.\.16/);
    expect(() => quantizeModel(q)).toThrow(/already quantized/);
  });

  it('QAT fine-tuning updates the quantized copy only and leaks no tensors over steps', async () => {
    const float = mlp(4);
    const x = uniform([64, 6], 0, 1, 3);
    const y = tf.oneHot(tf.argMax(x.slice([0, 0], [64, 3]), 1), 3).toFloat();
    const floatBefore = values(float.predict(x) as tf.Tensor);
    const q = quantizeModel(float, {weightBits: 4, activationBits: 4});
    const n0 = tf.memory().numTensors;
    calibrate(q, x, {batchSize: 16});
    expect(tf.memory().numTensors).toBe(n0);
    const optimizer = tf.train.adam(0.01);
    // (not softmaxCrossEntropy: tfjs's own custom gradient trips IS_TEST's kernel leak check)
    q.compile({optimizer, loss: 'meanSquaredError'});
    const rangesBefore = fakeQuantLayers(q).map((l) => l.getRange());
    await q.fit(x, y, {epochs: 1, batchSize: 16, verbose: 0});
    const n1 = tf.memory().numTensors;  // + optimizer state
    const history = await q.fit(x, y, {epochs: 5, batchSize: 16, verbose: 0});
    expect(tf.memory().numTensors).toBe(n1);
    expect((history.history.loss as number[]).every(Number.isFinite)).toBe(true);
    expect(fakeQuantLayers(q).map((l) => l.getRange())).not.toEqual(rangesBefore);  // EMA moved
    tf.tidy(() => {
      q.predict(x);
    });
    expect(tf.memory().numTensors).toBe(n1);
    expect(values(float.predict(x) as tf.Tensor)).toEqual(floatBefore);
    optimizer.dispose();
  });

  it('Conv2D -> BatchNormalization -> ReLU: no quantizer inside the fused block (TFLite fuses it)', () => {
    const float = tf.sequential({layers: [
      tf.layers.conv2d({inputShape: [5, 5, 2], filters: 3, kernelSize: 3, name: 'conv', kernelInitializer: tf.initializers.glorotUniform({seed: 12})}),
      tf.layers.batchNormalization({name: 'bn'}),
      tf.layers.reLU({name: 'relu'}),
      tf.layers.flatten({name: 'flat'}),
      tf.layers.dense({units: 2, name: 'logits', kernelInitializer: tf.initializers.glorotUniform({seed: 13})}),
    ]});
    const bn = float.getLayer('bn');
    bn.setWeights([tf.tensor1d([1.5, 0.5, 2]), tf.tensor1d([0.1, -0.2, 0.3]), tf.tensor1d([0.2, -0.1, 0]),
                   tf.tensor1d([0.5, 2, 1])]);
    const q = quantizeModel(float);
    expect(q.layers.map((l) => `${l.getClassName()}:${l.name}`).slice(1)).toEqual([
      `FakeQuant:${q.layers[0].name}_fq`, 'FakeQuantWeights:quant_conv', 'BatchNormalization:bn', 'ReLU:relu',
      'FakeQuant:relu_fq', 'Flatten:flat', 'FakeQuantWeights:quant_logits', 'FakeQuant:logits_fq',
    ]);
    const x = uniform([4, 5, 5, 2], -1, 1, 14);
    expect(calibrate(q, x)).toBe(3);
    const [rIn, rRelu, rOut] = fakeQuantLayers(q).map((l) => l.getRange());
    const [[k, b], [gamma, beta, mean, variance], [w, bw]] =
        ['conv', 'bn', 'logits'].map((name) => float.getLayer(name).getWeights());
    const act = (t: tf.Tensor, r: {min: number[], max: number[]}) => fakeQuantWithMinMaxVars(t, r.min[0], r.max[0]);
    const c = tf.conv2d(act(x, rIn) as tf.Tensor4D, fakeQuantKernel(k) as tf.Tensor4D, 1, 'valid').add(b);
    const normalized = tf.batchNorm(c, mean, variance, beta, gamma, 1e-3);  // tfjs-layers' default epsilon
    const r = act(tf.relu(normalized), rRelu);
    const expected = act(tf.matMul(r.reshape([4, 27]), fakeQuantKernel(w)).add(bw), rOut);
    const got = values(q.predict(x) as tf.Tensor);
    values(expected).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
  });

  it('fusion needs a single consumer inside the model and a linear producer', () => {
    const input = tf.input({shape: [4]});
    const dense = tf.layers.dense({units: 4, name: 'd'}).apply(input) as tf.SymbolicTensor;
    // d feeds a ReLU and also the Add: its output is needed quantized.
    const relu = tf.layers.activation({activation: 'relu', name: 'r'}).apply(dense) as tf.SymbolicTensor;
    const other = tf.layers.dense({units: 4, activation: 'tanh', name: 'e'}).apply(input) as tf.SymbolicTensor;
    const add = tf.layers.add({name: 'add'}).apply([dense, relu]) as tf.SymbolicTensor;
    // Add -> ReLU fuses; e (tanh, split into e -> e_tanh) -> ReLU6 does not.
    const addRelu = tf.layers.reLU({name: 'add_relu'}).apply(add) as tf.SymbolicTensor;
    const eRelu = tf.layers.reLU({maxValue: 6, name: 'e_relu'}).apply(other) as tf.SymbolicTensor;
    const float = tf.model({inputs: input, outputs: [addRelu, eRelu]});
    const q = quantizeModel(float, {quantizeInputs: false});
    const quantized = fakeQuantLayers(q).map((l) => l.name.replace(/_fq$/, '')).sort();
    expect(quantized).toEqual(['add_relu', 'd', 'e', 'e_tanh', 'e_relu', 'r'].sort());
    calibrate(q, uniform([3, 4], -1, 1, 15));
    expect((q.predict(uniform([3, 4], -1, 1, 16)) as tf.Tensor[]).map((t) => t.shape)).toEqual([[3, 4], [3, 4]]);
  });

  it('nested model (a base used as a layer): quantized inside, predictions match manual', () => {
    const base = mlp(7);
    const float = tf.sequential({layers: [
      base,
      tf.layers.dense({units: 2, name: 'head', kernelInitializer: tf.initializers.glorotUniform({seed: 9})}),
    ]});
    const q = quantizeModel(float, {weightBits: 4, activationBits: 4});
    expect(q.layers.map((l) => l.getClassName())).toEqual(
        ['InputLayer', 'FakeQuant', 'Sequential', 'FakeQuantWeights', 'FakeQuant']);
    const nested = q.layers[2] as tf.LayersModel;
    // Its input comes quantized from the outer model: no second input quantizer.
    expect(nested.layers.map((l) => l.getClassName())).toEqual(
        ['InputLayer', 'FakeQuantWeights', 'FakeQuant', 'FakeQuantWeights', 'FakeQuant']);
    const x = uniform([16, 6], -1, 2, 8);
    expect(calibrate(q, x)).toBe(4);
    const [rIn, rH, rOut, rHead] = fakeQuantLayers(q).map((l) => l.getRange());
    expect(rH.min[0]).toBe(0);  // ReLU output inside the nested model

    const [w1, b1, w2, b2, w3, b3] = float.getWeights();
    const act = (t: tf.Tensor, r: {min: number[], max: number[]}) => fakeQuantWithMinMaxVars(t, r.min[0], r.max[0], 4);
    const kernel = (w: tf.Tensor) => fakeQuantKernel(w, 4);
    const h = act(tf.relu(tf.matMul(act(x, rIn), kernel(w1)).add(b1)), rH);
    const o = act(tf.matMul(h, kernel(w2)).add(b2), rOut);
    const expected = act(tf.matMul(o, kernel(w3)).add(b3), rHead);
    expect(values(q.predict(x) as tf.Tensor)).toEqual(values(expected));
    expect(() => quantizeModel(q)).toThrow(/already quantized/);
  });

  it('nested functional model: QAT updates its ranges, save / load round trip', async () => {
    const inner = tf.input({shape: [6]});
    const innerOut = tf.layers.dense({units: 4, activation: 'relu', name: 'inner_dense'}).apply(inner) as tf.SymbolicTensor;
    const base = tf.model({inputs: inner, outputs: innerOut, name: 'base'});
    const input = tf.input({shape: [6]});
    const features = base.apply(input) as tf.SymbolicTensor;
    const out = tf.layers.dense({units: 3, name: 'classifier'}).apply(features) as tf.SymbolicTensor;
    const float = tf.model({inputs: input, outputs: out});
    const q = quantizeModel(float, {activationBits: 6});
    expect(q.layers.map((l) => l.name)).toContain('base_quantized');
    const x = uniform([8, 6], -1, 1, 11);
    expect(calibrate(q, x)).toBe(3);
    const before = fakeQuantLayers(q).map((l) => l.getRange());
    q.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
    await q.fit(x, tf.ones([8, 3]), {epochs: 2, batchSize: 4, verbose: 0});
    const after = fakeQuantLayers(q).map((l) => l.getRange());
    expect(after[1]).not.toEqual(before[1]);  // the nested model's EMA saw training batches
    const loaded = await roundTrip(q);
    expect(loaded.getWeights().map((w) => values(w))).toEqual(q.getWeights().map((w) => values(w)));
    expect(values(loaded.predict(x) as tf.Tensor)).toEqual(values(q.predict(x) as tf.Tensor));
    expect(fakeQuantLayers(loaded).map((l) => l.getRange())).toEqual(after);
  });

  it('a frozen nested model stays frozen: QAT trains the head only', async () => {
    const base = mlp(17);
    base.trainable = false;
    const input = tf.input({shape: [6]});
    const head = tf.layers.dense({units: 2, name: 'head'}).apply(base.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const q = quantizeModel(tf.model({inputs: input, outputs: head}), {mode: 'learned'});
    const nested = q.layers.find((l) => l instanceof tf.LayersModel) as tf.LayersModel;
    expect(nested.trainable).toBe(false);
    // Trainable: the head's kernel and bias and the learned ranges of the outer quantizers only.
    expect(q.trainableWeights.map((w) => w.originalName).filter((n) => !/quant_head|_fq/.test(n))).toEqual([]);
    const baseBefore = nested.getWeights().map((w) => values(w));
    const x = uniform([8, 6], -1, 1, 18);
    q.compile({optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError'});
    await q.fit(x, tf.ones([8, 2]), {epochs: 2, batchSize: 4, verbose: 0});
    expect(nested.getWeights().map((w) => values(w))).toEqual(baseBefore);
  });

  it('a quantized model round-trips through save / load (nested layer config, EMA state)', async () => {
    const float = mlp(5);
    const q = quantizeModel(float, {weightBits: 5, activationBits: 6, perChannelWeights: true});
    const x = uniform([8, 6], -1, 1, 4);
    calibrate(q, x);
    q.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
    await q.fit(x, tf.zeros([8, 3]), {epochs: 2, batchSize: 4, verbose: 0});
    const loaded = await roundTrip(q);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(q.layers.map((l) => l.getClassName()));
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(q.layers.map((l) => l.getConfig()));
    expect(loaded.getWeights().map((w) => values(w))).toEqual(q.getWeights().map((w) => values(w)));
    expect(values(loaded.predict(x) as tf.Tensor)).toEqual(values(q.predict(x) as tf.Tensor));
    // And it trains on.
    loaded.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
    const h = await loaded.fit(x, tf.zeros([8, 3]), {epochs: 1, batchSize: 4, verbose: 0});
    expect(Number.isFinite(h.history.loss[0] as number)).toBe(true);
  });
});
