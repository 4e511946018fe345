/**
 * The FakeQuant layer's argument checks, error messages and calibration life cycle that Stryker's
 * surviving mutants of src/layers/fake_quant.ts showed no test pinned (issue 17): non-finite
 * initial ranges, the per-channel build error, `call` from JavaScript without kwargs, setRange's
 * messages, empty calibration batches, a 'fixed' layer recording nothing, and discarding or
 * disposing a calibration in progress without leaks. Public API only; expected values come from
 * the float32 reference (test/shared/reference.ts) or are written out.
 */
import * as tf from '@tensorflow/tfjs';

import {FakeQuant} from '../../src/layers';
import {refFakeQuantVars} from '../shared/reference';
import {expectThrowsNoLeak} from './jest_util';

afterEach(() => {
  tf.disposeVariables();
});

function built(name: string, args: {perChannel?: boolean, mode?: 'learned'|'ema'|'fixed'} = {}): FakeQuant {
  const fq = new FakeQuant({name, initMin: -1, initMax: 1, ...args});
  fq.build([null, 2]);
  return fq;
}

/** Applies the layer to `x` and returns the output's values, disposing both. */
function applyValues(fq: FakeQuant, x: tf.Tensor, kwargs = {}): number[] {
  const y = fq.apply(x, kwargs) as tf.Tensor;
  const values = Array.from(y.dataSync());
  tf.dispose([x, y]);
  return values;
}

describe('FakeQuant arguments', () => {
  it('an infinite initMin or initMax is refused, the range shown', () => {
    expectThrowsNoLeak(
        () => new FakeQuant({initMin: -Infinity}), /FakeQuant: initMin < initMax \(finite\) is required, got \[-Infinity, 6\]\./);
    expectThrowsNoLeak(
        () => new FakeQuant({initMax: Infinity}), /FakeQuant: initMin < initMax \(finite\) is required, got \[-6, Infinity\]\./);
  });

  it('perChannel without a known last dimension names the layer and the input shape', () => {
    expectThrowsNoLeak(
        () => new FakeQuant({name: 'fq_pc', perChannel: true}).build([null, 4, null]),
        /FakeQuant fq_pc: perChannel needs a known last dimension, got input shape \[null,4,null\]\./);
    expectThrowsNoLeak(
        () => new FakeQuant({name: 'fq_pc0', perChannel: true}).build([]),
        /FakeQuant fq_pc0: perChannel needs a known last dimension, got input shape \[\]\./);
  });
});

describe('FakeQuant.call', () => {
  it('called from JavaScript without kwargs, an ema layer quantizes and keeps its range', () => {
    const fq = built('fq_js');
    const x = tf.tensor2d([[-1.5, -0.3], [0.02, 3]]);
    // `layer.call(x)`, as the tfjs docs write it (the typings ask for kwargs).
    const callWithoutKwargs = fq.call.bind(fq) as unknown as (x: tf.Tensor) => tf.Tensor;
    const before = tf.memory().numTensors;
    const y = callWithoutKwargs(x);
    expect(Array.from(y.dataSync())).toEqual(Array.from(refFakeQuantVars(x.dataSync(), -1, 1)));
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(fq.getRange()).toEqual({min: [-1], max: [1]});
    x.dispose();
  });
});

describe('FakeQuant.setRange errors name the layer, the argument and what is wrong', () => {
  it('per tensor: numbers only; min > max shown without a channel', () => {
    const fq = built('fq_t');
    expectThrowsNoLeak(
        () => fq.setRange([0, 0] as unknown as number, 1), /FakeQuant fq_t: min must be a number \(the layer is per tensor\)\./);
    expectThrowsNoLeak(
        () => fq.setRange(0, [1] as unknown as number), /FakeQuant fq_t: max must be a number \(the layer is per tensor\)\./);
    expectThrowsNoLeak(() => fq.setRange(2, 1), /^FakeQuant fq_t: setRange needs finite min <= max, got \[2, 1\]\.$/);
    expect(fq.getRange()).toEqual({min: [-1], max: [1]});
  });

  it('per channel: one value per channel for each of min and max; the bad channel shown', () => {
    const fq = built('fq_c', {perChannel: true});
    expectThrowsNoLeak(
        () => fq.setRange([0], [1, 1]), /FakeQuant fq_c: min needs 2 values \(one per channel\), got \[0\]\./);
    expectThrowsNoLeak(
        () => fq.setRange([0, 0], [1, 1, 1]), /FakeQuant fq_c: max needs 2 values \(one per channel\), got \[1,1,1\]\./);
    expectThrowsNoLeak(
        () => fq.setRange([0, -1], [1, -2]), /^FakeQuant fq_c: setRange needs finite min <= max, got \[-1, -2\] for channel 1\.$/);
    expect(fq.getRange()).toEqual({min: [-1, -1], max: [1, 1]});
  });
});

