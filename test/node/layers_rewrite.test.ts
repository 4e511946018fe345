/**
 * quantizeModel's graph rewrite (src/layers/quantize_rewrite.ts), where Stryker's surviving
 * mutants showed no test pinned it (issue 17): which layers get an output quantizer (UpSampling2D),
 * which SeparableConv2D is split and how (dilation, channels first, its own sigmoid, weights set
 * after construction), the float-weights warning, integer and pass-through inputs, the names of
 * new layers (unique, with the node and output index), the Sequential input layer, nodes that wait
 * for a later layer's output, and the call arguments of each node (an RNN's initial state).
 * Through the public API only; expected values are written out, from the float32 reference
 * (test/shared/reference.ts) or the float model's own predictions at 16 bits.
 */
import * as tf from '@tensorflow/tfjs';

import {exportTFLite} from '../../src/export';
import {calibrate, fakeQuantLayers, quantizeModel} from '../../src/layers';
import {refFakeQuantVars} from '../shared/reference';
import {expectThrowsNoLeak} from './jest_util';

afterEach(() => {
  tf.disposeVariables();
});

function classes(model: tf.LayersModel): string[] {
  return model.layers.map((l) => `${l.getClassName()}:${l.name}`);
}

function quantizerNames(model: tf.LayersModel): string[] {
  return fakeQuantLayers(model).map((l) => l.name).sort();
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst).toBeLessThan(tol);
}

/** Options under which the quantized model computes the float one to about 1e-4. */
const FINE = {weightBits: 16, activationBits: 16, quantizeInputs: false};

/** The float model's predictions against its copy at 16 bits, calibrated on the same data. */
function expectFineCopyComputesFloat(float: tf.LayersModel, x: tf.Tensor|tf.Tensor[], tol = 2e-3): void {
  const fine = quantizeModel(float, FINE);
  calibrate(fine, x);
  tf.tidy(() => {
    const got = [(fine.predict(x) as tf.Tensor|tf.Tensor[])].flat();
    const want = [(float.predict(x) as tf.Tensor|tf.Tensor[])].flat();
    got.forEach((g, i) => expectClose(g.dataSync(), want[i].dataSync(), tol));
  });
}

/** Collects console.warn messages during `fn`. */
function warnings(fn: () => unknown): string[] {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    fn();
    return warn.mock.calls.map((call) => String(call[0]));
  } finally {
    warn.mockRestore();
  }
}

const FLOAT_WARNING = 'quantizeModel: these layers keep float weights (not quantized, as in TF Model Optimization\'s default scheme): ';

