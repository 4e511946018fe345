/**
 * What quantizeModel learned for the int8 export: the shared fusion rules (src/layers/fusion.ts,
 * checked against TF Model Optimization's default 8-bit patterns), DepthwiseConv2D and
 * Conv2DTranspose kernels, the `perChannelWeights: 'conv'` scheme, and TFLite's fixed output
 * ranges after softmax / sigmoid / tanh. References are plain-JS float64 computations.
 */
import * as tf from '@tensorflow/tfjs';

import {calibrate, FakeQuant, FakeQuantWeights, fakeQuantLayers, fixedOutputRange, fusesInto, ownActivation, quantizeModel, reluKind} from '../../src/layers';

/** TF's FakeQuantWithMinMaxArgs in float64: nudged range, then round half up on the grid. */
function fakeQuantJs(x: number, lo: number, hi: number, numBits = 8, narrow = false): number {
  const qMin = narrow ? 1 : 0;
  const qMax = 2 ** numBits - 1;
  const scale = (hi - lo) / (qMax - qMin);
  const zeroPoint = Math.min(qMax, Math.max(qMin, Math.round(qMin - lo / scale)));
  const nMin = (qMin - zeroPoint) * scale;
  const nMax = (qMax - zeroPoint) * scale;
  const clamped = Math.min(nMax, Math.max(nMin, x));
  return Math.floor((clamped - nMin) / scale + 0.5) * scale + nMin;
}

/** A symmetric narrow-range kernel value at 8 bits: the grid of step m / 127. */
function kernelQuantJs(w: number, m: number): number {
  return m === 0 ? 0 : Math.round(w / (m / 127)) * (m / 127);
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-6): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst).toBeLessThan(tol);
}

function classes(model: tf.LayersModel): string[] {
  return model.layers.map((l) => `${l.getClassName()}:${l.name}`);
}

afterEach(() => {
  tf.disposeVariables();
});

