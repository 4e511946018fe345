/**
 * Behaviour of the Layers API that Stryker's surviving mutants showed no test pinned (issue 17),
 * tested through the public API only (FakeQuant, FakeQuantWeights, quantizeModel, calibrate), so
 * the tests hold whatever module the code lives in. Expected values come from the float32
 * reference (test/shared/reference.ts, which imports nothing from src/) or are written out.
 */
import * as tf from '@tensorflow/tfjs';

import {FakeQuant, FakeQuantWeights, fakeQuantLayers, fixedOutputRange, fusedProducers, isFusingKernelLayer, quantizeModel} from '../../src/layers';
import {refFakeQuantVars} from '../shared/reference';
import {expectThrowsNoLeak} from './jest_util';

afterEach(() => {
  tf.disposeVariables();
});

describe('single-input layers', () => {
  it('FakeQuant refuses two inputs (symbolic or concrete) naming the layer; a list of one is that input', () => {
    const a = tf.input({shape: [3]});
    const b = tf.input({shape: [3]});
    expectThrowsNoLeak(() => new FakeQuant({name: 'fq_two'}).apply([a, b]), /fq_two expects a single input, got 2\./);

    const fq = new FakeQuant({name: 'fq_one'});
    fq.build([[null, 3]]);
    const x = tf.tensor2d([[-7, -0.3, 0.05], [2.5, 5.99, 9]]);
    const before = tf.memory().numTensors;
    const y = fq.apply([x]) as tf.Tensor;
    // The default range [-6, 6] at 8 bits.
    expect(Array.from(y.dataSync())).toEqual(Array.from(refFakeQuantVars(x.dataSync(), -6, 6)));
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expectThrowsNoLeak(() => fq.call([x, x], {}), /fq_one expects a single input, got 2\./);
    x.dispose();
  });
});

describe('bit widths', () => {
  it('2 and 16 are accepted, 1, 17 and fractions refused, the argument named', () => {
    for (const numBits of [2, 16]) {
      expect(new FakeQuant({numBits}).numBits).toBe(numBits);
      expect(new FakeQuantWeights({layer: tf.layers.dense({units: 1}), numBits}).numBits).toBe(numBits);
    }
    for (const numBits of [1, 17, 7.5]) {
      expectThrowsNoLeak(() => new FakeQuant({numBits}), new RegExp(`FakeQuant: numBits must be an integer in 2\\.\\.16, got ${numBits}\\.`));
    }
    const float = tf.sequential({layers: [tf.layers.dense({inputShape: [2], units: 2, name: 'd'})]});
    expectThrowsNoLeak(() => quantizeModel(float, {weightBits: 17}), /quantizeModel: weightBits must be an integer in 2\.\.16, got 17\./);
    expectThrowsNoLeak(
        () => quantizeModel(float, {layerOptions: {d: {activationBits: 1}}}),
        /quantizeModel: layerOptions\.d\.activationBits must be an integer in 2\.\.16, got 1\./);
  });
});