describe('output quantizers', () => {
  it('UpSampling2D: nearest repeats its input values (no quantizer), bilinear computes new ones (quantized)', () => {
    const upsampling = (interpolation: 'nearest'|'bilinear') => tf.sequential({layers: [
      tf.layers.upSampling2d({inputShape: [2, 2, 1], interpolation, name: 'up'}),
    ]});
    const nearest = quantizeModel(upsampling('nearest'));
    expect(classes(nearest)).toEqual(['InputLayer:up_input', 'FakeQuant:up_input_fq', 'UpSampling2D:up']);
    const x = tf.tensor4d([0.013, -1.7, 2.51, 5.3], [1, 2, 2, 1]);
    // Each input value, on the input quantizer's grid ([-6, 6] at 8 bits), repeated 2 x 2.
    const [a, b, c, d] = refFakeQuantVars(x.dataSync(), -6, 6);
    const want = [a, a, b, b, a, a, b, b, c, c, d, d, c, c, d, d];
    expect(Array.from((nearest.predict(x) as tf.Tensor).dataSync())).toEqual(want);
    expect(classes(quantizeModel(upsampling('bilinear')))).toEqual([
      'InputLayer:up_input', 'FakeQuant:up_input_fq', 'UpSampling2D:up', 'FakeQuant:up_fq',
    ]);
    x.dispose();
  });

  it('no layer that only moves, drops or picks the maximum of its input values gets one (TF MOT\'s scheme)', () => {
    // Each layer alone after the input: its output values are input values (or 0), already on the
    // input quantizer's grid.
    const cases: Array<[string, number[], () => tf.layers.Layer]> = [
      ['Flatten', [2, 3], () => tf.layers.flatten({})],
      ['Reshape', [2, 3], () => tf.layers.reshape({targetShape: [3, 2]})],
      ['Permute', [2, 3], () => tf.layers.permute({dims: [2, 1]})],
      ['RepeatVector', [3], () => tf.layers.repeatVector({n: 2})],
      ['Dropout', [3], () => tf.layers.dropout({rate: 0.5})],
      ['SpatialDropout1D', [4, 3], () => tf.layers.spatialDropout1d({rate: 0.5})],
      ['AlphaDropout', [3], () => tf.layers.alphaDropout({rate: 0.5})],
      ['GaussianDropout', [3], () => tf.layers.gaussianDropout({rate: 0.5})],
      ['GaussianNoise', [3], () => tf.layers.gaussianNoise({stddev: 0.1})],
      ['MaxPooling1D', [4, 3], () => tf.layers.maxPooling1d({poolSize: 2})],
      ['MaxPooling2D', [4, 4, 3], () => tf.layers.maxPooling2d({poolSize: 2})],
      ['MaxPooling3D', [2, 2, 2, 1], () => tf.layers.maxPooling3d({poolSize: 2})],
      ['GlobalMaxPooling1D', [4, 3], () => tf.layers.globalMaxPooling1d({})],
      ['GlobalMaxPooling2D', [4, 4, 3], () => tf.layers.globalMaxPool2d({})],
      ['ZeroPadding2D', [4, 4, 3], () => tf.layers.zeroPadding2d({padding: 1})],
      ['Cropping2D', [4, 4, 3], () => tf.layers.cropping2D({cropping: 1})],
      ['Masking', [4, 3], () => tf.layers.masking({})],
    ];
    for (const [className, inputShape, make] of cases) {
      const input = tf.input({shape: inputShape, name: 'x'});
      const layer = make();
      const float = tf.model({inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor});
      expect({className, layers: classes(quantizeModel(float))})
          .toEqual({className, layers: ['InputLayer:x', 'FakeQuant:x_fq', `${className}:${layer.name}`]});
    }
  });
});

describe('SeparableConv2D', () => {
  it('dilated in one direction only, or channels first, it stays one float layer that the warning names', () => {
    const configs: Array<Partial<Parameters<typeof tf.layers.separableConv2d>[0]>> = [
      {inputShape: [5, 5, 2], dilationRate: [1, 2]}, {inputShape: [5, 5, 2], dilationRate: [2, 1]},
      {inputShape: [2, 5, 5], dataFormat: 'channelsFirst'},
    ];
    for (const config of configs) {
      const float = tf.sequential({layers: [tf.layers.separableConv2d({filters: 3, kernelSize: 3, name: 'sep', ...config})]});
      let q: tf.LayersModel|undefined;
      expect(warnings(() => q = quantizeModel(float))).toEqual([`${FLOAT_WARNING}sep (SeparableConv2D).`]);
      expect(classes(q!)).toEqual(['InputLayer:sep_input', 'FakeQuant:sep_input_fq', 'SeparableConv2D:sep', 'FakeQuant:sep_fq']);
    }
  });

  it('with its own sigmoid: depthwise, a quantizer with the options\' range, pointwise, quantizer, sigmoid, fixed quantizer', () => {
    const float = tf.sequential({layers: [
      tf.layers.separableConv2d({inputShape: [4, 4, 2], filters: 3, kernelSize: 2, depthMultiplier: 2, activation: 'sigmoid', name: 'sep'}),
    ]});
    // Weights set after construction (not by a seeded initializer a fresh layer would repeat).
    const weights = [[2, 2, 2, 2], [1, 1, 4, 3], [3]].map((shape, i) => tf.randomNormal(shape, 0, 0.6, 'float32', 70 + i));
    float.getLayer('sep').setWeights(weights);
    tf.dispose(weights);
    const q = quantizeModel(float);
    expect(classes(q)).toEqual([
      'InputLayer:sep_input', 'FakeQuant:sep_input_fq', 'FakeQuantWeights:quant_sep_depthwise', 'FakeQuant:sep_depthwise_fq',
      'FakeQuantWeights:quant_sep', 'FakeQuant:sep_fq', 'Activation:sep_sigmoid', 'FakeQuant:sep_sigmoid_fq',
    ]);
    // Only the quantizer after the sigmoid has TFLite's fixed range; the one between the two
    // convolutions quantizes the depthwise output, which the sigmoid has not bounded.
    expect(fakeQuantLayers(q).map((l) => [l.name, l.mode, l.getRange()])).toEqual([
      ['sep_input_fq', 'ema', {min: [-6], max: [6]}], ['sep_depthwise_fq', 'ema', {min: [-6], max: [6]}],
      ['sep_fq', 'ema', {min: [-6], max: [6]}], ['sep_sigmoid_fq', 'fixed', {min: [0], max: [255 / 256]}],
    ]);
    const x = tf.randomUniform([2, 4, 4, 2], -2, 2, 'float32', 75);
    expectFineCopyComputesFloat(float, x);
    x.dispose();
  });
});

