/**
 * The CPU math of src/quant that the op-level suites reach only in part: TF's std::round on
 * negative values (used for bias quantization in the exporters), and the forward loops writing
 * into memory that is not zeroed (the wasm kernels pass the backend's heap as `out`).
 */
import {fakeQuantForwardImpl} from '../../src/quant/fake_quant_impl';
import {roundHalfAwayFromZero} from '../../src/quant/nudge';
import {refFakeQuantPerChannel} from '../shared/reference';
import {firstMismatch} from '../shared/compare';

describe('roundHalfAwayFromZero is C\'s round()', () => {
  // C11 7.12.9.6: halfway cases away from zero, negative results keep their sign. (round(-0) is
  // +0 here, -0 in C: no caller can tell, zero points and integer biases are the same.)
  const cases: Array<[number, number]> = [
    [2.5, 3], [-2.5, -3], [-1.5, -2], [-1.4999999, -1], [-0.5, -1], [0.49999997, 0],
    [-0.49999997, -0], [0, 0], [-7, -7], [-1e9 - 0.5, -1e9 - 1], [1e9 + 0.5, 1e9 + 1],
  ];
  it.each(cases)('round(%p) = %p', (v, expected) => {
    expect(Object.is(roundHalfAwayFromZero(v), expected)).toBe(true);
  });
});

describe('fakeQuantForwardImpl writes every element of `out`', () => {
  it('zero-range channels too, over whatever `out` held', () => {
    const x = [1.3, -2, 0.25, 7, -0, 0.5];
    const mins = [0, -1];
    const maxs = [0, 1];
    const out = new Float32Array(x.length).fill(NaN);
    const y = fakeQuantForwardImpl(x, mins, maxs, {numBits: 8, narrowRange: false}, 'multiply', out);
    expect(y).toBe(out);
    expect(firstMismatch(y, refFakeQuantPerChannel(x, mins, maxs), true)).toBeNull();
  });
});