describe('fusion rules (TF MOT default_8bit_transforms)', () => {
  const relu = () => tf.layers.reLU();
  const cases: Array<[string, () => tf.layers.Layer, () => tf.layers.Layer, boolean]> = [
    // Conv2DBatchNormQuantize, DenseBatchNormQuantize: the kernel layer's activation linear.
    ['Conv2D -> BN', () => tf.layers.conv2d({filters: 2, kernelSize: 1}), () => tf.layers.batchNormalization(), true],
    ['DepthwiseConv2D -> BN', () => tf.layers.depthwiseConv2d({kernelSize: 1}), () => tf.layers.batchNormalization(), true],
    ['Dense -> BN', () => tf.layers.dense({units: 2}), () => tf.layers.batchNormalization(), true],
    ['Conv2D(relu) -> BN', () => tf.layers.conv2d({filters: 2, kernelSize: 1, activation: 'relu'}), () => tf.layers.batchNormalization(), false],
    ['Conv1D -> BN (not in MOT\'s patterns)', () => tf.layers.conv1d({filters: 2, kernelSize: 1}), () => tf.layers.batchNormalization(), false],
    // LayerReLUQuantize: ReLU after Add|Conv2D|DepthwiseConv2D|Dense; ...ActivationQuantize.
    ['Conv2D -> ReLU', () => tf.layers.conv2d({filters: 2, kernelSize: 1}), relu, true],
    ['DepthwiseConv2D -> ReLU6', () => tf.layers.depthwiseConv2d({kernelSize: 1}), () => tf.layers.reLU({maxValue: 6}), true],
    ['Dense -> Activation(relu)', () => tf.layers.dense({units: 2}), () => tf.layers.activation({activation: 'relu'}), true],
    ['Dense -> Activation(relu6)', () => tf.layers.dense({units: 2}), () => tf.layers.activation({activation: 'relu6'}), true],
    ['Add -> ReLU', () => tf.layers.add(), relu, true],
    ['BN -> ReLU (Conv2DBatchNormReLUQuantize)', () => tf.layers.batchNormalization(), relu, true],
    ['Dense(tanh) -> ReLU', () => tf.layers.dense({units: 2, activation: 'tanh'}), relu, false],
    ['Dense -> ReLU(max 3): no TFLite fused kind', () => tf.layers.dense({units: 2}), () => tf.layers.reLU({maxValue: 3}), false],
    ['Dense -> Activation(tanh)', () => tf.layers.dense({units: 2}), () => tf.layers.activation({activation: 'tanh'}), false],
    ['Concatenate -> ReLU (MOT quantizes the concat output)', () => tf.layers.concatenate(), relu, false],
    ['Conv2D -> Dense', () => tf.layers.conv2d({filters: 2, kernelSize: 1}), () => tf.layers.dense({units: 2}), false],
  ];
  it.each(cases)('%s', (_, producer, consumer, fuses) => {
    expect(fusesInto(producer(), consumer())).toBe(fuses);
  });

  it('sees through FakeQuantWeights (the exporter reads quantized models)', () => {
    const wrapped = new FakeQuantWeights({layer: tf.layers.depthwiseConv2d({kernelSize: 1})});
    expect(fusesInto(wrapped, tf.layers.batchNormalization())).toBe(true);
    const withRelu6 = new FakeQuantWeights({layer: tf.layers.dense({units: 2, activation: 'relu6'})});
    expect(ownActivation(withRelu6)).toBe('relu6');
    expect(fusesInto(withRelu6, tf.layers.reLU())).toBe(false);
  });

  it('reluKind and ownActivation name what TFLite fuses', () => {
    expect(reluKind(tf.layers.reLU())).toBe('relu');
    expect(reluKind(tf.layers.reLU({maxValue: 6}))).toBe('relu6');
    expect(reluKind(tf.layers.reLU({maxValue: 1}))).toBeNull();
    expect(reluKind(tf.layers.activation({activation: 'relu6'}))).toBe('relu6');
    expect(reluKind(tf.layers.activation({activation: 'elu'}))).toBeNull();
    expect(reluKind(tf.layers.dense({units: 1, activation: 'relu'}))).toBeNull();
    expect(ownActivation(tf.layers.dense({units: 1}))).toBe('linear');
    expect(ownActivation(tf.layers.conv2d({filters: 1, kernelSize: 1, activation: 'relu'}))).toBe('relu');
    expect(ownActivation(tf.layers.dense({units: 1, activation: 'softmax'}))).toBeNull();
    expect(ownActivation(tf.layers.flatten())).toBe('linear');
  });
});