describe('the float-weights warning', () => {
  it('names exactly the layers with weights that are not kernels: not weightless layers, not BatchNormalization', () => {
    const float = tf.sequential({layers: [
      tf.layers.embedding({inputDim: 10, outputDim: 3, inputLength: 4, name: 'emb'}),
      tf.layers.flatten({name: 'flat'}),
      tf.layers.batchNormalization({name: 'bn'}),  // after a Flatten: a float scale and shift
      tf.layers.dense({units: 2, name: 'fc'}),
      tf.layers.reLU({name: 'relu'}),
      tf.layers.dropout({rate: 0.5, name: 'drop'}),
    ]});
    expect(warnings(() => quantizeModel(float))).toEqual([`${FLOAT_WARNING}emb (Embedding).`]);
  });
});

describe('model inputs', () => {
  /** An Embedding whose row i is [i]: the output is the id it read. */
  function idEmbedding(name: string): ReturnType<typeof tf.layers.embedding> {
    const emb = tf.layers.embedding({inputDim: 50, outputDim: 1, name, embeddingsInitializer: 'zeros'});
    return emb;
  }
  function setIdRows(model: tf.LayersModel, name: string): void {
    const table = tf.range(0, 50).reshape([50, 1]);
    model.getLayer(name).setWeights([table]);
    table.dispose();
  }
  /** Sets every quantizer of `q` to [-128, 127] at 8 bits: step 1, so integers pass exactly. */
  function integerGrid(q: tf.LayersModel): void {
    for (const fq of fakeQuantLayers(q)) fq.setRange(-128, 127);
  }

  it('int32 ids reshaped before an Embedding get no quantizer (Sequential and functional)', () => {
    const seq = tf.sequential({layers: [
      tf.layers.inputLayer({inputShape: [2, 2], dtype: 'int32', name: 'ids'}), tf.layers.flatten({name: 'flat'}), idEmbedding('emb'),
    ]});
    const x = tf.input({shape: [2, 2], dtype: 'int32', name: 'ids'});
    const fn = tf.model({inputs: x, outputs: idEmbedding('emb').apply(tf.layers.flatten({name: 'flat'}).apply(x)) as tf.SymbolicTensor});
    const ids = tf.tensor3d([[[31, 17], [2, 45]]], [1, 2, 2], 'int32');
    for (const float of [seq, fn]) {
      setIdRows(float, 'emb');
      let q: tf.LayersModel|undefined;
      warnings(() => q = quantizeModel(float));
      expect(classes(q!)).toEqual(['InputLayer:ids', 'Flatten:flat', 'Embedding:emb', 'FakeQuant:emb_fq']);
      integerGrid(q!);
      expect(Array.from((q!.predict(ids) as tf.Tensor).dataSync())).toEqual([31, 17, 2, 45]);
    }
    ids.dispose();
  });

  it('float ids read only by Embeddings (one shared by two inputs) get no quantizer, and no stray one', () => {
    const a = tf.input({shape: [2], name: 'a'});
    const b = tf.input({shape: [2], name: 'b'});
    const emb = idEmbedding('emb');
    const shared = tf.model({inputs: [a, b], outputs: [emb.apply(a), emb.apply(b)] as tf.SymbolicTensor[]});
    setIdRows(shared, 'emb');
    const before = tf.memory().numTensors;
    let q: tf.LayersModel|undefined;
    warnings(() => q = quantizeModel(shared));
    expect(quantizerNames(q!)).toEqual(['emb_fq', 'emb_fq_1']);
    // Every tensor quantizeModel made is a weight of the copy (a quantizer built for an input and
    // left outside the model would keep its range variables forever).
    expect(tf.memory().numTensors).toBe(before + q!.weights.length);
    integerGrid(q!);
    const ids = [tf.tensor2d([[31, 17]]), tf.tensor2d([[45, 2]])];
    const [ya, yb] = q!.predict(ids) as tf.Tensor[];
    expect([Array.from(ya.dataSync()), Array.from(yb.dataSync())]).toEqual([[31, 17], [45, 2]]);
    tf.dispose([...ids, ya, yb]);

    // Not shared (tfjs keeps a layer applied twice alive through one dispose): disposing the copy frees all.
    const x = tf.input({shape: [2], name: 'x'});
    const single = tf.model({inputs: x, outputs: idEmbedding('emb1').apply(x) as tf.SymbolicTensor});
    const beforeSingle = tf.memory().numTensors;
    warnings(() => quantizeModel(single).dispose());
    expect(tf.memory().numTensors).toBe(beforeSingle);
  });

  it('an input read by an Embedding and a Dense is quantized for the Dense only', () => {
    const x = tf.input({shape: [2], name: 'x'});
    const fc = tf.layers.dense({units: 2, useBias: false, name: 'fc', kernelInitializer: 'identity'});
    const float = tf.model({inputs: x, outputs: [idEmbedding('emb').apply(x), fc.apply(x)] as tf.SymbolicTensor[]});
    setIdRows(float, 'emb');
    let q: tf.LayersModel|undefined;
    warnings(() => q = quantizeModel(float));
    expect(quantizerNames(q!)).toEqual(['emb_fq', 'fc_fq', 'x_fq']);
    (q!.getLayer('emb_fq') as ReturnType<typeof fakeQuantLayers>[number]).setRange(-128, 127);
    const [ids, dense] = q!.predict(tf.tensor2d([[31, 17]])) as tf.Tensor[];
    expect(Array.from(ids.dataSync())).toEqual([31, 17]);
    // The Dense reads x on the input grid ([-6, 6]: 31 and 17 clamp to 6), through an identity
    // kernel, then its own quantizer (also [-6, 6]).
    expect(Array.from(dense.dataSync())).toEqual(Array.from(refFakeQuantVars(refFakeQuantVars([31, 17], -6, 6), -6, 6)));
  });

  it('an input that is also a model output is quantized as an input', () => {
    const x = tf.input({shape: [2], name: 'x'});
    const y = tf.input({shape: [2], name: 'y'});
    const float = tf.model({inputs: [x, y], outputs: [tf.layers.dense({units: 1, name: 'fc'}).apply(x) as tf.SymbolicTensor, y]});
    const q = quantizeModel(float);
    expect(quantizerNames(q)).toEqual(['fc_fq', 'x_fq', 'y_fq']);
    const values = [0.013, 7];
    const out = (q.predict([tf.ones([1, 2]), tf.tensor2d([values])]) as tf.Tensor[])[1];
    expect(Array.from(out.dataSync())).toEqual(Array.from(refFakeQuantVars(values, -6, 6)));
  });
});

