/**
 * Behaviour of the Layers API that Stryker's surviving mutants showed no test pinned (issue 17),
 * tested through the public API only (FakeQuant, FakeQuantWeights, quantizeModel, calibrate), so
 * the tests hold whatever module the code lives in. Expected values come from the float32
 * reference (test/shared/reference.ts, which imports nothing from src/) or are written out.
 */
import * as tf from '@tensorflow/tfjs';

import {FakeQuant, FakeQuantWeights, quantizeModel} from '../../src/layers';
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