describe('DepthwiseConv2D', () => {
  /** Input [5, 5, 3], depth multiplier 2: output channel c * 2 + m, per-channel scales very different. */
  function depthwiseModel(): tf.Sequential {
    const model = tf.sequential({layers: [
      tf.layers.depthwiseConv2d({inputShape: [5, 5, 3], kernelSize: 3, depthMultiplier: 2, useBias: true, name: 'dw'}),
      tf.layers.batchNormalization({name: 'bn'}),
      tf.layers.reLU({maxValue: 6, name: 'relu6'}),
    ]});
    const kernel = Array.from({length: 3 * 3 * 3 * 2}, (_, i) => Math.sin(i * 1.7) * (1 + (i % 6) * 3));
    model.getLayer('dw').setWeights([tf.tensor4d(kernel, [3, 3, 3, 2]), tf.tensor1d([0.1, -0.2, 0.3, 0, 0.5, -0.4])]);
    model.getLayer('bn').setWeights([tf.tensor1d([1.5, 0.5, 2, 1, 0.7, 1.2]), tf.tensor1d([0.1, -0.2, 0.3, 0, 0.2, -0.1]),
                                    tf.tensor1d([0.2, -0.1, 0, 0.3, -0.3, 0.1]), tf.tensor1d([0.5, 2, 1, 4, 3, 0.8])]);
    return model;
  }

  it('kernel per in*mult channel; depthwise -> BN -> ReLU6 fused; predictions match a float64 reference', () => {
    const float = depthwiseModel();
    const q = quantizeModel(float);
    expect(classes(q).slice(1)).toEqual([
      `FakeQuant:${q.layers[0].name}_fq`, 'FakeQuantWeights:quant_dw', 'BatchNormalization:bn', 'ReLU:relu6',
      'FakeQuant:relu6_fq',
    ]);
    const x = tf.randomUniform([2, 5, 5, 3], -1, 1, 'float32', 21);
    expect(calibrate(q, x)).toBe(2);
    const [rIn, rOut] = fakeQuantLayers(q).map((l) => l.getRange());

    // Kernel: per output channel o = c * 2 + m, m = max |w| over the 3 x 3 window.
    const k = Array.from(float.getLayer('dw').getWeights()[0].dataSync());
    const at = (i: number, j: number, c: number, m: number) => ((i * 3 + j) * 3 + c) * 2 + m;
    const maxAbs = new Array(6).fill(0);
    k.forEach((w, idx) => maxAbs[idx % 6] = Math.max(maxAbs[idx % 6], Math.abs(w)));
    const kq = k.map((w, idx) => kernelQuantJs(w, maxAbs[idx % 6]));
    const wrapper = q.getLayer('quant_dw') as FakeQuantWeights;
    expectClose(wrapper.quantizedKernel().dataSync(), kq);
    expectClose(wrapper.getKernelRange().max, maxAbs);
    expectClose(wrapper.getKernelRange().min, maxAbs.map((m) => -m));

    // Forward: valid 3x3 depthwise conv on the quantized input, BN (eps 1e-3), ReLU6, quantizer.
    const xv = Array.from(x.dataSync()).map((v) => fakeQuantJs(v, rIn.min[0], rIn.max[0]));
    const [, bias] = float.getLayer('dw').getWeights().map((t) => Array.from(t.dataSync()));
    const [gamma, beta, mean, variance] = float.getLayer('bn').getWeights().map((t) => Array.from(t.dataSync()));
    const want: number[] = [];
    for (let n = 0; n < 2; n++) {
      for (let y = 0; y < 3; y++) {
        for (let xx = 0; xx < 3; xx++) {
          for (let c = 0; c < 3; c++) {
            for (let m = 0; m < 2; m++) {
              const o = c * 2 + m;
              let acc = bias[o];
              for (let i = 0; i < 3; i++) {
                for (let j = 0; j < 3; j++) acc += xv[((n * 5 + y + i) * 5 + xx + j) * 3 + c] * kq[at(i, j, c, m)];
              }
              const bn = (acc - mean[o]) / Math.sqrt(variance[o] + 1e-3) * gamma[o] + beta[o];
              want.push(fakeQuantJs(Math.min(6, Math.max(0, bn)), rOut.min[0], rOut.max[0]));
            }
          }
        }
      }
    }
    expectClose((q.predict(x) as tf.Tensor).dataSync(), want, 1e-5);
  });

  it('a per-tensor depthwise kernel uses one range; QAT trains the depthwise kernel', async () => {
    const float = depthwiseModel();
    const q = quantizeModel(float, {perChannelWeights: false});
    const wrapper = q.getLayer('quant_dw') as FakeQuantWeights;
    const k = Array.from(float.getLayer('dw').getWeights()[0].dataSync());
    const m = Math.max(...k.map(Math.abs));
    expectClose(wrapper.quantizedKernel().dataSync(), k.map((w) => kernelQuantJs(w, m)));
    q.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
    const x = tf.randomUniform([4, 5, 5, 3], -1, 1, 'float32', 22);
    const y = tf.randomUniform([4, 3, 3, 6], 0, 1, 'float32', 23);
    const before = tf.memory().numTensors;
    await q.fit(x, y, {epochs: 1, batchSize: 4, verbose: 0});
    expect(tf.memory().numTensors).toBe(before);
    const trained = Array.from(wrapper.kernelVariable().read().dataSync());
    expect(trained.some((w, i) => w !== k[i])).toBe(true);
    expect(Array.from(float.getLayer('dw').getWeights()[0].dataSync())).toEqual(k);
  });
});