describe('Sequential models', () => {
  it('an explicit InputLayer is the copy\'s input layer (name and dtype kept); the copy is named after the model', () => {
    const float = tf.sequential({name: 'net', layers: [tf.layers.inputLayer({inputShape: [3], name: 'in'}), tf.layers.dense({units: 2, name: 'd'})]});
    const q = quantizeModel(float);
    expect(q.name).toBe('net_quantized');
    expect(classes(q)).toEqual(['InputLayer:in', 'FakeQuant:in_fq', 'FakeQuantWeights:quant_d', 'FakeQuant:d_fq']);
    expect(q.inputs.map((t) => [t.shape, t.dtype])).toEqual([[[null, 3], 'float32']]);
  });

  it('one of only an input layer is copied; an empty one is refused, naming the fix, leak free', () => {
    const only = quantizeModel(tf.sequential({layers: [tf.layers.inputLayer({inputShape: [3], name: 'in'})]}));
    expect(only.layers[0].name).toBe('in');
    expect(only.outputs.map((t) => t.shape)).toEqual([[null, 3]]);
    expectThrowsNoLeak(
        () => quantizeModel(tf.sequential()),
        /^quantizeModel: the Sequential model has no input yet \(give its first layer an inputShape\)\.$/);
  });
});

describe('names of the new layers', () => {
  it('never a name of the float model: the next free `_<i>`', () => {
    const float = tf.sequential({layers: [
      tf.layers.dense({inputShape: [2], units: 2, name: 'd'}),
      tf.layers.dense({units: 2, name: 'd_fq'}),
      tf.layers.dense({units: 2, name: 'd_fq_1'}),
    ]});
    const q = quantizeModel(float);
    expect(classes(q)).toEqual([
      'InputLayer:d_input', 'FakeQuant:d_input_fq', 'FakeQuantWeights:quant_d', 'FakeQuant:d_fq_2',
      'FakeQuantWeights:quant_d_fq', 'FakeQuant:d_fq_fq', 'FakeQuantWeights:quant_d_fq_1', 'FakeQuant:d_fq_1_fq',
    ]);
  });

  it('a quantizer\'s name carries the node index (`_<node>`) before the free-name suffix', () => {
    // A SeparableConv2D applied twice; float layers already hold the plain quantizer names.
    const x = tf.input({shape: [3, 3, 2], name: 'x'});
    const sep = tf.layers.separableConv2d({filters: 2, kernelSize: 1, name: 'sep'});
    const twice = sep.apply(sep.apply(x)) as tf.SymbolicTensor;
    const out = tf.layers.flatten({name: 'sep_depthwise_fq'}).apply(tf.layers.reLU({name: 'sep_fq'}).apply(twice));
    const q = quantizeModel(tf.model({inputs: x, outputs: out as tf.SymbolicTensor}));
    expect(classes(q)).toEqual([
      'InputLayer:x', 'FakeQuant:x_fq', 'FakeQuantWeights:quant_sep_depthwise', 'FakeQuant:sep_depthwise_fq_1',
      'FakeQuantWeights:quant_sep', 'FakeQuant:sep_fq_1', 'FakeQuant:sep_depthwise_fq_1_1', 'FakeQuant:sep_fq_1_1',
      'ReLU:sep_fq', 'FakeQuant:sep_fq_fq', 'Flatten:sep_depthwise_fq',
    ]);
    // Applied once in a functional model: no node suffix.
    const y = tf.input({shape: [3, 3, 2], name: 'y'});
    const once = tf.model({inputs: y, outputs: tf.layers.separableConv2d({filters: 2, kernelSize: 1, name: 's1'}).apply(y) as tf.SymbolicTensor});
    expect(quantizerNames(quantizeModel(once))).toEqual(['s1_depthwise_fq', 's1_fq', 'y_fq']);
  });

  it('each output of a multi-output layer gets its own quantizer, named `_<output>`', () => {
    const x = tf.input({shape: [4, 2], name: 'x'});
    // With the sequence returned: without, the output and h are one value, one quantizer (below).
    const outs = tf.layers.lstm({units: 3, returnSequences: true, returnState: true, name: 'lstm'}).apply(x) as tf.SymbolicTensor[];
    let q: tf.LayersModel|undefined;
    warnings(() => q = quantizeModel(tf.model({inputs: x, outputs: outs})));
    expect(classes(q!)).toEqual(['InputLayer:x', 'FakeQuant:x_fq', 'LSTM:lstm', 'FakeQuant:lstm_fq_0', 'FakeQuant:lstm_fq_1', 'FakeQuant:lstm_fq_2']);
    // The state h is the sequence's last step: on the same grid, the same numbers.
    const input = tf.randomUniform([2, 4, 2], -1, 1, 'float32', 80);
    const [sequence, h] = q!.predict(input) as tf.Tensor[];
    const lastStep = sequence.slice([0, 3, 0], [2, 1, 3]);
    expect(Array.from(h.dataSync())).toEqual(Array.from(lastStep.dataSync()));
    tf.dispose([input, sequence, h, lastStep]);
  });
});