describe('FakeQuant calibration', () => {
  it('finishCalibration without startCalibration (or twice) names the layer', () => {
    const fq = built('fq_f');
    expectThrowsNoLeak(() => fq.finishCalibration(), /FakeQuant fq_f: finishCalibration without startCalibration\./);
    fq.startCalibration();
    expect(applyValues(fq, tf.tensor2d([[0.5, -2]]))).toEqual([0.5, -2]);
    expect(fq.finishCalibration()).toBe(true);
    expect(fq.getRange()).toEqual({min: [-2], max: [0.5]});
    expectThrowsNoLeak(() => fq.finishCalibration(), /FakeQuant fq_f: finishCalibration without startCalibration\./);
  });

  it('an empty batch is not counted: alone it leaves the range (false), and it is not in the average', () => {
    const fq = built('fq_e');
    const before = tf.memory().numTensors;
    fq.startCalibration('minmax');
    expect(applyValues(fq, tf.zeros([0, 2]))).toEqual([]);
    expect(fq.finishCalibration()).toBe(false);
    expect(fq.getRange()).toEqual({min: [-1], max: [1]});

    fq.startCalibration('average');
    applyValues(fq, tf.tensor2d([[-1, 2]]));
    applyValues(fq, tf.zeros([0, 2]));
    applyValues(fq, tf.tensor2d([[-3, 1]]));
    expect(fq.finishCalibration()).toBe(true);
    // The mean of the two batches' extremes: (-1 - 3) / 2 and (2 + 1) / 2.
    expect(fq.getRange()).toEqual({min: [-2], max: [1.5]});
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a 'fixed' layer passes its inputs through, records nothing and keeps its range", () => {
    const fq = new FakeQuant({name: 'fq_fixed', mode: 'fixed', initMin: 0, initMax: 1});
    fq.build([null, 2]);
    fq.startCalibration();
    const before = tf.memory().numTensors;
    expect(applyValues(fq, tf.tensor2d([[-4, 9]]))).toEqual([-4, 9]);
    expect(tf.memory().numTensors).toBe(before);  // no statistics held
    expect(fq.finishCalibration()).toBe(false);
    expect(fq.getRange()).toEqual({min: [0], max: [1]});
  });

  it('discardCalibration (also by a new startCalibration) frees what was recorded and keeps the range', () => {
    const fq = built('fq_d', {perChannel: true});
    const before = tf.memory().numTensors;
    fq.startCalibration();
    applyValues(fq, tf.tensor2d([[-3, 4]]));
    fq.discardCalibration();
    expect(tf.memory().numTensors).toBe(before);
    expect(fq.getRange()).toEqual({min: [-1, -1], max: [1, 1]});
    expectThrowsNoLeak(() => fq.finishCalibration(), /FakeQuant fq_d: finishCalibration without startCalibration\./);

    fq.startCalibration('minmax');
    applyValues(fq, tf.tensor2d([[-5, 6]]));
    fq.startCalibration('minmax');  // starts over: the first batch is dropped
    expect(tf.memory().numTensors).toBe(before);
    applyValues(fq, tf.tensor2d([[-0.5, 2], [0.25, -3]]));
    expect(fq.finishCalibration()).toBe(true);
    // Per channel, widened to include 0: channel 0 saw [-0.5, 0.25], channel 1 [-3, 2].
    expect(fq.getRange()).toEqual({min: [-0.5, -3], max: [0.25, 2]});
    expect(tf.memory().numTensors).toBe(before);
  });

  it('disposing the layer during calibration frees the recorded statistics with its weights', () => {
    const before = tf.memory().numTensors;
    // Built by its first apply to a tensor, which is what lets tfjs dispose a layer.
    const fq = new FakeQuant({name: 'fq_x'});
    fq.startCalibration();
    applyValues(fq, tf.tensor2d([[-3, 4]]));
    expect(fq.dispose().numDisposedVariables).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
  });
});