describe("perChannelWeights: 'conv' (TF MOT's default scheme) and Conv2DTranspose", () => {
  it('per channel for Conv2D and DepthwiseConv2D, per tensor for Dense and Conv2DTranspose', () => {
    const float = tf.sequential({layers: [
      tf.layers.conv2d({inputShape: [6, 6, 2], filters: 3, kernelSize: 3, name: 'conv', kernelInitializer: tf.initializers.glorotUniform({seed: 45})}),
      tf.layers.depthwiseConv2d({kernelSize: 1, name: 'dw', depthwiseInitializer: tf.initializers.glorotUniform({seed: 46})}),
      tf.layers.conv2dTranspose({filters: 2, kernelSize: 2, strides: 2, name: 'up', kernelInitializer: tf.initializers.glorotUniform({seed: 47})}),
      tf.layers.flatten(),
      tf.layers.dense({units: 3, name: 'fc', kernelInitializer: tf.initializers.glorotUniform({seed: 48})}),
    ]});
    const perChannel = (q: tf.LayersModel) =>
        q.layers.filter((l) => l instanceof FakeQuantWeights).map((l) => [l.name, (l as FakeQuantWeights).perChannel]);
    expect(perChannel(quantizeModel(float, {perChannelWeights: 'conv'}))).toEqual(
        [['quant_conv', true], ['quant_dw', true], ['quant_up', false], ['quant_fc', false]]);
    expect(perChannel(quantizeModel(float))).toEqual(
        [['quant_conv', true], ['quant_dw', true], ['quant_up', false], ['quant_fc', true]]);
    expect(perChannel(quantizeModel(float, {perChannelWeights: false}))).toEqual(
        [['quant_conv', false], ['quant_dw', false], ['quant_up', false], ['quant_fc', false]]);

    // The Dense kernel under 'conv': one range, the largest |w| of the whole kernel.
    const q = quantizeModel(float, {perChannelWeights: 'conv'});
    const w = Array.from(float.getLayer('fc').getWeights()[0].dataSync());
    const m = Math.max(...w.map(Math.abs));
    expectClose((q.getLayer('quant_fc') as FakeQuantWeights).quantizedKernel().dataSync(), w.map((v) => kernelQuantJs(v, m)));
    expect((q.getLayer('quant_fc') as FakeQuantWeights).getKernelRange()).toEqual({min: [-Math.fround(m)], max: [Math.fround(m)]});
  });

  it('Conv2DTranspose computes with its per-tensor quantized kernel', () => {
    const float = tf.sequential({layers: [
      tf.layers.conv2dTranspose({
        inputShape: [2, 2, 1], filters: 2, kernelSize: 2, strides: 2, useBias: false, name: 'up',
        kernelInitializer: tf.initializers.glorotUniform({seed: 44}),
      }),
    ]});
    const q = quantizeModel(float, {quantizeInputs: false});
    const x = tf.tensor4d([0.5, -1, 0.25, 2], [1, 2, 2, 1]);
    calibrate(q, x);
    const r = fakeQuantLayers(q)[0].getRange();
    // kernel [kh, kw, out, in]: stride 2 = kernel size, so each input pixel writes one 2x2 patch.
    const k = Array.from(float.getLayer('up').getWeights()[0].dataSync());
    const m = Math.max(...k.map(Math.abs));
    const kq = k.map((w) => kernelQuantJs(w, m));
    const xv = [0.5, -1, 0.25, 2];
    const want: number[] = [];
    for (let y = 0; y < 4; y++) {
      for (let xx = 0; xx < 4; xx++) {
        for (let o = 0; o < 2; o++) {
          const v = xv[(y >> 1) * 2 + (xx >> 1)] * kq[((y % 2) * 2 + (xx % 2)) * 2 + o];
          want.push(fakeQuantJs(v, r.min[0], r.max[0]));
        }
      }
    }
    expectClose((q.predict(x) as tf.Tensor).dataSync(), want);
    expect(() => new FakeQuantWeights({layer: tf.layers.conv2dTranspose({filters: 1, kernelSize: 1}), perChannel: true}))
        .toThrow(/Conv2DTranspose kernels are quantized per tensor/);
  });
});