describe('fusion (TF MOT default_8bit_transforms, what TFLite fuses)', () => {
  it('isFusingKernelLayer: the conv / fully connected kernel layers, seen through FakeQuantWeights', () => {
    const fusing = [
      tf.layers.dense({units: 1}), tf.layers.conv2d({filters: 1, kernelSize: 1}),
      tf.layers.depthwiseConv2d({kernelSize: 1}), tf.layers.separableConv2d({filters: 1, kernelSize: 1}),
      new FakeQuantWeights({layer: tf.layers.conv2d({filters: 1, kernelSize: 1})}),
    ];
    const notFusing = [
      tf.layers.conv1d({filters: 1, kernelSize: 1}), tf.layers.conv2dTranspose({filters: 1, kernelSize: 1}),
      tf.layers.batchNormalization(), tf.layers.add(), tf.layers.reLU(),
      new FakeQuantWeights({layer: tf.layers.conv1d({filters: 1, kernelSize: 1})}),
    ];
    expect(fusing.map(isFusingKernelLayer)).toEqual(fusing.map(() => true));
    expect(notFusing.map(isFusingKernelLayer)).toEqual(notFusing.map(() => false));
  });

  it('a producer whose output is also a model output is not fused (the output is quantized)', () => {
    const input = tf.input({shape: [3]});
    const d = tf.layers.dense({units: 3, name: 'd'}).apply(input) as tf.SymbolicTensor;
    const r = tf.layers.reLU({name: 'r'}).apply(d) as tf.SymbolicTensor;
    const float = tf.model({inputs: input, outputs: [d, r]});
    expect([...fusedProducers(float)]).toEqual([]);
    const q = quantizeModel(float, {quantizeInputs: false});
    expect(fakeQuantLayers(q).map((l) => l.name).sort()).toEqual(['d_fq', 'r_fq']);

    // Without the second output, d -> r fuses: r's quantizer only.
    const single = tf.model({inputs: input, outputs: r});
    expect([...fusedProducers(single)].map((l) => l.name)).toEqual(['d']);
    expect(fakeQuantLayers(quantizeModel(single, {quantizeInputs: false})).map((l) => l.name)).toEqual(['r_fq']);
  });

  it('the nodes a layer has in another model are not this model\'s: it still fuses and quantizes', () => {
    const dense = tf.layers.dense({units: 2, name: 'shared_d'});
    const a = tf.input({shape: [2]});
    const float = tf.model({inputs: a, outputs: tf.layers.reLU({name: 'ra'}).apply(dense.apply(a)) as tf.SymbolicTensor});
    const b = tf.input({shape: [2]});
    tf.model({inputs: b, outputs: dense.apply(b) as tf.SymbolicTensor});  // a second node of shared_d
    expect([...fusedProducers(float)].map((l) => l.name)).toEqual(['shared_d']);
    const q = quantizeModel(float, {quantizeInputs: false});
    expect(fakeQuantLayers(q).map((l) => l.name)).toEqual(['ra_fq']);
    expect(tf.tidy(() => (q.predict(tf.ones([1, 2])) as tf.Tensor).shape)).toEqual([1, 2]);
  });

  it('a layer applied twice in the model is never fused, even where one application feeds a ReLU', () => {
    const d = tf.layers.dense({units: 2, name: 'twice'});
    const a = tf.input({shape: [2]});
    const b = tf.input({shape: [2]});
    const relu = tf.layers.reLU({name: 'relu_a'}).apply(d.apply(a)) as tf.SymbolicTensor;
    const float = tf.model({inputs: [a, b], outputs: [relu, d.apply(b) as tf.SymbolicTensor]});
    expect([...fusedProducers(float)]).toEqual([]);
    const q = quantizeModel(float, {quantizeInputs: false});
    expect(fakeQuantLayers(q).map((l) => l.name).sort()).toEqual(['relu_a_fq', 'twice_fq', 'twice_fq_1']);
  });

  it('fixedOutputRange reads the activation of every kernel layer, SeparableConv2D and Conv2DTranspose included', () => {
    expect(fixedOutputRange(tf.layers.separableConv2d({filters: 1, kernelSize: 1, activation: 'sigmoid'}), 8))
        .toEqual([0, 255 / 256]);
    expect(fixedOutputRange(tf.layers.conv2dTranspose({filters: 1, kernelSize: 1, activation: 'tanh'}), 8))
        .toEqual([-1, 127 / 128]);
    expect(fixedOutputRange(new FakeQuantWeights({layer: tf.layers.dense({units: 1, activation: 'softmax'})}), 4))
        .toEqual([0, 15 / 16]);
    expect(fixedOutputRange(tf.layers.reLU(), 8)).toBeNull();
    expect(fixedOutputRange(tf.layers.batchNormalization(), 8)).toBeNull();
  });
});