describe('the order of the nodes', () => {
  it('a layer applied again to a later layer\'s output waits for it', () => {
    const a = tf.input({shape: [2], name: 'a'});
    const b = tf.input({shape: [2], name: 'b'});
    const sum = tf.layers.add({name: 'sum'});
    const d = tf.layers.dense({units: 2, name: 'd'}).apply(sum.apply([a, b])) as tf.SymbolicTensor;
    const float = tf.model({inputs: [a, b], outputs: sum.apply([a, d]) as tf.SymbolicTensor});
    // tfjs lists `sum` before `d`: its second node needs `d`'s output.
    expect(classes(float)).toEqual(['InputLayer:a', 'InputLayer:b', 'Add:sum', 'Dense:d']);
    const q = quantizeModel(float);
    expect(quantizerNames(q)).toEqual(['a_fq', 'b_fq', 'd_fq', 'sum_fq', 'sum_fq_1']);
    const xs = [tf.randomUniform([3, 2], -2, 2, 'float32', 81), tf.randomUniform([3, 2], -2, 2, 'float32', 82)];
    expectFineCopyComputesFloat(float, xs);
    tf.dispose(xs);
  });
});

describe('call arguments of the nodes', () => {
  it('an RNN given its initial state (an input of its node) is quantized and computes the float RNN', () => {
    const x = tf.input({shape: [3, 2], name: 'x'});
    const h = tf.input({shape: [4], name: 'h'});
    const float = tf.model({inputs: [x, h], outputs: tf.layers.simpleRNN({units: 4, name: 'rnn'}).apply(x, {initialState: [h]}) as tf.SymbolicTensor});
    let q: tf.LayersModel|undefined;
    expect(warnings(() => q = quantizeModel(float))).toEqual([`${FLOAT_WARNING}rnn (SimpleRNN).`]);
    expect(classes(q!)).toEqual(['InputLayer:x', 'InputLayer:h', 'FakeQuant:x_fq', 'FakeQuant:h_fq', 'SimpleRNN:rnn', 'FakeQuant:rnn_fq']);
    const xs = [tf.randomUniform([2, 3, 2], -1, 1, 'float32', 83), tf.randomUniform([2, 4], -1, 1, 'float32', 84)];
    warnings(() => expectFineCopyComputesFloat(float, xs));
    // The initial state is read: another one changes the output.
    const other = tf.tidy(() => tf.sub(q!.predict([xs[0], tf.zeros([2, 4])]) as tf.Tensor, q!.predict(xs) as tf.Tensor).abs().max().dataSync()[0]);
    expect(other).toBeGreaterThan(0.01);
    tf.dispose(xs);
  });

  it('other call arguments are kept: the saved topology records them as the float model\'s', () => {
    const x = tf.input({shape: [4], name: 'x'});
    const float = tf.model({inputs: x, outputs: tf.layers.dropout({rate: 0.5, name: 'drop'}).apply(x, {training: true}) as tf.SymbolicTensor});
    const q = quantizeModel(float);
    const nodesOf = (m: tf.LayersModel) => (m.getConfig() as unknown as {layers: Array<{name: string, inboundNodes: unknown}>})
        .layers.find((l) => l.name === 'drop')!.inboundNodes;
    expect(nodesOf(float)).toEqual([[['x', 0, 0, {training: true}]]]);
    expect(nodesOf(q)).toEqual([[['x_fq', 0, 0, {training: true}]]]);
  });
});