describe("TFLite's fixed output ranges (softmax, sigmoid, tanh)", () => {
  const f32 = Math.fround;

  it('Dense(softmax) is split; the softmax quantizer is [0, 255/256] and stays there through calibrate and fit', async () => {
    const float = tf.sequential({layers: [
      tf.layers.dense({inputShape: [4], units: 3, activation: 'softmax', name: 'd', kernelInitializer: tf.initializers.glorotUniform({seed: 3})}),
    ]});
    const q = quantizeModel(float);
    expect(classes(q).slice(2)).toEqual(
        ['FakeQuantWeights:quant_d', 'FakeQuant:d_fq', 'Activation:d_softmax', 'FakeQuant:d_softmax_fq']);
    const [fqIn, fqPre, fqOut] = fakeQuantLayers(q);
    expect(fqOut.mode).toBe('fixed');
    expect(fqOut.getRange()).toEqual({min: [0], max: [f32(255 / 256)]});
    const x = tf.randomUniform([16, 4], -2, 2, 'float32', 31);
    expect(calibrate(q, x)).toBe(2);
    q.compile({optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy'});
    await q.fit(x, tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'int32'), 3), {epochs: 2, verbose: 0});
    expect(fqOut.getRange()).toEqual({min: [0], max: [f32(255 / 256)]});
    expect(() => fqOut.setRange(0, 1)).toThrow(/range is fixed/);

    // Reference: TFLite's int8 softmax output grid, 1/256 steps, at most 255/256.
    const rIn = fqIn.getRange();
    const rPre = fqPre.getRange();
    const [w, b] = q.getLayer('quant_d').getWeights().map((t) => Array.from(t.dataSync()));
    const maxAbs = [0, 1, 2].map((o) => Math.max(...[0, 1, 2, 3].map((i) => Math.abs(w[i * 3 + o]))));
    const xs = Array.from(x.dataSync());
    const want: number[] = [];
    for (let n = 0; n < 16; n++) {
      const logits = [0, 1, 2].map((o) => {
        let acc = b[o];
        for (let i = 0; i < 4; i++) acc += fakeQuantJs(xs[n * 4 + i], rIn.min[0], rIn.max[0]) * kernelQuantJs(w[i * 3 + o], maxAbs[o]);
        return fakeQuantJs(acc, rPre.min[0], rPre.max[0]);
      });
      const e = logits.map((l) => Math.exp(l - Math.max(...logits)));
      const sum = e.reduce((a, v) => a + v, 0);
      e.forEach((v) => want.push(Math.min(255, Math.floor(v / sum * 256 + 0.5)) / 256));
    }
    expectClose((q.predict(x) as tf.Tensor).dataSync(), want, 1e-5);
  });

  it('Softmax and Activation layers, sigmoid and tanh get fixed ranges; numBits sets the grid', () => {
    const input = tf.input({shape: [3]});
    const a = tf.layers.dense({units: 3, name: 'a'}).apply(input) as tf.SymbolicTensor;
    const sm = tf.layers.softmax({name: 'sm'}).apply(a) as tf.SymbolicTensor;
    const sig = tf.layers.activation({activation: 'sigmoid', name: 'sig'}).apply(a) as tf.SymbolicTensor;
    const th = tf.layers.dense({units: 2, activation: 'tanh', name: 'th'}).apply(a) as tf.SymbolicTensor;
    const float = tf.model({inputs: input, outputs: [sm, sig, th]});
    const ranges = (q: tf.LayersModel) => Object.fromEntries(
        fakeQuantLayers(q).filter((l) => l.mode === 'fixed').map((l) => [l.name, l.getRange()]));
    expect(ranges(quantizeModel(float))).toEqual({
      sm_fq: {min: [0], max: [f32(255 / 256)]},
      sig_fq: {min: [0], max: [f32(255 / 256)]},
      th_tanh_fq: {min: [-1], max: [f32(127 / 128)]},
    });
    expect(ranges(quantizeModel(float, {activationBits: 4, layerOptions: {th: {activationBits: 8}}}))).toEqual({
      sm_fq: {min: [0], max: [f32(15 / 16)]},
      sig_fq: {min: [0], max: [f32(15 / 16)]},
      th_tanh_fq: {min: [-1], max: [f32(127 / 128)]},
    });
    // At 8 bits TF's nudge of [0, 255/256] gives scale 1/256 and zero point 0 (int8: -128).
    const q = quantizeModel(float);
    const out = (q.predict(tf.randomNormal([8, 3], 0, 3, 'float32', 32)) as tf.Tensor[]);
    for (const t of out.slice(0, 2)) {
      const v = Array.from(t.dataSync());
      expect(v.every((p) => p >= 0 && p <= 255 / 256 && Number.isInteger(Math.round(p * 256 * 1e6) / 1e6))).toBe(true);
    }
  });

  it('fixedOutputRange: what TFLite fixes, and only that', () => {
    expect(fixedOutputRange(tf.layers.dense({units: 1, activation: 'sigmoid'}), 8)).toEqual([0, 255 / 256]);
    expect(fixedOutputRange(tf.layers.activation({activation: 'tanh'}), 8)).toEqual([-1, 127 / 128]);
    expect(fixedOutputRange(tf.layers.softmax(), 16)).toEqual([0, 1 - 2 ** -16]);
    expect(fixedOutputRange(tf.layers.simpleRNN({units: 2}), 8)).toBeNull();  // tanh inside the cell
    expect(fixedOutputRange(tf.layers.dense({units: 1, activation: 'relu'}), 8)).toBeNull();
    expect(fixedOutputRange(tf.layers.activation({activation: 'elu'}), 8)).toBeNull();
  });

  it("a 'fixed' FakeQuant round-trips and ignores EMA training", () => {
    const fq = new FakeQuant({mode: 'fixed', initMin: 0, initMax: 255 / 256});
    fq.apply(tf.zeros([1, 2]));
    fq.apply(tf.tensor2d([[5, -3]]), {training: true});
    expect(fq.getRange()).toEqual({min: [0], max: [f32(255 / 256)]});
    expect((FakeQuant.fromConfig(FakeQuant, fq.getConfig()) as FakeQuant).mode).toBe('fixed');
    expect(fq.trainableWeights).toEqual([]);
  });
});

