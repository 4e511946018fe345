/**
 * Argument validation (every error names the offending argument) and tensor bookkeeping: a failing
 * call leaves no tensor behind, even when it fails after converting TensorLike arguments; a
 * successful call leaves only the tensors it returns. Results of the accepted-but-odd cases (int32 /
 * bool inputs, min > max, min == max != 0) are checked against the independent reference.
 */
import * as tf from '@tensorflow/tfjs';

import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient} from '../../src';
import {refFakeQuantVars, refFakeQuantVarsGradient} from '../shared/reference';
import {expectThrowsNoLeak} from './jest_util';

// The public signatures are typed; the error cases deliberately pass wrong types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fq = fakeQuantWithMinMaxVars as any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fqGrad = fakeQuantWithMinMaxVarsGradient as any;


/** Per-element Object.is (NaN == NaN, -0 != +0) with a readable failure. */
function expectSameFloats(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) bad.push(`[${i}] got ${actual[i]} want ${expected[i]}`);
  }
  expect(bad.slice(0, 10)).toEqual([]);
}

const X = [-1.5, -1, -0.5, 0, 0.25, 0.5, 1, 1.5];

let x: tf.Tensor;
let dy: tf.Tensor;
beforeEach(() => {
  x = tf.tensor1d(X);
  dy = tf.tensor1d(X.map((_, i) => i + 1));
});
afterEach(() => {
  x.dispose();
  dy.dispose();
});

