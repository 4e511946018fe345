/**
 * Issue 13's Layers items: integer inputs get no quantizer (Embedding ids, int32 inputs), FakeQuant
 * ranges never become NaN or inverted (setRange, EMA and calibration batches with no finite
 * value), option type checks, a refused model leaks nothing, one warning for layers left float.
 */
import * as tf from '@tensorflow/tfjs';

import {calibrate, FakeQuant, FakeQuantWeights, fakeQuantLayers, quantizeModel} from '../../src/layers';
import {expectThrowsNoLeak} from './jest_util';

const f32 = Math.fround;

afterEach(() => {
  tf.disposeVariables();
});

/** An embedding table whose rows are far apart: row i = [i, -i, i / 2] / 10. */
function embeddingModel(): tf.Sequential {
  const model = tf.sequential({layers: [tf.layers.embedding({inputDim: 100, outputDim: 3, inputLength: 4, name: 'emb'})]});
  const table = Array.from({length: 100}, (_, i) => [i / 10, -i / 10, i / 20]);
  model.getLayer('emb').setWeights([tf.tensor2d(table)]);
  return model;
}

/** The EMA update in float32, as TF: v - (v - batch) * (1 - decay). */
function emaJs(v: number, batch: number, decay: number): number {
  const rate = f32(1 - f32(decay));
  return f32(v - f32(f32(v - batch) * rate));
}