describe('SeparableConv2D (MOT SeparableConvQuantize: DepthwiseConv2D, quantizer, 1x1 Conv2D)', () => {
  function separableModel(dilationRate = 1): tf.Sequential {
    return tf.sequential({layers: [
      tf.layers.separableConv2d({
        inputShape: [4, 4, 2], filters: 3, kernelSize: 3, depthMultiplier: 2, dilationRate, padding: 'same', name: 'sep',
        depthwiseInitializer: tf.initializers.glorotUniform({seed: 41}), pointwiseInitializer: tf.initializers.glorotUniform({seed: 42}),
        biasInitializer: tf.initializers.constant({value: 0.1}),
      }),
      tf.layers.batchNormalization({name: 'bn'}),
      tf.layers.reLU({name: 'relu'}),
    ]});
  }

  it('is split with its weights; the pointwise conv -> BN -> ReLU fuses; predictions match a float64 reference', () => {
    const float = separableModel();
    const q = quantizeModel(float);
    expect(classes(q).slice(1)).toEqual([
      `FakeQuant:${q.layers[0].name}_fq`, 'FakeQuantWeights:quant_sep_depthwise', 'FakeQuant:sep_depthwise_fq',
      'FakeQuantWeights:quant_sep', 'BatchNormalization:bn', 'ReLU:relu', 'FakeQuant:relu_fq',
    ]);
    const x = tf.randomUniform([2, 4, 4, 2], -1, 1, 'float32', 43);
    expect(calibrate(q, x)).toBe(3);
    const [rIn, rMid, rOut] = fakeQuantLayers(q).map((l) => l.getRange());
    const [dk, pk, bias] = float.getLayer('sep').getWeights().map((t) => Array.from(t.dataSync()));
    const [gamma, beta, mean, variance] = float.getLayer('bn').getWeights().map((t) => Array.from(t.dataSync()));
    // Depthwise kernel [3, 3, 2, 2]: per channel c * 2 + m; pointwise [1, 1, 4, 3]: per filter.
    const dMax = new Array(4).fill(0);
    dk.forEach((w, i) => dMax[i % 4] = Math.max(dMax[i % 4], Math.abs(w)));
    const pMax = new Array(3).fill(0);
    pk.forEach((w, i) => pMax[i % 3] = Math.max(pMax[i % 3], Math.abs(w)));
    const dq = dk.map((w, i) => kernelQuantJs(w, dMax[i % 4]));
    const pq = pk.map((w, i) => kernelQuantJs(w, pMax[i % 3]));
    const xv = Array.from(x.dataSync()).map((v) => fakeQuantJs(v, rIn.min[0], rIn.max[0]));
    const want: number[] = [];
    for (let n = 0; n < 2; n++) {
      for (let y = 0; y < 4; y++) {
        for (let xx = 0; xx < 4; xx++) {
          const mid: number[] = [];
          for (let ch = 0; ch < 4; ch++) {  // 'same' padding: taps at offsets -1 .. 1
            let acc = 0;
            for (let i = 0; i < 3; i++) {
              for (let j = 0; j < 3; j++) {
                const yy = y + i - 1;
                const xi = xx + j - 1;
                if (yy >= 0 && yy < 4 && xi >= 0 && xi < 4) acc += xv[((n * 4 + yy) * 4 + xi) * 2 + (ch >> 1)] * dq[(i * 3 + j) * 4 + ch];
              }
            }
            mid.push(fakeQuantJs(acc, rMid.min[0], rMid.max[0]));
          }
          for (let f = 0; f < 3; f++) {
            const acc = mid.reduce((a, v, ch) => a + v * pq[ch * 3 + f], bias[f]);
            const bn = (acc - mean[f]) / Math.sqrt(variance[f] + 1e-3) * gamma[f] + beta[f];
            want.push(fakeQuantJs(Math.max(0, bn), rOut.min[0], rOut.max[0]));
          }
        }
      }
    }
    expectClose((q.predict(x) as tf.Tensor).dataSync(), want, 1e-5);
    // Without quantization (16-bit everything, wide ranges) the split computes the float layer.
    const fine = quantizeModel(float, {weightBits: 16, activationBits: 16, quantizeInputs: false});
    calibrate(fine, x);
    expectClose((fine.predict(x) as tf.Tensor).dataSync(), (float.predict(x) as tf.Tensor).dataSync(), 2e-3);
  });

  it('a dilated SeparableConv2D stays float, with the warning', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const q = quantizeModel(separableModel(2));
      expect(classes(q)).toContain('SeparableConv2D:sep');
      expect(String(warn.mock.calls[0][0])).toContain('sep (SeparableConv2D)');
    } finally {
      warn.mockRestore();
    }
  });
});