describe('leak checking is on', () => {
  it('IS_TEST is set, so the engine checks every kernel for leaked tensors', () => {
    expect(tf.env().getBool('IS_TEST')).toBe(true);
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('numBits validation', () => {
  const bad: Array<[string, unknown]> = [
    ['1', 1], ['17', 17], ['0', 0], ['-8', -8], ['2.5', 2.5], ['NaN', NaN], ['Infinity', Infinity],
    ["'8' (string)", '8'], ['null', null], ['true', true],
  ];
  for (const [label, numBits] of bad) {
    it(`forward rejects numBits = ${label}`, () => {
      expectThrowsNoLeak(() => fq(x, -1, 1, numBits), /numBits/, /fakeQuantWithMinMaxVars/);
    });
    it(`gradient rejects numBits = ${label}`, () => {
      expectThrowsNoLeak(
          () => fqGrad(dy, x, -1, 1, numBits), /numBits/, /fakeQuantWithMinMaxVarsGradient/);
    });
    it(`forward rejects numBits = ${label} with TensorLike args`, () => {
      expectThrowsNoLeak(() => fq(X, -1, 1, numBits), /numBits/);
    });
  }

  it('accepts the bounds 2 and 16 and matches the reference', () => {
    for (const numBits of [2, 16]) {
      const before = tf.memory().numTensors;
      const y = fakeQuantWithMinMaxVars(x, -1, 1, numBits);
      expectSameFloats(y.dataSync(), refFakeQuantVars(X, -1, 1, numBits));
      y.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe('narrowRange validation', () => {
  const bad: Array<[string, unknown]> = [
    ['1', 1], ['0', 0], ["'true'", 'true'], ['null', null], ['{}', {}],
  ];
  for (const [label, narrowRange] of bad) {
    it(`forward rejects narrowRange = ${label}`, () => {
      expectThrowsNoLeak(() => fq(x, -1, 1, 8, narrowRange), /narrowRange/);
    });
    it(`gradient rejects narrowRange = ${label}`, () => {
      expectThrowsNoLeak(() => fqGrad(dy, x, -1, 1, 8, narrowRange), /narrowRange/);
    });
  }

  it('undefined narrowRange means the default (false)', () => {
    const y = fq(x, -1, 1, 8, undefined) as tf.Tensor;
    expectSameFloats(y.dataSync(), refFakeQuantVars(X, -1, 1, 8, false));
    y.dispose();
  });
});

describe('min / max must be scalars', () => {
  const nonScalars: Array<[string, () => unknown]> = [
    ['tensor1d([0])', () => tf.tensor1d([0])],
    ['[0] (TensorLike)', () => [0]],
    ['tensor2d([[0]])', () => tf.tensor2d([[0]])],
    ['[[0, 0]] (TensorLike)', () => [[0, 0]]],
  ];
  for (const [label, make] of nonScalars) {
    for (const which of ['min', 'max'] as const) {
      const args = (v: unknown) => (which === 'min' ? [v, 1] : [-1, v]);
      it(`forward rejects ${which} = ${label}`, () => {
        const v = make();
        expectThrowsNoLeak(() => fq(x, ...args(v)), new RegExp('`' + which + '`'), /rank/);
        if (v instanceof tf.Tensor) v.dispose();
      });
      it(`gradient rejects ${which} = ${label}`, () => {
        const v = make();
        expectThrowsNoLeak(() => fqGrad(dy, x, ...args(v)), new RegExp('`' + which + '`'), /rank/);
        if (v instanceof tf.Tensor) v.dispose();
      });
      it(`forward rejects ${which} = ${label} after converting TensorLike inputs`, () => {
        const v = make();
        // inputs, min and max are all converted (and int32 inputs cast) before the rank check.
        expectThrowsNoLeak(() => fq(X, ...args(v)), new RegExp('`' + which + '`'));
        expectThrowsNoLeak(() => fq([1, 2, 3], ...args(v)), new RegExp('`' + which + '`'));
        if (v instanceof tf.Tensor) v.dispose();
      });
      it(`gradient rejects ${which} = ${label} after converting TensorLike inputs`, () => {
        const v = make();
        expectThrowsNoLeak(
            () => fqGrad(X.map(() => 1), X, ...args(v)), new RegExp('`' + which + '`'));
        if (v instanceof tf.Tensor) v.dispose();
      });
    }
  }

  it('an int32 input is cast, then a bad max still leaves nothing behind', () => {
    const xi = tf.tensor1d([1, 2, 3], 'int32');
    const mi = tf.scalar(0, 'int32');
    expectThrowsNoLeak(() => fq(xi, mi, [4]), /`max`/);
    tf.dispose([xi, mi]);
  });
});

describe('gradients shape must equal inputs shape', () => {
  const cases: Array<[string, number[], number[]]> = [
    ['[2] vs [3]', [2], [3]],
    ['[6] vs [2,3]', [6], [2, 3]],
    ['[2,3] vs [3,2] (same size)', [2, 3], [3, 2]],
    ['[] vs [1]', [], [1]],
    ['[1,4] vs [4]', [1, 4], [4]],
  ];
  for (const [label, gShape, xShape] of cases) {
    it(`rejects ${label}`, () => {
      const g = tf.ones(gShape);
      const xi = tf.zeros(xShape);
      const err = expectThrowsNoLeak(() => fqGrad(g, xi, -1, 1), /gradients/, /inputs/);
      expect(err.message).toContain(`[${gShape.join(', ')}]`);
      // Same with TensorLike args (converted before the check).
      expectThrowsNoLeak(
          () => fqGrad(g.arraySync(), xi.arraySync(), -1, 1),
          /gradients/, /inputs/);
      g.dispose();
      xi.dispose();
    });
  }
});

describe('dtypes', () => {
  it('forward rejects a string tensor input, naming the argument', () => {
    const s = tf.tensor1d(['a', 'b']);
    expectThrowsNoLeak(() => fq(s, -1, 1), /`inputs`/, /string/);
    s.dispose();
  });
  it('forward rejects string TensorLike inputs (the converted tensor is disposed)', () => {
    expectThrowsNoLeak(() => fq(['a', 'b'], -1, 1), /`inputs`/, /string/);
  });
  it('forward rejects string min / max', () => {
    expectThrowsNoLeak(() => fq(x, 'a', 1), /`min`/, /string/);
    expectThrowsNoLeak(() => fq(x, -1, 'b'), /`max`/, /string/);
  });
  it('gradient rejects string gradients / inputs', () => {
    const s = tf.tensor1d(X.map(String));
    expectThrowsNoLeak(() => fqGrad(s, x, -1, 1), /`gradients`/, /string/);
    expectThrowsNoLeak(() => fqGrad(dy, s, -1, 1), /`inputs`/, /string/);
    expectThrowsNoLeak(() => fqGrad(X, X.map(String), -1, 1), /`inputs`/, /string/);
    s.dispose();
  });
  it('rejects complex64 inputs / gradients / min / max', () => {
    const c = tf.complex(X, X);
    const cs = tf.complex(-1, 0);
    expectThrowsNoLeak(() => fq(c, -1, 1), /`inputs`/, /complex64/);
    expectThrowsNoLeak(() => fq(x, cs, 1), /`min`/, /complex64/);
    expectThrowsNoLeak(() => fq(x, -1, cs), /`max`/, /complex64/);
    expectThrowsNoLeak(() => fqGrad(c, x, -1, 1), /`gradients`/, /complex64/);
    expectThrowsNoLeak(() => fqGrad(dy, c, -1, 1), /`inputs`/, /complex64/);
    expectThrowsNoLeak(() => fqGrad(dy, x, cs, 1), /`min`/, /complex64/);
    c.dispose();
    cs.dispose();
  });

  it('accepts int32 inputs (cast) with the same result as float32', () => {
    const vals = [-300, -7, -1, 0, 1, 2, 3, 5, 100];
    const xi = tf.tensor1d(vals, 'int32');
    const xf = tf.tensor1d(vals, 'float32');
    const before = tf.memory().numTensors;
    const yi = fakeQuantWithMinMaxVars(xi, -4, 6, 4);
    const yf = fakeQuantWithMinMaxVars(xf, -4, 6, 4);
    expect(yi.dtype).toBe('float32');
    expect(tf.memory().numTensors).toBe(before + 2);  // the cast is not kept
    expectSameFloats(yi.dataSync(), refFakeQuantVars(vals, -4, 6, 4));
    expectSameFloats(yi.dataSync(), yf.dataSync());
    tf.dispose([xi, xf, yi, yf]);
  });
  it('accepts int32 TensorLike / scalar min and max', () => {
    const mi = tf.scalar(-4, 'int32');
    const ma = tf.scalar(6, 'int32');
    const before = tf.memory().numTensors;
    const y = fakeQuantWithMinMaxVars(x, mi, ma, 4);
    expect(tf.memory().numTensors).toBe(before + 1);
    expectSameFloats(y.dataSync(), refFakeQuantVars(X, -4, 6, 4));
    tf.dispose([mi, ma, y]);
  });
  it('accepts bool inputs (cast to 0/1) with the same result as float32', () => {
    const xb = tf.tensor1d([true, false, true], 'bool');
    const before = tf.memory().numTensors;
    const y = fakeQuantWithMinMaxVars(xb, -0.3, 0.7, 3);
    expect(tf.memory().numTensors).toBe(before + 1);
    expectSameFloats(y.dataSync(), refFakeQuantVars([1, 0, 1], -0.3, 0.7, 3));
    tf.dispose([xb, y]);
  });
  it('gradient op accepts int32 / bool gradients and inputs', () => {
    const g = tf.tensor1d([1, -2, 3, 4], 'int32');
    const xi = tf.tensor1d([-5, 0, 1, 9], 'int32');
    const xb = tf.tensor1d([true, false, true, true], 'bool');
    const before = tf.memory().numTensors;
    const r1 = fakeQuantWithMinMaxVarsGradient(g, xi, -2, 3);
    const r2 = fakeQuantWithMinMaxVarsGradient(g, xb, 0.25, 3);
    expect(tf.memory().numTensors).toBe(before + 6);
    const e1 = refFakeQuantVarsGradient([1, -2, 3, 4], [-5, 0, 1, 9], -2, 3);
    const e2 = refFakeQuantVarsGradient([1, -2, 3, 4], [1, 0, 1, 1], 0.25, 3);
    for (const [r, e] of [[r1, e1], [r2, e2]] as const) {
      expect(r.backpropsWrtInput.dtype).toBe('float32');
      expectSameFloats(r.backpropsWrtInput.dataSync(), e.backpropsWrtInput);
      expect(r.backpropWrtMin.dataSync()[0]).toBe(e.backpropWrtMin);
      expect(r.backpropWrtMax.dataSync()[0]).toBe(e.backpropWrtMax);
    }
    // Sanity of the reference itself on this input: -5 < nudgedMin, 9 > nudgedMax.
    expect(e1.backpropWrtMin).toBe(1);
    expect(e1.backpropWrtMax).toBe(4);
    tf.dispose([g, xi, xb, ...Object.values(r1), ...Object.values(r2)]);
  });
});

describe('missing / null arguments', () => {
  const forwardArgs: Array<[string, () => unknown[], RegExp]> = [
    ['inputs null', () => [null, -1, 1], /`inputs`/],
    ['inputs undefined', () => [undefined, -1, 1], /`inputs`/],
    ['min null', () => [x, null, 1], /`min`/],
    ['min missing', () => [x], /`min`/],
    ['max null', () => [x, -1, null], /`max`/],
    ['max missing', () => [x, -1], /`max`/],
    ['max null with TensorLike inputs', () => [X, -1, null], /`max`/],
  ];
  for (const [label, args, pattern] of forwardArgs) {
    it(`forward: ${label}`, () => {
      expectThrowsNoLeak(() => fq(...args()), pattern, /required/);
    });
  }
  const gradArgs: Array<[string, () => unknown[], RegExp]> = [
    ['gradients null', () => [null, x, -1, 1], /`gradients`/],
    ['inputs null', () => [dy, null, -1, 1], /`inputs`/],
    ['inputs missing', () => [dy], /`inputs`/],
    ['min undefined', () => [dy, x, undefined, 1], /`min`/],
    ['max null', () => [dy, x, -1, null], /`max`/],
    ['max null with TensorLike gradients/inputs', () => [[1, 2], [3, 4], -1, null], /`max`/],
  ];
  for (const [label, args, pattern] of gradArgs) {
    it(`gradient: ${label}`, () => {
      expectThrowsNoLeak(() => fqGrad(...args()), pattern, /required/);
    });
  }
});

describe('odd ranges are accepted (TF has no min < max check for Vars)', () => {
  const vals = [-3, -1.25, -0.5, -0, 0, 0.4, 0.5, 1, 2.75, NaN, Infinity, -Infinity];
  const ranges: Array<[string, number, number]> = [
    ['min > max', 1, -1],
    ['min > max, both positive', 3, 0.5],
    ['min == max != 0 (positive)', 0.5, 0.5],
    ['min == max != 0 (negative)', -2, -2],
    ['min == max == 0', 0, 0],
    ['min == -0, max == 0', -0, 0],
  ];
  for (const [label, min, max] of ranges) {
    for (const narrowRange of [false, true]) {
      it(`${label}, narrowRange=${narrowRange}: forward and gradient match the reference`, () => {
        const xt = tf.tensor1d(vals);
        const g = tf.tensor1d(vals.map((_, i) => (i % 2 ? -(i + 1) : i + 1)));
        const before = tf.memory().numTensors;
        const y = fakeQuantWithMinMaxVars(xt, min, max, 8, narrowRange);
        const r = fakeQuantWithMinMaxVarsGradient(g, xt, min, max, 8, narrowRange);
        expect(tf.memory().numTensors).toBe(before + 4);
        expectSameFloats(y.dataSync(), refFakeQuantVars(vals, min, max, 8, narrowRange));
        const e = refFakeQuantVarsGradient(g.dataSync(), vals, min, max, 8, narrowRange);
        expectSameFloats(r.backpropsWrtInput.dataSync(), e.backpropsWrtInput);
        expectSameFloats(r.backpropWrtMin.dataSync(), [e.backpropWrtMin]);
        expectSameFloats(r.backpropWrtMax.dataSync(), [e.backpropWrtMax]);
        tf.dispose([xt, g, y, r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax]);
        expect(tf.memory().numTensors).toBe(before - 2);
      });
    }
  }

  it('min == max != 0 gives NaN for finite inputs (semantics doc §6)', () => {
    const y = fakeQuantWithMinMaxVars([-1, 0, 0.5, 2], 0.5, 0.5);
    for (const v of Array.from(y.dataSync())) expect(v).toBeNaN();
    tf.dispose(y);
  });
  it('min > max gives quantize(nudgedMin) everywhere (semantics doc §6)', () => {
    const vals2 = [-5, -1, 0, 1, 5];
    const y = fakeQuantWithMinMaxVars(vals2, 1, -1);
    const expected = refFakeQuantVars([vals2[0]], 1, -1)[0];
    for (const v of Array.from(y.dataSync())) expect(Object.is(v, expected)).toBe(true);
    tf.dispose(y);
  });
});

describe('successful calls leave only their outputs', () => {
  it('forward with Tensor args', () => {
    const min = tf.scalar(-1);
    const max = tf.scalar(1);
    const before = tf.memory().numTensors;
    const y = fakeQuantWithMinMaxVars(x, min, max);
    expect(tf.memory().numTensors).toBe(before + 1);
    expectSameFloats(y.dataSync(), refFakeQuantVars(X, -1, 1));
    tf.dispose(y);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([min, max]);
  });
  it('forward with number / TensorLike args', () => {
    const before = tf.memory().numTensors;
    const y = fakeQuantWithMinMaxVars(X, -1, 1);
    expect(tf.memory().numTensors).toBe(before + 1);
    expectSameFloats(y.dataSync(), refFakeQuantVars(X, -1, 1));
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
  it('gradient op', () => {
    const before = tf.memory().numTensors;
    const r = fakeQuantWithMinMaxVarsGradient(dy, x, -1, 1);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax]);
    expect(tf.memory().numTensors).toBe(before);
    const r2 = fakeQuantWithMinMaxVarsGradient(X.map(() => 1), X, -1, 1);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([r2.backpropsWrtInput, r2.backpropWrtMin, r2.backpropWrtMax]);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('tf.grads through the forward op', () => {
    const min = tf.scalar(-1);
    const max = tf.scalar(1);
    const before = tf.memory().numTensors;
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        fakeQuantWithMinMaxVars(a, b as tf.Scalar, c as tf.Scalar));
    const gs = grads([x, min, max], dy);
    expect(tf.memory().numTensors).toBe(before + 3);
    const e = refFakeQuantVarsGradient(dy.dataSync(), X, -1, 1);
    expectSameFloats(gs[0].dataSync(), e.backpropsWrtInput);
    expect(gs[1].dataSync()[0]).toBe(e.backpropWrtMin);
    expect(gs[2].dataSync()[0]).toBe(e.backpropWrtMax);
    tf.dispose(gs);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([min, max]);
  });
  it('tf.valueAndGrads with int32 inputs (the cast is differentiated away)', () => {
    const xi = tf.tensor1d([-3, 0, 1, 4], 'int32');
    const min = tf.scalar(-1);
    const max = tf.scalar(2);
    const before = tf.memory().numTensors;
    const {value, grads} = tf.valueAndGrads((b: tf.Tensor, c: tf.Tensor) =>
        fakeQuantWithMinMaxVars(xi, b as tf.Scalar, c as tf.Scalar).sum())([min, max]);
    expect(tf.memory().numTensors).toBe(before + 3);
    const e = refFakeQuantVarsGradient([1, 1, 1, 1], [-3, 0, 1, 4], -1, 2);
    expect(grads[0].dataSync()[0]).toBe(e.backpropWrtMin);
    expect(grads[1].dataSync()[0]).toBe(e.backpropWrtMax);
    expect(e.backpropWrtMin).toBe(1);
    expect(e.backpropWrtMax).toBe(1);
    tf.dispose([value, ...grads, xi, min, max]);
  });
  it('tf.tidy around many calls leaves nothing', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      for (let i = 0; i < 5; i++) {
        fakeQuantWithMinMaxVars(X, -i - 1, i + 1, 2 + i);
        fakeQuantWithMinMaxVarsGradient(X, X, -i - 1, i + 1);
      }
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