describe('integer inputs', () => {
  // The Embedding tables stay float: quantizeModel says so (checked in 'layers left float').
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it('ids fed to an Embedding are not quantized: each id reads its own row', () => {
    const q = quantizeModel(embeddingModel(), {layerOptions: {emb: {activationBits: 16}}});
    expect(q.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Embedding', 'FakeQuant']);
    const ids = tf.tensor2d([[7, 42, 63, 99]]);
    calibrate(q, tf.tensor2d([[0, 1, 2, 99]]));
    const {min: [lo], max: [hi]} = fakeQuantLayers(q)[0].getRange();
    const step = (hi - lo) / 65535;
    const got = Array.from((q.predict(ids) as tf.Tensor).dataSync());
    // Row i is [i, -i, i/2] / 10, then on the 16-bit grid: within one step of the row.
    [7, 42, 63, 99].forEach((id, k) => {
      [id / 10, -id / 10, id / 20].forEach((v, j) => expect(Math.abs(got[k * 3 + j] - v)).toBeLessThanOrEqual(step));
    });
  });

  it('functional: an int32 input and the ids of an Embedding get no quantizer; a float input does', () => {
    const ids = tf.input({shape: [2], dtype: 'int32', name: 'ids'});
    const tokens = tf.input({shape: [2], name: 'tokens'});  // float32 ids, read only by the Embedding
    const feats = tf.input({shape: [3], name: 'feats'});
    const emb = tf.layers.embedding({inputDim: 50, outputDim: 3, name: 'emb'});
    const a = tf.layers.flatten().apply(emb.apply(ids) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const b = tf.layers.flatten().apply(emb.apply(tokens) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const c = tf.layers.dense({units: 6, name: 'fc'}).apply(feats) as tf.SymbolicTensor;
    const float = tf.model({inputs: [ids, tokens, feats], outputs: tf.layers.add().apply([a, b, c]) as tf.SymbolicTensor});
    const table = Array.from({length: 50}, (_, i) => [i, -i, 2 * i]);
    emb.setWeights([tf.tensor2d(table)]);
    const q = quantizeModel(float);
    const inputQuantizers = fakeQuantLayers(q).filter((l) => ['ids', 'tokens', 'feats'].some((n) => l.name.startsWith(n)));
    expect(inputQuantizers.map((l) => l.name)).toEqual(['feats_fq']);
    // The two embedding outputs pass their quantizer as rows of the table: 31 + 17 reads row 31, 17.
    const zeros = tf.zeros([1, 3]);
    q.getLayer('quant_fc').setWeights([tf.zeros([3, 6]), tf.zeros([6])]);
    for (const fq of fakeQuantLayers(q)) fq.setRange(-128, 127);  // step 1: integers stay exact
    const out = q.predict([tf.tensor2d([[31, 17]], [1, 2], 'int32'), tf.tensor2d([[31, 17]]), zeros]) as tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([62, -62, 124, 34, -34, 68]);
  });
});

describe('FakeQuant ranges stay finite and ordered', () => {
  function built(perChannel = false): FakeQuant {
    const fq = new FakeQuant({perChannel, emaDecay: 0.9, initMin: -1, initMax: 1});
    fq.build([null, 2]);
    return fq;
  }

  it('setRange rejects min > max and non-finite values, leaving the range as it was', () => {
    const fq = built();
    for (const [lo, hi] of [[2, 1], [1, -1], [NaN, 1], [0, Infinity], [-Infinity, 0]]) {
      expectThrowsNoLeak(() => fq.setRange(lo, hi), /setRange needs finite min <= max/);
    }
    expect(fq.getRange()).toEqual({min: [-1], max: [1]});
    const pc = built(true);
    expectThrowsNoLeak(() => pc.setRange([0, -1], [1, -2]), /for channel 1/);
    expectThrowsNoLeak(() => pc.setRange([0], [1]), /needs 2 values/);
    pc.setRange(-0.5, 0.5);
    expect(pc.getRange()).toEqual({min: [-0.5, -0.5], max: [0.5, 0.5]});
  });

  it('EMA: an empty batch or one with no finite value leaves the range; NaN and ±Inf are left out', () => {
    const fq = built();
    const train = (x: tf.Tensor) => tf.dispose(fq.apply(x, {training: true}) as tf.Tensor);
    train(tf.zeros([0, 2]));
    train(tf.tensor2d([[NaN, Infinity], [-Infinity, NaN]]));
    expect(fq.getRange()).toEqual({min: [-1], max: [1]});
    train(tf.tensor2d([[NaN, 3], [-Infinity, -2]]));  // finite extremes: -2 and 3
    expect(fq.getRange()).toEqual({min: [emaJs(-1, -2, 0.9)], max: [emaJs(1, 3, 0.9)]});

    const pc = built(true);
    const batch = tf.tensor2d([[NaN, 4], [NaN, -3]]);  // channel 0: nothing finite
    const before = tf.memory().numTensors;
    tf.dispose(pc.apply(batch, {training: true}) as tf.Tensor);
    expect(tf.memory().numTensors).toBe(before);
    expect(pc.getRange()).toEqual({min: [-1, emaJs(-1, -3, 0.9)], max: [1, emaJs(1, 4, 0.9)]});
    const out = pc.apply(tf.tensor2d([[0.5, 1]])) as tf.Tensor;
    expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('calibration ignores non-finite values; calibrate on empty data is a clear error, leak free', () => {
    const float = tf.sequential({layers: [tf.layers.dense({inputShape: [2], units: 2, name: 'd'})]});
    const q = quantizeModel(float);
    q.getLayer('quant_d').setWeights([tf.eye(2), tf.zeros([2])]);
    // The input quantizer sees finite -3 .. 2; the Dense output is all NaN (NaN * 0): kept [-6, 6].
    expect(calibrate(q, tf.tensor2d([[NaN, 2], [-3, Infinity], [0.5, -Infinity]]))).toBe(2);
    expect(fakeQuantLayers(q).map((l) => l.getRange())).toEqual([{min: [-3], max: [2]}, {min: [-6], max: [6]}]);
    for (const x of [tf.zeros([0, 2]), [] as tf.Tensor[]]) {
      expectThrowsNoLeak(() => calibrate(q, x), /calibrate: x must be a tensor .* with at least one sample/);
    }
    const x = tf.ones([2, 2]);
    for (const batchSize of [0, 1.5, NaN]) {
      expectThrowsNoLeak(() => calibrate(q, x, {batchSize}), /calibrate: batchSize must be a positive integer/);
    }
    expectThrowsNoLeak(() => calibrate(q, x, {method: 'max' as 'minmax'}), /calibration method must be 'minmax' or 'average'/);
    expect(fakeQuantLayers(q).map((l) => l.getRange())).toEqual([{min: [-3], max: [2]}, {min: [-6], max: [6]}]);
  });
});

describe('options are checked', () => {
  const model = () => tf.sequential({layers: [tf.layers.dense({inputShape: [2], units: 2, name: 'd'})]});

  it('FakeQuant and FakeQuantWeights arguments', () => {
    const bad: Array<[object, RegExp]> = [
      [{perChannel: 'yes'}, /perChannel must be a boolean/],
      [{narrowRange: 1}, /narrowRange must be a boolean/],
      [{emaDecay: 0}, /emaDecay must be a number in \(0, 1\)/],
      [{emaDecay: 1}, /emaDecay must be a number in \(0, 1\)/],
      [{emaDecay: '0.9'}, /emaDecay must be a number in \(0, 1\)/],
    ];
    for (const [args, message] of bad) expectThrowsNoLeak(() => new FakeQuant(args), message);
    expectThrowsNoLeak(
        () => new FakeQuantWeights({layer: tf.layers.dense({units: 1}), perChannel: 'no' as unknown as boolean}),
        /perChannel must be a boolean/);
  });

  it('quantizeModel options, layerOptions naming no layer', () => {
    const bad: Array<[object, RegExp]> = [
      [{perChannelWeights: 'yes'}, /perChannelWeights must be true, false or 'conv'/],
      [{quantizeInputs: 1}, /quantizeInputs must be a boolean/],
      [{emaDecay: 1.5}, /emaDecay must be a number in \(0, 1\)/],
      [{mode: 'fixed'}, /mode must be 'ema' or 'learned'/],
      [{initRange: [1, -1]}, /initRange must be \[min, max\]/],
      [{initRange: [0, NaN]}, /initRange must be \[min, max\]/],
      [{layerOptions: {dense_out: {activationBits: 8}}}, /layerOptions names no layer of the model: dense_out/],
      [{layerOptions: {d: {bits: 4}}}, /layerOptions.d must be \{weightBits\?, activationBits\?\}/],
    ];
    const float = model();
    for (const [options, message] of bad) expectThrowsNoLeak(() => quantizeModel(float, options), message);
  });

  it('quantizeModel on an already quantized model: an error, and no tensor left behind', () => {
    const q = quantizeModel(model());
    expectThrowsNoLeak(() => quantizeModel(q), /already quantized \(layer .*\)/);
    const input = tf.input({shape: [2]});
    const nested = tf.model({inputs: input, outputs: q.apply(input) as tf.SymbolicTensor});
    expectThrowsNoLeak(() => quantizeModel(nested), /already quantized/);
  });
});

describe('layers left float', () => {
  it('one warning names every layer whose weights stay float', () => {
    const input = tf.input({shape: [4, 3]});
    const lstm = tf.layers.lstm({units: 2, returnSequences: true, name: 'lstm'}).apply(input) as tf.SymbolicTensor;
    const gru = tf.layers.gru({units: 2, returnSequences: true, name: 'gru'}).apply(lstm) as tf.SymbolicTensor;
    const rnn = tf.layers.simpleRNN({units: 2, name: 'rnn'}).apply(gru) as tf.SymbolicTensor;
    const img = tf.input({shape: [4, 4, 4, 1]});
    const conv3d = tf.layers.conv3d({filters: 1, kernelSize: 2, name: 'c3'}).apply(img) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(conv3d) as tf.SymbolicTensor;
    const out = tf.layers.concatenate().apply([rnn, flat]) as tf.SymbolicTensor;
    const float = tf.model({inputs: [input, img], outputs: tf.layers.dense({units: 1, name: 'head'}).apply(out) as tf.SymbolicTensor});
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      quantizeModel(float);
      expect(warn).toHaveBeenCalledTimes(1);
      const message = String(warn.mock.calls[0][0]);
      for (const name of ['lstm (LSTM)', 'gru (GRU)', 'rnn (SimpleRNN)', 'c3 (Conv3D)']) expect(message).toContain(name);
      expect(message).not.toContain('head');
      warn.mockClear();
      quantizeModel(tf.sequential({layers: [tf.layers.dense({inputShape: [2], units: 1})]}));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