/** An RNN cell whose output is twice its new state (tfjs's cells output the state itself). */
class DoublingCell extends tf.layers.Layer {
  static readonly className = 'DoublingCell';
  readonly stateSize = 2;

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor[] {
    const [x, h] = inputs as tf.Tensor[];
    const state = tf.tanh(tf.add(x, tf.mul(h, 0.5)));
    return [tf.mul(state, 2), state];
  }
}
tf.serialization.registerClass(DoublingCell);

describe('RNN outputs of one value (returnState without returnSequences: the output is the state h)', () => {
  type RNNArgs = Parameters<typeof tf.layers.lstm>[0];
  const RNNS: Array<[string, string, (args: RNNArgs) => tf.layers.Layer]> = [
    ['simpleRNN', 'SimpleRNN', tf.layers.simpleRNN], ['gru', 'GRU', tf.layers.gru], ['lstm', 'LSTM', tf.layers.lstm],
  ];

  /** A functional model returning what `layer` returns for an input of 4 steps of 2 features. */
  function rnnModel(layer: tf.layers.Layer): tf.LayersModel {
    const x = tf.input({shape: [4, 2], name: 'x'});
    return tf.model({inputs: x, outputs: [layer.apply(x) as tf.SymbolicTensor|tf.SymbolicTensor[]].flat()});
  }

  function quiet(float: tf.LayersModel, options = {}): tf.LayersModel {
    let q: tf.LayersModel|undefined;
    warnings(() => q = quantizeModel(float, options));
    return q!;
  }

  const input = () => tf.randomUniform([3, 4, 2], -1, 1, 'float32', 90);

  for (const [name, className, rnn] of RNNS) {
    it(`${name}: one quantizer for the output and h, on the float outputs' grid (at 8 bits and 16, saved and loaded), leak free`, async () => {
      const float = rnnModel(rnn({units: 3, returnState: true, name}));
      const q = quiet(float, {quantizeInputs: false});
      const states = name === 'lstm' ? [`FakeQuant:${name}_fq_2`] : [];
      // The second model output passes the quantizer's through (tfjs fills one of two equal outputs).
      expect(classes(q)).toEqual(['InputLayer:x', `${className}:${name}`, `FakeQuant:${name}_fq_0`, `Activation:${name}_output_1`, ...states]);
      const x = input();
      const want = (float.predict(x) as tf.Tensor[]).map((t) => refFakeQuantVars(t.dataSync(), -6, 6));
      const before = tf.memory().numTensors;
      for (const model of [q, await roundTrip(q)]) {
        const got = model.predict(x) as tf.Tensor[];
        expect(got.map((t) => Array.from(t.dataSync()))).toEqual(want.map((w) => Array.from(w)));
        tf.dispose(got);
        if (model !== q) model.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      warnings(() => expectFineCopyComputesFloat(float, x));
      x.dispose();
    });

    it(`${name} with returnSequences: an own quantizer for the sequence and each state, computing the float RNN`, () => {
      const float = rnnModel(rnn({units: 3, returnState: true, returnSequences: true, name}));
      const count = name === 'lstm' ? 3 : 2;
      expect(quantizerNames(quiet(float))).toEqual([...Array.from({length: count}, (_, k) => `${name}_fq_${k}`), 'x_fq']);
      const x = input();
      warnings(() => expectFineCopyComputesFloat(float, x));
      x.dispose();
    });
  }

  it('the output and h read by two layers (which the float model\'s executor cannot run): the copy computes them', () => {
    const x = tf.input({shape: [4, 2], name: 'x'});
    const [y, h] = tf.layers.gru({units: 3, returnState: true, name: 'gru'}).apply(x) as tf.SymbolicTensor[];
    const [da, db] = [tf.layers.dense({units: 2, name: 'da'}), tf.layers.dense({units: 2, name: 'db'})];
    const float = tf.model({inputs: x, outputs: [da.apply(y), db.apply(h)] as tf.SymbolicTensor[]});
    const fine = quiet(float, FINE);
    const xs = input();
    calibrate(fine, xs);
    tf.tidy(() => {
      const [ya, yb] = fine.predict(xs) as tf.Tensor[];
      const [fy, fh] = tf.model({inputs: x, outputs: [y, h]}).predict(xs) as tf.Tensor[];
      expectClose(ya.dataSync(), (da.apply(fy) as tf.Tensor).dataSync(), 2e-3);
      expectClose(yb.dataSync(), (db.apply(fh) as tf.Tensor).dataSync(), 2e-3);
    });
    xs.dispose();
  });

  it('stacked cells (the last cell\'s h), cells in RNN, ConvLSTM2D, a mask, Bidirectional: shared where one value', () => {
    const x = tf.input({shape: [4, 2], name: 'x'});
    const lstm = tf.layers.lstm({units: 3, returnState: true, name: 'r'});
    const stacked = tf.layers.rnn({cell: [tf.layers.lstmCell({units: 2}), tf.layers.simpleRNNCell({units: 3})], returnState: true, name: 'r'});
    const cases: Array<[tf.LayersModel, string[]]> = [
      [rnnModel(stacked), ['r_fq_0', 'r_fq_2', 'r_fq_3']],
      [rnnModel(tf.layers.rnn({cell: tf.layers.gruCell({units: 3}), returnState: true, name: 'r'})), ['r_fq_0']],
      [rnnModel(tf.layers.rnn({cell: tf.layers.lstmCell({units: 3}), returnState: true, name: 'r'})), ['r_fq_0', 'r_fq_2']],
      [rnnModel(tf.layers.rnn({cell: tf.layers.simpleRNNCell({units: 3}), returnState: true, name: 'r'})), ['r_fq_0']],
      // Masked steps (0.5, 0.5) keep the last output and state: two tensors of one value.
      [tf.model({inputs: x, outputs: lstm.apply(tf.layers.masking({maskValue: 0.5}).apply(x)) as tf.SymbolicTensor[]}), ['r_fq_0', 'r_fq_2']],
      [rnnModel(tf.layers.bidirectional({layer: tf.layers.lstm({units: 2, returnState: true}) as tf.RNN, mergeMode: null as unknown as 'concat', name: 'r'})),
        ['r_fq_0', 'r_fq_1', 'r_fq_3', 'r_fq_5']],
      [rnnModel(tf.layers.bidirectional({layer: tf.layers.lstm({units: 2, returnState: true, returnSequences: true}) as tf.RNN,
        mergeMode: null as unknown as 'concat', name: 'r'})), ['r_fq_0', 'r_fq_1', 'r_fq_2', 'r_fq_3', 'r_fq_4', 'r_fq_5']],
      // A cell of the user's: its output need not be its state (here twice the state).
      [rnnModel(tf.layers.rnn({cell: new DoublingCell({}) as unknown as Parameters<typeof tf.layers.rnn>[0]['cell'], returnState: true, name: 'r'})), ['r_fq_0', 'r_fq_1']],
      [rnnModel(tf.layers.bidirectional({layer: tf.layers.gru({units: 2, returnState: true}) as tf.RNN, name: 'r'})), ['r_fq_0', 'r_fq_1', 'r_fq_2']],
    ];
    const xs = tf.tensor3d([0.5, 0.5, 0.3, -0.8, 0.5, 0.5, 0.9, 0.1, -0.4, 0.7, 0.5, 0.5, 0.2, 0.6, -0.9, 0.3], [2, 4, 2]);
    for (const [float, want] of cases) {
      expect(quantizerNames(quiet(float, {quantizeInputs: false}))).toEqual(want);
      warnings(() => expectFineCopyComputesFloat(float, xs));
    }
    const conv = tf.input({shape: [2, 3, 3, 1], name: 'x'});
    const convLstm = tf.model({inputs: conv, outputs: tf.layers.convLstm2d({filters: 2, kernelSize: 2, returnState: true, name: 'r'}).apply(conv) as tf.SymbolicTensor[]});
    expect(quantizerNames(quiet(convLstm, {quantizeInputs: false}))).toEqual(['r_fq_0', 'r_fq_2']);
    const frames = tf.randomUniform([2, 2, 3, 3, 1], -1, 1, 'float32', 91);
    warnings(() => expectFineCopyComputesFloat(convLstm, frames));
    tf.dispose([xs, frames]);
  });

  it('Sequential: SimpleRNN, GRU and LSTM with and without returnSequences compute the float model', () => {
    for (const [, , rnn] of RNNS) {
      for (const returnSequences of [false, true]) {
        const float = tf.sequential({layers: [rnn({inputShape: [4, 2], units: 3, returnSequences})]});
        const x = input();
        warnings(() => expectFineCopyComputesFloat(float, x));
        x.dispose();
      }
    }
  });

  it('exportTFLite refuses the copy, naming the RNN layer, leak free', async () => {
    const q = quiet(rnnModel(tf.layers.lstm({units: 3, returnState: true, name: 'lstm'})));
    const before = tf.memory().numTensors;
    await expect(exportTFLite(q)).rejects.toThrow(/^lowerModel: layer lstm \(LSTM\) is not supported by the int8 export; supported: FakeQuant, /);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** The model saved (tf.io.withSaveHandler) and loaded back (tf.io.fromMemory). */
async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts|undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  return tf.loadLayersModel(tf.io.fromMemory({...artifacts!, modelTopology: JSON.parse(JSON.stringify(artifacts!.modelTopology))}));
}
