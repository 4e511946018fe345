/**
 * FakeQuantWithMinMaxArgs / ...ArgsGradient / ...VarsPerChannel / ...VarsPerChannelGradient on the
 * webgl backend (WebGL2 on SwiftShader, WEBGL_PACK true and false), as webgl_vars.spec.ts does for
 * the Vars ops:
 *   - TensorFlow's C++ kernel tests, the XLA parameter sets and doc cases: forward within TF's
 *     tolerance (exact for the atol = rtol = 0 tests) AND equal to the float32 reference;
 *     gradients exactly;
 *   - random shapes, per-channel ranges, bit widths, narrowRange, NaN / +-Inf inputs and gradients:
 *     forward and input gradients equal to the reference, min/max gradient sums as the reference's
 *     terms added in another order (sumsClose)
 *     (a GPU reduction adds in another order);
 *   - under WEBGL_PACK, x and dy packed (as training hands them over), read without unpacking;
 *   - program counts with no read-back (forward 2 programs, PerChannel gradient 4 and Args
 *     gradient 2 at 1e6 elements), and memory back to its baseline.
 */
import * as fc from 'fast-check';

import {fakeQuantWithMinMaxArgs, fakeQuantWithMinMaxArgsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {setWindowLengthForTests} from '../../src/kernels/webgl/fake_quant_grad_gpu';
import {firstMismatch, sumsMismatch} from '../shared/compare';
import {type Problem, refFakeQuantArgs, refFakeQuantArgsGradient, refFakeQuantPerChannel, refFakeQuantPerChannelGradient, refNudge, refRangeGradientTerms} from '../shared/reference';
import {DOC_CASES, TF_FORWARD_CASES, TF_GRADIENT_CASES, XLA_CASES} from '../shared/tf_cases';
import {countGpuWork, inputTensor, makeData, tf, useWebGL} from './webgl_setup';
import {mulberry32} from '../shared/random';
import {normalFloat, orderedRangeArb} from '../shared/arbitraries';

const f32 = Math.fround;

// ---------------------------------------------------------------------------------------------
// Problems and runners
// ---------------------------------------------------------------------------------------------

/** Under WEBGL_PACK, x and dy come packed (see inputTensor): the kernels read them packed. */
let packedInputs = false;

function input(values: Float32Array, shape: number[]): tf.Tensor {
  return inputTensor(values, shape, packedInputs);
}

function runPerChannel(p: Problem): Float32Array {
  return tf.tidy(() => {
    const y = fakeQuantWithMinMaxVarsPerChannel(
        input(p.x, p.shape), tf.tensor1d(p.mins), tf.tensor1d(p.maxs), p.numBits,
        p.narrowRange);
    expect(y.shape).toEqual(p.shape);
    return y.dataSync() as Float32Array;
  });
}

function runPerChannelGradient(p: Problem) {
  return tf.tidy(() => {
    const r = fakeQuantWithMinMaxVarsPerChannelGradient(
        input(p.dy, p.shape), input(p.x, p.shape), tf.tensor1d(p.mins),
        tf.tensor1d(p.maxs), p.numBits, p.narrowRange);
    return {
      dx: r.backpropsWrtInput.dataSync() as Float32Array,
      dMin: r.backpropWrtMin.dataSync() as Float32Array,
      dMax: r.backpropWrtMax.dataSync() as Float32Array,
      shapes: [r.backpropsWrtInput.shape, r.backpropWrtMin.shape, r.backpropWrtMax.shape],
    };
  });
}

function runArgs(p: Problem): Float32Array {
  return tf.tidy(() => {
    const y = fakeQuantWithMinMaxArgs(
        input(p.x, p.shape), p.mins[0], p.maxs[0], p.numBits, p.narrowRange);
    expect(y.shape).toEqual(p.shape);
    return y.dataSync() as Float32Array;
  });
}

function runArgsGradient(p: Problem): Float32Array {
  return tf.tidy(() => {
    const r = fakeQuantWithMinMaxArgsGradient(
        input(p.dy, p.shape), input(p.x, p.shape), p.mins[0], p.maxs[0], p.numBits,
        p.narrowRange);
    expect(r.shape).toEqual(p.shape);
    return r.dataSync() as Float32Array;
  });
}

/**
 * null when `actual` equals the reference forward output; otherwise the first difference with the
 * numbers needed to tell whether the reference sits on a rounding tie: the float32 value TF floors,
 * t = f(f(f(shifted * invScale) - quantZero) + 0.5), is an integer exactly at a tie.
 */
function forwardReport(actual: Float32Array, expected: Float32Array, p: Problem): string|null {
  const mismatch = firstMismatch(actual, expected);
  if (mismatch == null) return null;
  const i = Number(/element (\d+)/.exec(mismatch)?.[1] ?? -1);
  if (i < 0) return mismatch;
  const c = i % p.mins.length;
  const n = refNudge(p.mins[c], p.maxs[c], p.numBits, p.narrowRange);
  const xi = p.x[i];
  const clamped = Math.max(Math.min(xi, n.nudgedMax), n.nudgedMin);
  const shifted = f32(clamped - n.nudgedMin);
  const product = f32(shifted * n.invScale);
  const t = f32(f32(product - n.quantZero) + 0.5);
  const steps = (actual[i] - expected[i]) / n.scale;
  return `${mismatch}: x = ${xi} (channel ${c}, range [${p.mins[c]}, ${p.maxs[c]}], ` +
         `numBits ${p.numBits}, narrow ${p.narrowRange}); nudged [${n.nudgedMin}, ${n.nudgedMax}], ` +
         `scale ${n.scale}, invScale ${n.invScale}, quantZero ${n.quantZero}; shifted ${shifted}, ` +
         `shifted*invScale ${product}, t ${t} (${Number.isInteger(t) ? 'ON A TIE' : 'not a tie'}); ` +
         `difference ${steps} steps`;
}

function expectPerChannelMatchesReference(p: Problem): void {
  const forward = runPerChannel(p);
  const report = forwardReport(
      forward, refFakeQuantPerChannel(p.x, p.mins, p.maxs, p.numBits, p.narrowRange), p);
  expect(report).withContext('PerChannel forward').toBeNull();
  const grad = runPerChannelGradient(p);
  const ref = refFakeQuantPerChannelGradient(p.dy, p.x, p.mins, p.maxs, p.numBits, p.narrowRange);
  expect(firstMismatch(grad.dx, ref.backpropsWrtInput)).withContext('PerChannel dx').toBeNull();
  const terms = refRangeGradientTerms(p.dy, p.x, p.mins, p.maxs, p.numBits, p.narrowRange);
  expect(sumsMismatch(grad.dMin, ref.backpropWrtMin, terms.below)).withContext('PerChannel dMin').toBeNull();
  expect(sumsMismatch(grad.dMax, ref.backpropWrtMax, terms.above)).withContext('PerChannel dMax').toBeNull();
  expect(grad.shapes).toEqual([p.shape, [p.mins.length], [p.maxs.length]]);
}

function expectArgsMatchesReference(p: Problem): void {
  const forward = runArgs(p);
  const report = forwardReport(
      forward, refFakeQuantArgs(p.x, p.mins[0], p.maxs[0], p.numBits, p.narrowRange), p);
  expect(report).withContext('Args forward').toBeNull();
  const dx = runArgsGradient(p);
  expect(firstMismatch(
             dx, refFakeQuantArgsGradient(p.dy, p.x, p.mins[0], p.maxs[0], p.numBits, p.narrowRange)))
      .withContext('Args dx')
      .toBeNull();
}


/** Ordered ranges (min < max in float32) with normal ends. */
const orderedNormalRangeArb: fc.Arbitrary<[number, number]> = orderedRangeArb
    .map(([a, b]) => [normalFloat(a), normalFloat(b)] as [number, number])
    .filter(([a, b]) => f32(a) < f32(b));

/** Per-channel ranges: ordered ones, min == max == 0 (either zero sign), and min > max. */
const channelRangeArb: fc.Arbitrary<[number, number]> = fc.oneof(
    {weight: 8, arbitrary: orderedNormalRangeArb},
    {weight: 2, arbitrary: fc.constantFrom<[number, number]>([0, 0], [-0, 0], [0, -0])},
    {weight: 1, arbitrary: orderedNormalRangeArb.map(([a, b]) => [b, a] as [number, number])});

const perChannelArb: fc.Arbitrary<Problem> =
    fc.record({
        rank: fc.integer({min: 1, max: 5}),
        channels: fc.integer({min: 1, max: 8}),
        numBits: fc.integer({min: 2, max: 16}),
        narrowRange: fc.boolean(),
        seed: fc.integer(),
      })
        .chain(b => fc.record({
          leading: fc.array(fc.integer({min: 1, max: b.rank === 2 ? 40 : 5}),
                            {minLength: b.rank - 1, maxLength: b.rank - 1}),
          ranges: fc.array(channelRangeArb, {minLength: b.channels, maxLength: b.channels}),
        }).map(({leading, ranges}) => {
          const shape = [...leading, b.channels];
          const {x, dy} = makeData(shape, ranges, b.numBits, b.narrowRange, b.seed);
          return {
            shape, x, dy, mins: ranges.map(r => r[0]), maxs: ranges.map(r => r[1]),
            numBits: b.numBits, narrowRange: b.narrowRange,
          };
        }));

const argsArb: fc.Arbitrary<Problem> =
    fc.record({
        range: orderedNormalRangeArb,
        numBits: fc.integer({min: 2, max: 16}),
        narrowRange: fc.boolean(),
        shape: fc.array(fc.integer({min: 1, max: 7}), {minLength: 0, maxLength: 4}),
        seed: fc.integer(),
      }).map(({range, numBits, narrowRange, shape, seed}) => {
        const {x, dy} = makeData(shape, [range], numBits, narrowRange, seed);
        return {shape, x, dy, mins: [range[0]], maxs: [range[1]], numBits, narrowRange};
      });

// ---------------------------------------------------------------------------------------------
// TensorFlow's cases
// ---------------------------------------------------------------------------------------------

const tfTol = (e: number) => 5 * 2 ** -23 * (1 + Math.abs(e));

function toProblem(c: {shape: number[]; inputs: number[]; min: number|number[]; max: number|number[];
                       numBits: number; narrowRange: boolean}, gradients?: number[]): Problem {
  return {
    shape: c.shape, x: new Float32Array(c.inputs),
    dy: gradients != null ? new Float32Array(gradients) : new Float32Array(c.inputs.length),
    mins: typeof c.min === 'number' ? [c.min] : c.min,
    maxs: typeof c.max === 'number' ? [c.max] : c.max,
    numBits: c.numBits, narrowRange: c.narrowRange,
  };
}

function expectTfForwardCases(op: 'Args'|'PerChannel'): void {
  const cases = [...TF_FORWARD_CASES, ...DOC_CASES].filter(c => c.op === op);
  expect(cases.length).toBeGreaterThanOrEqual(op === 'Args' ? 24 : 27);
  for (const c of cases) {
    const p = toProblem(c);
    const out = op === 'Args' ? runArgs(p) : runPerChannel(p);
    c.expected.forEach((e, i) => expect(Math.abs(out[i] - e)).withContext(`${c.name}[${i}]`)
                                     .toBeLessThanOrEqual(c.exact ? 0 : tfTol(e)));
    const ref = op === 'Args' ?
        refFakeQuantArgs(p.x, p.mins[0], p.maxs[0], p.numBits, p.narrowRange) :
        refFakeQuantPerChannel(p.x, p.mins, p.maxs, p.numBits, p.narrowRange);
    expect(forwardReport(out, ref, p)).withContext(`${c.name} vs reference`).toBeNull();
  }
}

function expectTfGradientCases(op: 'Args'|'PerChannel'): void {
  const cases = TF_GRADIENT_CASES.filter(c => c.op === op);
  expect(cases.length).toBe(op === 'Args' ? 4 : 25);
  for (const c of cases) {
    const p = toProblem(c, c.gradients);
    if (op === 'Args') {
      expect(Array.from(runArgsGradient(p))).withContext(c.name).toEqual(c.expectedBackprops);
    } else {
      const g = runPerChannelGradient(p);
      expect(Array.from(g.dx)).withContext(c.name).toEqual(c.expectedBackprops);
      expect(Array.from(g.dMin)).withContext(c.name).toEqual(c.expectedWrtMin as number[]);
      expect(Array.from(g.dMax)).withContext(c.name).toEqual(c.expectedWrtMax as number[]);
    }
  }
}

function expectXlaArgsCases(): void {
  for (const c of XLA_CASES) {
    const p: Problem = {
      shape: [c.inputs.length], x: new Float32Array(c.inputs), dy: new Float32Array(c.gradients),
      mins: [c.min], maxs: [c.max], numBits: c.numBits, narrowRange: c.narrowRange,
    };
    const out = runArgs(p);
    c.expected.forEach((e, i) => expect(Math.abs(out[i] - e)).withContext(`${c.name}[${i}]`)
                                     .toBeLessThanOrEqual(c.atol + c.rtol * Math.abs(e)));
    expect(forwardReport(out, refFakeQuantArgs(p.x, c.min, c.max, c.numBits, c.narrowRange), p))
        .withContext(c.name).toBeNull();
    expect(Array.from(runArgsGradient(p))).withContext(c.name).toEqual(c.expectedBackprops);
  }
}

// ---------------------------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------------------------

for (const pack of [true, false]) {
  describe(`webgl2 FakeQuantWithMinMaxArgs / ...VarsPerChannel (WEBGL_PACK ${pack})`, () => {
    beforeAll(async () => {
      await useWebGL({WEBGL_PACK: pack});
      packedInputs = pack;
    });
    afterAll(() => {
      packedInputs = false;
    });

    it('runs on WebGL2 with float32 render targets', () => {
      expect(tf.getBackend()).toBe('webgl');
      expect(tf.env().getNumber('WEBGL_VERSION')).toBe(2);
      expect(tf.env().getBool('WEBGL_PACK')).toBe(pack);
      expect(tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')).toBeTrue();
    });

    it('reproduces TensorFlow\'s C++ tests for Args and ArgsGradient (and doc cases)', () => {
      expectTfForwardCases('Args');
      expectTfGradientCases('Args');
    });

    it('reproduces TensorFlow\'s C++ tests for PerChannel and PerChannelGradient', () => {
      expectTfForwardCases('PerChannel');
      expectTfGradientCases('PerChannel');
    });

    it('reproduces the XLA parameter sets for Args and ArgsGradient', expectXlaArgsCases);

    it('PerChannel matches the float32 reference on random ranks, channels, ranges, bits', () => {
      fc.assert(fc.property(perChannelArb, p => expectPerChannelMatchesReference(p)), {numRuns: 40});
    });

    it('Args matches the float32 reference on random shapes, ranges and bit widths', () => {
      fc.assert(fc.property(argsArb, p => expectArgsMatchesReference(p)), {numRuns: 40});
    });

    it('every quantization tie and level of several ranges, bit widths 2..16', () => {
      const ranges: Array<[number, number]> = [[-1, 1], [-0.75, 0.75], [-0.5, 2.5], [-25, 20],
                                                [0.3, 7.1], [-6.6, -0.4], [-1e-3, 3e-3]];
      for (let numBits = 2; numBits <= 16; numBits++) {
        for (const narrowRange of [false, true]) {
          const steps = (2 ** numBits - 1) - (narrowRange ? 1 : 0);
          // Every level at <= 12 bits; a strided subset of the levels above.
          const stride = Math.max(1, Math.floor((steps + 1) / 4096));
          const ks: number[] = [];
          for (let k = 0; k <= steps; k += stride) ks.push(k);
          if (ks[ks.length - 1] !== steps) ks.push(steps);
          const d = ranges.length;
          const x = new Float32Array(4 * ks.length * d);
          ranges.forEach(([min, max], c) => {
            const n = refNudge(min, max, numBits, narrowRange);
            ks.forEach((k, j) => {
              const tie = f32(n.nudgedMin + (k + 0.5) * n.scale);
              const next = new Float32Array([tie, tie, tie]);
              new Uint32Array(next.buffer)[0] -= 1;  // tie's neighbours (all ties are > 0 apart)
              new Uint32Array(next.buffer)[2] += 1;
              const vals = [tie, f32(n.nudgedMin + k * n.scale), next[0], next[2]];
              vals.forEach((v, m) => x[(4 * j + m) * d + c] = v);
            });
          });
          const p: Problem = {
            shape: [4 * ks.length, d], x, dy: new Float32Array(x.length).fill(1),
            mins: ranges.map(r => r[0]), maxs: ranges.map(r => r[1]), numBits, narrowRange,
          };
          const label = `numBits ${numBits} narrow ${narrowRange}`;
          expect(forwardReport(runPerChannel(p), refFakeQuantPerChannel(
                                   x, p.mins, p.maxs, numBits, narrowRange), p))
              .withContext(`PerChannel ${label}`).toBeNull();
          const c0 = {...p, shape: [x.length / d], x: x.filter((_, i) => i % d === 0),
                      mins: [p.mins[0]], maxs: [p.maxs[0]]};
          expect(forwardReport(runArgs(c0), refFakeQuantArgs(
                                   c0.x, c0.mins[0], c0.maxs[0], numBits, narrowRange), c0))
              .withContext(`Args ${label}`).toBeNull();
        }
      }
    });

    it('handles tensors larger than one texture row, and ranks 5 and 6', () => {
      const rand = mulberry32(7);
      for (const shape of [[70000, 3], [3, 2, 1, 2, 5], [2, 3, 1, 2, 3, 7]]) {
        const size = shape.reduce((a, b) => a * b, 1);
        const d = shape[shape.length - 1];
        const x = Float32Array.from({length: size}, () => rand() * 8 - 4);
        const dy = Float32Array.from({length: size}, () => rand() - 0.5);
        const mins = Array.from({length: d}, (_, c) => c % 3 === 2 ? 0 : -2.5 + c * 0.1);
        const maxs = Array.from({length: d}, (_, c) => c % 3 === 2 ? 0 : 3.1 - c * 0.2);
        expectPerChannelMatchesReference({shape, x, dy, mins, maxs, numBits: 8, narrowRange: false});
        expectArgsMatchesReference(
            {shape, x, dy, mins: [-2.5], maxs: [3.1], numBits: 8, narrowRange: false});
      }
    });
  });
}

/** As in webgl_vars.spec.ts: windows of 2 rows give small inputs hundreds of windows. */
describe('webgl PerChannel range sums over hundreds of windows', () => {
  beforeAll(async () => {
    await useWebGL();
    setWindowLengthForTests(2);
  });
  afterAll(() => {
    setWindowLengthForTests(null);
    packedInputs = false;
  });

  for (const pack of [false, true]) {
    it(`${pack ? 'packed' : 'unpacked'} inputs: integer gradients exactly, random problems`, () => {
      packedInputs = pack;
      for (const [i, shape] of [[301, 3], [2, 150, 5], [250, 1]].entries()) {
        const ranges = Array.from({length: shape[shape.length - 1]},
                                  (_, c): [number, number] => [-1.5 + c * 0.25, 2 - c * 0.5]);
        const {x, dy} = makeData(shape, ranges, 8, false, 40 + i, 'integers');
        expectPerChannelMatchesReference({shape, x, dy, mins: ranges.map(r => r[0]),
                                          maxs: ranges.map(r => r[1]), numBits: 8, narrowRange: false});
      }
      fc.assert(fc.property(perChannelArb, p => expectPerChannelMatchesReference(p)), {numRuns: 20});
    });
  }
});

describe('webgl Args / PerChannel passes, reads and memory', () => {
  beforeAll(async () => useWebGL());

  for (const [shape, label] of [[[1000, 1000], '1000 channels'], [[250000, 4], '4 channels']] as
       Array<[number[], string]>) {
    it(`PerChannel at 1e6 elements (${label}): 2 forward and 4 gradient programs, no reads`,
       () => {
         const channels = shape[1];
         const x = tf.randomUniform(shape, -3, 3);
         const dy = tf.floor(tf.randomUniform(shape, -4, 5));  // integers: exact sums in any order
         const minValues = Array.from({length: channels}, (_, c) => c % 7 === 3 ? 0 : -1.5 + (c % 5) * 0.25);
         const maxValues = Array.from({length: channels}, (_, c) => c % 7 === 3 ? 0 : 2 - (c % 3) * 0.5);
         const min = tf.variable(tf.tensor1d(minValues));
         const max = tf.variable(tf.tensor1d(maxValues));
         // Uploading CPU data runs an encode program: count after the first (uploading) call.
         const warmUp = fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, min, max);
         tf.dispose([fakeQuantWithMinMaxVarsPerChannel(x, min, max), ...Object.values(warmUp)]);
         const forward = countGpuWork(() => fakeQuantWithMinMaxVarsPerChannel(x, min, max));
         const gradient = countGpuWork(() => fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, min, max));
         expect(forward.reads).toBe(0);
         expect(gradient.reads).toBe(0);
         expect(forward.programs).toBe(2);  // nudge, quantize
         expect(gradient.programs).toBe(4);  // nudge, input gradient, partial sums, totals

         const xs = x.dataSync() as Float32Array;
         const dys = dy.dataSync() as Float32Array;
         const p: Problem = {shape, x: xs, dy: dys, mins: minValues, maxs: maxValues, numBits: 8,
                             narrowRange: false};
         expect(forwardReport(forward.result.dataSync() as Float32Array,
                              refFakeQuantPerChannel(xs, minValues, maxValues), p))
             .toBeNull();
         const r = gradient.result;
         const ref = refFakeQuantPerChannelGradient(dys, xs, minValues, maxValues);
         expect(firstMismatch(r.backpropsWrtInput.dataSync(), ref.backpropsWrtInput)).toBeNull();
         const dMin = r.backpropWrtMin.dataSync();
         const dMax = r.backpropWrtMax.dataSync();
         const terms = refRangeGradientTerms(dys, xs, minValues, maxValues);
         expect(sumsMismatch(dMin, ref.backpropWrtMin, terms.below)).toBeNull();
         expect(sumsMismatch(dMax, ref.backpropWrtMax, terms.above)).toBeNull();
         // Not vacuous: most channels have non-zero range gradients.
         expect(Array.from(ref.backpropWrtMin).filter(v => v !== 0).length).toBeGreaterThan(channels / 2);
         tf.dispose([x, dy, min, max, forward.result, r.backpropsWrtInput, r.backpropWrtMin,
                     r.backpropWrtMax]);
       });
  }

  it('Args at 1e6 elements: 2 forward and 2 gradient programs, no reads', () => {
    const x = tf.randomUniform([1000, 1000], -3, 3);
    const dy = tf.randomUniform([1000, 1000], -1, 1);
    tf.dispose([fakeQuantWithMinMaxArgs(x, -1.5, 2), fakeQuantWithMinMaxArgsGradient(dy, x, -1.5, 2)]);
    const forward = countGpuWork(() => fakeQuantWithMinMaxArgs(x, -1.5, 2, 6, true));
    const gradient = countGpuWork(() => fakeQuantWithMinMaxArgsGradient(dy, x, -1.5, 2, 6, true));
    expect(forward.reads).toBe(0);
    expect(gradient.reads).toBe(0);
    expect(forward.programs).toBe(2);   // nudge, quantize
    expect(gradient.programs).toBe(2);  // nudge, input gradient
    const xs = x.dataSync() as Float32Array;
    const p: Problem = {shape: [1000, 1000], x: xs, dy: new Float32Array(0), mins: [-1.5],
                        maxs: [2], numBits: 6, narrowRange: true};
    expect(forwardReport(forward.result.dataSync() as Float32Array,
                         refFakeQuantArgs(xs, -1.5, 2, 6, true), p))
        .toBeNull();
    expect(firstMismatch(gradient.result.dataSync(),
                         refFakeQuantArgsGradient(dy.dataSync(), xs, -1.5, 2, 6, true)))
        .toBeNull();
    tf.dispose([x, dy, forward.result, gradient.result]);
  });

  it('tf.grads through PerChannel and tf.grad through Args give the gradient ops\' numbers', () => {
    const rand = mulberry32(21);
    const shape = [64, 5];
    const x = Float32Array.from({length: 320}, () => rand() * 8 - 4);
    const w = Float32Array.from({length: 320}, () => Math.floor(rand() * 9) - 4);
    const mins = [-1, 0, 0.5, -3, -2];
    const maxs = [1, 0, 2.5, -1, 2];
    const xt = tf.tensor(x, shape);
    const wt = tf.tensor(w, shape);
    const mint = tf.tensor1d(mins);
    const maxt = tf.tensor1d(maxs);
    const [gx, gmin, gmax] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.mul(fakeQuantWithMinMaxVarsPerChannel(a, b as tf.Tensor1D, c as tf.Tensor1D, 5), wt)
            .sum())([xt, mint, maxt]);
    const ref = refFakeQuantPerChannelGradient(w, x, mins, maxs, 5);
    expect(firstMismatch(gx.dataSync(), ref.backpropsWrtInput)).toBeNull();
    // Small-integer weights: every sum is exact in any order.
    expect(Array.from(gmin.dataSync())).toEqual(Array.from(ref.backpropWrtMin));
    expect(Array.from(gmax.dataSync())).toEqual(Array.from(ref.backpropWrtMax));
    const ga = tf.grad((a: tf.Tensor) =>
        tf.mul(fakeQuantWithMinMaxArgs(a, -0.5, 2.5, 4, true), wt).sum())(xt);
    expect(firstMismatch(ga.dataSync(), refFakeQuantArgsGradient(w, x, -0.5, 2.5, 4, true)))
        .toBeNull();
    tf.dispose([xt, wt, mint, maxt, gx, gmin, gmax, ga]);
  });

  it('gives the same results through tfjs\'s small-tensor CPU forwarding', async () => {
    await useWebGL({WEBGL_CPU_FORWARD: true});
    const x = new Float32Array([-1.2, -1, -0.5, 0, 0.3, 0.99, 1, 1.7]);
    const dy = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expectPerChannelMatchesReference(
        {shape: [4, 2], x, dy, mins: [-1, 0], maxs: [1, 0], numBits: 8, narrowRange: false});
    expectArgsMatchesReference(
        {shape: [8], x, dy, mins: [-1], maxs: [1], numBits: 8, narrowRange: false});
    await useWebGL();
  });

  it('returns tf.memory() to its baseline after calls and over training steps', () => {
    const x = tf.randomUniform([256, 4], -3, 3);
    const dy = tf.randomUniform([256, 4], -1, 1);
    const calls = () => {
      const y1 = fakeQuantWithMinMaxArgs(x, -1, 1);
      const y2 = fakeQuantWithMinMaxArgsGradient(dy, x, -1, 1);
      const y3 = fakeQuantWithMinMaxVarsPerChannel(x, [-1, 0, -2, 0.5], [1, 0, 2, 3]);
      const y4 = fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, [-1, 0, -2, 0.5], [1, 0, 2, 3]);
      tf.dispose([y1, y2, y3, ...Object.values(y4)]);
    };
    calls();  // uploads x and dy to the GPU (their textures then stay)
    const base = tf.memory() as tf.MemoryInfo & {numBytesInGPU: number};
    for (let i = 0; i < 3; i++) calls();
    const afterCalls = tf.memory() as tf.MemoryInfo & {numBytesInGPU: number};
    expect(afterCalls.numTensors).toBe(base.numTensors);
    expect(afterCalls.numBytesInGPU).toBe(base.numBytesInGPU);

    const min = tf.tidy(() => tf.variable(tf.tensor1d([-0.1, -0.1, -0.1, -0.1])));
    const max = tf.tidy(() => tf.variable(tf.tensor1d([0.1, 0.1, 0.1, 0.1])));
    const optimizer = tf.train.sgd(0.01);
    const step = () => optimizer.minimize(() => tf.losses.meanSquaredError(
        x, fakeQuantWithMinMaxArgs(fakeQuantWithMinMaxVarsPerChannel(x, min, max), -4, 4)) as tf.Scalar);
    step();  // optimizer state and shader compilation
    const before = tf.memory() as tf.MemoryInfo & {numBytesInGPU: number};
    for (let i = 0; i < 2000; i++) step();
    const after = tf.memory() as tf.MemoryInfo & {numBytesInGPU: number};
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytesInGPU).toBe(before.numBytesInGPU);
    // The straight-through estimator widened every channel's range.
    Array.from(min.dataSync()).forEach(v => expect(v).toBeLessThan(-0.1));
    Array.from(max.dataSync()).forEach(v => expect(v).toBeGreaterThan(0.1));
    tf.dispose([min, max, x, dy]);
    optimizer.dispose();
    const end = tf.memory() as tf.MemoryInfo & {numBytesInGPU: number};
    expect(end.numTensors).toBe(base.numTensors - 2);
  });
});