describe('save / load', () => {
  it('a quantized model with depthwise, split separable and fixed softmax round-trips', async () => {
    const float = tf.sequential({layers: [
      tf.layers.depthwiseConv2d({inputShape: [5, 5, 2], kernelSize: 3, depthMultiplier: 2, name: 'dw', depthwiseInitializer: tf.initializers.glorotUniform({seed: 52})}),
      tf.layers.separableConv2d({
        filters: 3, kernelSize: 2, depthMultiplier: 2, name: 'sep', activation: 'relu',
        depthwiseInitializer: tf.initializers.glorotUniform({seed: 53}), pointwiseInitializer: tf.initializers.glorotUniform({seed: 54}),
      }),
      tf.layers.flatten(),
      tf.layers.dense({units: 4, activation: 'softmax', name: 'out', kernelInitializer: tf.initializers.glorotUniform({seed: 55})}),
    ]});
    const q = quantizeModel(float, {perChannelWeights: 'conv'});
    const x = tf.randomUniform([3, 5, 5, 2], -1, 1, 'float32', 51);
    calibrate(q, x);
    let artifacts: tf.io.ModelArtifacts|undefined;
    await q.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }));
    const topology = JSON.parse(JSON.stringify(artifacts!.modelTopology));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({...artifacts!, modelTopology: topology}));
    expect(classes(loaded)).toEqual(classes(q));
    expect(fakeQuantLayers(loaded).map((l) => [l.mode, l.getRange()])).toEqual(fakeQuantLayers(q).map((l) => [l.mode, l.getRange()]));
    expect((loaded.getLayer('quant_dw') as FakeQuantWeights).getKernelRange()).toEqual(
        (q.getLayer('quant_dw') as FakeQuantWeights).getKernelRange());
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((q.predict(x) as tf.Tensor).dataSync()));
  });
});
