/**
 * quantizeModel's options and model checks (src/layers/quantize_options.ts, quantize_model.ts) and
 * calibrate's (src/layers/calibrate.ts), where Stryker's surviving mutants showed no test pinned
 * them (issue 17): each bad argument is refused by quantizeModel or calibrate itself, with the
 * whole message (the function and argument named, what is allowed, what was given), before any
 * tensor is made; the values at the edges of what is allowed are accepted and used; calibrate's
 * batch size reaches the pass ('average' ranges are per batch), and a calibration that fails
 * half-way leaves the model quantizing with its old ranges, no tensor behind. Through the public
 * API only; expected values are written out or come from the float32 reference
 * (test/shared/reference.ts).
 */
import * as tf from '@tensorflow/tfjs';

import {calibrate, type FakeQuant, type FakeQuantWeights, fakeQuantLayers, quantizeModel} from '../../src/layers';
import {refFakeQuantVars} from '../shared/reference';
import {expectThrowsNoLeak} from './jest_util';

afterEach(() => {
  tf.disposeVariables();
});

/** A pattern matching exactly `message`. */
function exactly(message: string): RegExp {
  return new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/** input [2] -> Dense d (2 units): quantized as d_input_fq, quant_d (the kernel), d_fq. */
function denseModel(): tf.Sequential {
  return tf.sequential({layers: [tf.layers.dense({inputShape: [2], units: 2, name: 'd'})]});
}

function ranges(model: tf.LayersModel): Record<string, {min: number[]; max: number[]}> {
  return Object.fromEntries(fakeQuantLayers(model).map((l) => [l.name, l.getRange()]));
}

describe('quantizeModel refuses bad arguments itself, naming them, before building anything', () => {
  it('a model that is not a tf.LayersModel', () => {
    const message = exactly('quantizeModel: model must be a tf.LayersModel (tf.sequential or tf.model).');
    for (const model of [tf.layers.dense({units: 1}), null, {layers: []}]) {
      expectThrowsNoLeak(() => quantizeModel(model as unknown as tf.LayersModel), message);
    }
  });

  it('options that are not an object (null, a string); undefined is the defaults', () => {
    const float = denseModel();
    expectThrowsNoLeak(
        () => quantizeModel(float, null as unknown as object), exactly('quantizeModel: options must be an object, got null.'));
    expectThrowsNoLeak(
        () => quantizeModel(float, 'int8' as unknown as object), exactly('quantizeModel: options must be an object, got "int8".'));
    expect(ranges(quantizeModel(float, undefined))).toEqual({d_input_fq: {min: [-6], max: [6]}, d_fq: {min: [-6], max: [6]}});
  });

  it('bit widths out of 2..16, model-wide and per layer', () => {
    const float = denseModel();
    const cases: Array<[object, string]> = [
      [{activationBits: 1}, 'quantizeModel: activationBits must be an integer in 2..16, got 1.'],
      [{activationBits: 4.5}, 'quantizeModel: activationBits must be an integer in 2..16, got 4.5.'],
      [{layerOptions: {d: {weightBits: 17}}}, 'quantizeModel: layerOptions.d.weightBits must be an integer in 2..16, got 17.'],
      [{layerOptions: {d: {weightBits: 0, activationBits: 8}}},
        'quantizeModel: layerOptions.d.weightBits must be an integer in 2..16, got 0.'],
    ];
    for (const [options, message] of cases) expectThrowsNoLeak(() => quantizeModel(float, options), exactly(message));
  });

  it('emaDecay outside (0, 1) or not a number', () => {
    const float = denseModel();
    for (const emaDecay of [0, 1, 1.5, -0.5, NaN, '0.9', Infinity]) {
      expectThrowsNoLeak(
          () => quantizeModel(float, {emaDecay} as unknown as object),
          exactly(`quantizeModel: emaDecay must be a number in (0, 1), got ${JSON.stringify(emaDecay)}.`));
    }
  });

  it('initRange not two finite numbers, min < max', () => {
    const float = denseModel();
    const bad = [[1, 1], [1, -1], [1, 2, 3], [0], [], [-Infinity, 1], [0, Infinity], [NaN, 1], [0, NaN], 'ab', {0: -1, 1: 1}];
    for (const initRange of bad) {
      expectThrowsNoLeak(
          () => quantizeModel(float, {initRange} as unknown as object),
          exactly(`quantizeModel: initRange must be [min, max], finite, min < max, got ${JSON.stringify(initRange)}.`));
    }
  });

  it('layerOptions entries that are not {weightBits?, activationBits?}', () => {
    const float = denseModel();
    for (const o of [null, 4, true, 'ab', {bits: 4}, {weightBits: 4, bits: 4}]) {
      expectThrowsNoLeak(
          () => quantizeModel(float, {layerOptions: {d: o}} as unknown as object),
          exactly(`quantizeModel: layerOptions.d must be {weightBits?, activationBits?}, got ${JSON.stringify(o)}.`));
    }
  });

  it('layerOptions naming layers the model does not have: all of them named, and the fix', () => {
    const float = denseModel();
    expectThrowsNoLeak(
        () => quantizeModel(float, {layerOptions: {dense_out: {activationBits: 8}, d: {}, head: {weightBits: 4}}}),
        exactly('quantizeModel: layerOptions names no layer of the model: dense_out, head ' +
                '(use the names of the float model\'s layers).'));
  });
});

describe('quantizeModel accepts the edges of what is allowed and uses them', () => {
  it('a layer\'s weightBits alone or activationBits alone; the other keeps the model-wide width', () => {
    const float = denseModel();
    const bits = (q: tf.LayersModel) => [
      (q.getLayer('quant_d') as FakeQuantWeights).numBits, (q.getLayer('d_fq') as FakeQuant).numBits,
      (q.getLayer('d_input_fq') as FakeQuant).numBits,
    ];
    expect(bits(quantizeModel(float, {layerOptions: {d: {weightBits: 4}}}))).toEqual([4, 8, 8]);
    expect(bits(quantizeModel(float, {activationBits: 6, layerOptions: {d: {activationBits: 3}}}))).toEqual([8, 3, 6]);
    expect(bits(quantizeModel(float, {weightBits: 5, layerOptions: {d: {}}}))).toEqual([5, 8, 8]);
  });

  it('emaDecay just inside (0, 1) and initRange reach every quantizer', () => {
    const float = denseModel();
    for (const emaDecay of [1e-6, 1 - 1e-6]) {
      expect(fakeQuantLayers(quantizeModel(float, {emaDecay})).map((l) => l.emaDecay)).toEqual([emaDecay, emaDecay]);
    }
    expect(ranges(quantizeModel(float, {initRange: [-0.25, 3]}))).toEqual({
      d_input_fq: {min: [-0.25], max: [3]}, d_fq: {min: [-0.25], max: [3]},
    });
  });

  it('the float-weights warning lists every such layer once, comma-separated', () => {
    const ids = tf.input({shape: [3]});
    const emb = tf.layers.embedding({inputDim: 10, outputDim: 2, name: 'emb'}).apply(ids) as tf.SymbolicTensor;
    const rnn = tf.layers.simpleRNN({units: 2, name: 'rnn'}).apply(emb) as tf.SymbolicTensor;
    const float = tf.model({inputs: ids, outputs: tf.layers.dense({units: 1, name: 'head'}).apply(rnn) as tf.SymbolicTensor});
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      quantizeModel(float);
      expect(warn.mock.calls).toEqual([[
        'quantizeModel: these layers keep float weights (not quantized, as in TF Model Optimization\'s default ' +
        'scheme): emb (Embedding), rnn (SimpleRNN).',
      ]]);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('calibrate', () => {
  /** The Dense quantized with an identity kernel: both quantizers see the input's values. */
  function identityDense(): tf.LayersModel {
    const q = quantizeModel(denseModel());
    q.getLayer('quant_d').setWeights([tf.eye(2), tf.zeros([2])]);
    return q;
  }

  it('refuses x without a sample, naming what it got', () => {
    const q = identityDense();
    const message = (got: string) =>
      exactly(`calibrate: x must be a tensor (or one per model input) with at least one sample, got ${got}.`);
    const cases: Array<[unknown, string]> = [
      [[], 'no tensor'],
      [tf.zeros([0, 2]), 'shape [0,2]'],
      [tf.scalar(1), 'shape []'],
      [5, 'number'],
      [[tf.ones([2, 2]), tf.zeros([0, 2])], 'shape [2,2], shape [0,2]'],
      [[tf.zeros([0, 2]), tf.ones([2, 2])], 'shape [0,2], shape [2,2]'],
      [[tf.ones([2, 2]), 'x'], 'shape [2,2], string'],
    ];
    for (const [x, got] of cases) expectThrowsNoLeak(() => calibrate(q, x as tf.Tensor), message(got));
    expect(ranges(q)).toEqual({d_input_fq: {min: [-6], max: [6]}, d_fq: {min: [-6], max: [6]}});
  });

  it('batchSize is the batch of the pass: \'average\' ranges are the mean of its batches\' extremes', () => {
    const q = identityDense();
    // Rows' extremes (min, max): (-4, 1), (2, 3), (-1, 0.5), (0, 5).
    const x = tf.tensor2d([[-4, 1], [2, 3], [-1, 0.5], [0, 5]]);
    const expectRanges = (min: number, max: number) =>
      expect(ranges(q)).toEqual({d_input_fq: {min: [min], max: [max]}, d_fq: {min: [min], max: [max]}});
    const before = tf.memory().numTensors;
    expect(calibrate(q, x, {method: 'average', batchSize: 2})).toBe(2);
    expectRanges((-4 + -1) / 2, (3 + 5) / 2);
    expect(calibrate(q, x, {method: 'average', batchSize: 1})).toBe(2);
    expectRanges((-4 + 2 - 1 + 0) / 4, (1 + 3 + 0.5 + 5) / 4);
    expect(calibrate(q, x, {method: 'average'})).toBe(2);  // one batch of 256
    expectRanges(-4, 5);
    expect(calibrate(q, x, {batchSize: 1})).toBe(2);
    expectRanges(-4, 5);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('a pass that fails half-way leaves the old ranges, quantization on, no tensor behind', () => {
    // The input quantizer sees the batch before the Reshape refuses it.
    const float = tf.sequential({layers: [tf.layers.reshape({inputShape: [null], targetShape: [2], name: 'r'})]});
    const q = quantizeModel(float);
    expect(fakeQuantLayers(q).map((l) => l.name)).toEqual(['r_input_fq']);
    const bad = tf.tensor2d([[1, 2, 3]]);
    expectThrowsNoLeak(() => calibrate(q, bad));
    expect(ranges(q)).toEqual({r_input_fq: {min: [-6], max: [6]}});

    const x = tf.tensor2d([[0.05, 1.3]]);
    const y = q.predict(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual(Array.from(refFakeQuantVars(x.dataSync(), -6, 6)));
    y.dispose();
    expect(calibrate(q, x)).toBe(1);
    expect(ranges(q)).toEqual({r_input_fq: {min: [0], max: [Math.fround(1.3)]}});
    tf.dispose([bad, x]);
  });
});
