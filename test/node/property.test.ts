/**
 * Property tests: the cpu kernels (through the public ops) against the independent float32
 * reference of TF's current kernels, BIT FOR BIT (per-element Object.is: -0 vs +0 counts, every NaN
 * equals every NaN), over random shapes (rank 0..5, up to a few thousand elements), ranges (sane,
 * min > 0, max < 0, 1e-6 wide, 1e30 scale, min == max == 0, min == max != 0, min > max, infinite
 * and NaN ends), all bit widths 2..16, narrowRange both ways, and inputs / upstream gradients full
 * of NaN, +-Inf, +-0, nudged bounds and their neighbours, exact levels and quantization ties.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';

import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient} from '../../src';
import {refFakeQuantVars, refFakeQuantVarsGradient, refNudge} from '../shared/reference';
import {mulberry32} from '../shared/random';
import {fromBits, mismatches, nextDown, nextUp, toBits} from '../shared/float32';
import {finiteFloat32, type KindedRange, properRangeKinds} from '../shared/arbitraries';

const f32 = Math.fround;

// ---------------------------------------------------------------------------------------------
// float32 helpers
// ---------------------------------------------------------------------------------------------



// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

type Range = KindedRange;

const rangeArb: fc.Arbitrary<Range> = fc.oneof(
    ...properRangeKinds,
    {weight: 1, arbitrary: fc.constantFrom<Range>(
                    {kind: 'huge fixed', min: -1e30, max: 1e30},
                    {kind: 'width overflows', min: -3e38, max: 3e38},
                    {kind: 'width overflows', min: -f32(3.4028234663852886e38), max: f32(3.4028234663852886e38)})},
    {weight: 2, arbitrary: fc.constantFrom<Range>(
                    {kind: 'zero', min: 0, max: 0}, {kind: 'zero', min: -0, max: 0},
                    {kind: 'zero', min: 0, max: -0}, {kind: 'zero', min: -0, max: -0})},
    {weight: 2, arbitrary: finiteFloat32(-1e6, 1e6).filter((v) => v !== 0)
                               .map((v) => ({kind: 'min == max != 0', min: v, max: v}))},
    {weight: 3, arbitrary: fc.tuple(finiteFloat32(-1e4, 1e4), finiteFloat32(-1e4, 1e4)).filter(([a, b]) => a !== b)
                               .map(([a, b]) => ({kind: 'min > max', min: Math.max(a, b), max: Math.min(a, b)}))},
    {weight: 2, arbitrary: fc.tuple(fc.float(), fc.float())
                               .map(([min, max]) => ({kind: 'any float32 (Inf, NaN)', min, max}))},
    {weight: 1, arbitrary: fc.constantFrom<Range>(
                    {kind: 'infinite', min: -Infinity, max: 1}, {kind: 'infinite', min: -1, max: Infinity},
                    {kind: 'infinite', min: -Infinity, max: Infinity}, {kind: 'nan', min: NaN, max: 1},
                    {kind: 'nan', min: -1, max: NaN}, {kind: 'doc', min: -1, max: 1},
                    {kind: 'doc', min: -0.75, max: 0.75}, {kind: 'doc', min: -0.5, max: 2.5},
                    {kind: 'doc', min: -10, max: 10}, {kind: 'doc', min: 12, max: 123})},
);

/** TF's zero point is undefined behaviour when min / scale is 0/0 (min == +-0, scale underflows). */
function zeroPointIsUndefined(r: Range, numBits: number, narrowRange: boolean): boolean {
  const min = f32(r.min);
  const max = f32(r.max);
  if (min === 0 && max === 0) return false;  // special-cased, Nudge is skipped
  const steps = (2 ** numBits - 1) - (narrowRange ? 1 : 0);
  const scale = f32(f32(max - min) / steps);
  return min === 0 && scale === 0;
}

const MAX_DIM_FOR_RANK = [1, 4000, 64, 16, 8, 5];
const shapeArb: fc.Arbitrary<number[]> = fc.integer({min: 0, max: 5}).chain((rank) =>
    fc.array(fc.oneof({weight: 24, arbitrary: fc.integer({min: 1, max: MAX_DIM_FOR_RANK[rank]})},
                      {weight: 1, arbitrary: fc.constant(0)}),
             {minLength: rank, maxLength: rank}));

interface Case {
  range: Range;
  numBits: number;
  narrowRange: boolean;
  shape: number[];
  seed: number;
  /** Fraction of elements drawn from the special values (bounds, ties, NaN, ...). */
  specialRate: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  range: rangeArb,
  numBits: fc.integer({min: 2, max: 16}),
  narrowRange: fc.boolean(),
  shape: shapeArb,
  seed: fc.integer({min: 0, max: 0x7fffffff}),
  specialRate: fc.constantFrom(0, 0.05, 0.3, 0.7, 1),
}).filter((c) => !zeroPointIsUndefined(c.range, c.numBits, c.narrowRange));

// ---------------------------------------------------------------------------------------------
// Value generation
// ---------------------------------------------------------------------------------------------

/** Inputs near the interesting points of the nudged range (computed by the reference's Nudge). */
function specialInputs(c: Case): number[] {
  const vals = [NaN, Infinity, -Infinity, 0, -0, f32(c.range.min), f32(c.range.max), 1, -1,
                fromBits(1), -fromBits(1), 3.4028234663852886e38, -3.4028234663852886e38];
  const n = refNudge(c.range.min, c.range.max, c.numBits, c.narrowRange);
  const steps = (2 ** c.numBits - 1) - (c.narrowRange ? 1 : 0);
  for (const b of [n.nudgedMin, n.nudgedMax, f32(c.range.min), f32(c.range.max)]) {
    if (!Number.isFinite(b)) continue;
    vals.push(b, nextUp(b), nextDown(b), nextUp(nextUp(b)), nextDown(nextDown(b)));
  }
  if (Number.isFinite(n.scale) && Number.isFinite(n.nudgedMin)) {
    const r = mulberry32(c.seed ^ 0x5bd1e995);
    const ks = [0, 1, steps - 1, steps, Math.floor(steps / 2), n.quantZero, n.quantZero - 1];
    for (let i = 0; i < 8; i++) ks.push(Math.floor(r() * (steps + 1)));
    for (const k of ks) {
      if (!Number.isFinite(k)) continue;
      // Ties: nudgedMin + (k + 0.5) scale, in float64 and in float32 arithmetic, and neighbours.
      const tie64 = f32(n.nudgedMin + (k + 0.5) * n.scale);
      const tie32 = f32(n.nudgedMin + f32((k + 0.5) * n.scale));
      const level = f32(n.nudgedMin + k * n.scale);
      vals.push(tie64, nextUp(tie64), nextDown(tie64), tie32, level, nextUp(level), nextDown(level));
    }
  }
  return vals.map(f32);
}

function fillInputs(size: number, c: Case): Float32Array {
  const specials = specialInputs(c);
  const n = refNudge(c.range.min, c.range.max, c.numBits, c.narrowRange);
  const lo = Number.isFinite(n.nudgedMin) ? Math.min(n.nudgedMin, n.nudgedMax) : -10;
  const hi = Number.isFinite(n.nudgedMax) ? Math.max(n.nudgedMin, n.nudgedMax) : 10;
  const pad = Number.isFinite(hi - lo) ? (hi - lo) * 0.25 + 1e-30 : 1;
  const r = mulberry32(c.seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = r();
    if (u < c.specialRate) {
      out[i] = specials[Math.floor(r() * specials.length)];
    } else if (u < c.specialRate + (1 - c.specialRate) * 0.9) {
      out[i] = f32(lo - pad + (hi - lo + 2 * pad) * r());
    } else {
      out[i] = fromBits(Math.floor(r() * 4294967296));  // any float32, NaN payloads included
    }
  }
  return out;
}

function fillGradients(size: number, seed: number, specialRate: number): Float32Array {
  const specials = [NaN, Infinity, -Infinity, 0, -0, -1, 1, -2.5, 1e38, -1e38, fromBits(1)];
  const r = mulberry32(seed ^ 0x27d4eb2d);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = r();
    if (u < specialRate * 0.2) {
      out[i] = specials[Math.floor(r() * specials.length)];
    } else if (u < 0.6) {
      out[i] = Math.floor(r() * 33) - 16;  // small integers, negative included
    } else if (u < 0.95) {
      out[i] = f32((r() - 0.5) * 8);
    } else {
      out[i] = fromBits(Math.floor(r() * 4294967296));
    }
  }
  return out;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function describeCase(c: Case): string {
  return `range ${c.range.kind} [${c.range.min}, ${c.range.max}] numBits ${c.numBits} ` +
         `narrow ${c.narrowRange} shape [${c.shape}] seed ${c.seed} specialRate ${c.specialRate}`;
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

function forwardMismatches(c: Case): string[] {
  const x = fillInputs(sizeOf(c.shape), c);
  const xt = tf.tensor(x, c.shape, 'float32');
  const y = fakeQuantWithMinMaxVars(xt, c.range.min, c.range.max, c.numBits, c.narrowRange);
  const shapeOk = y.shape.length === c.shape.length && y.shape.every((d, i) => d === c.shape[i]);
  const actual = y.dataSync();
  tf.dispose([xt, y]);
  const expected = refFakeQuantVars(x, c.range.min, c.range.max, c.numBits, c.narrowRange);
  const bad = mismatches(actual, expected, 'out');
  if (!shapeOk) bad.push('output shape differs');
  return bad.map((b) => {
    const i = Number(/\[(\d+)\]/.exec(b)?.[1]);
    return Number.isFinite(i) ? `${b} for x = ${x[i]} (0x${toBits(x[i]).toString(16)})` : b;
  });
}

function gradientMismatches(c: Case): string[] {
  const size = sizeOf(c.shape);
  const x = fillInputs(size, c);
  const dy = fillGradients(size, c.seed, c.specialRate);
  const xt = tf.tensor(x, c.shape, 'float32');
  const dyt = tf.tensor(dy, c.shape, 'float32');
  const r = fakeQuantWithMinMaxVarsGradient(dyt, xt, c.range.min, c.range.max, c.numBits,
                                            c.narrowRange);
  const dx = r.backpropsWrtInput.dataSync();
  const dMin = r.backpropWrtMin.dataSync();
  const dMax = r.backpropWrtMax.dataSync();
  const shapeOk = r.backpropsWrtInput.shape.every((d, i) => d === c.shape[i]) &&
      r.backpropWrtMin.rank === 0 && r.backpropWrtMax.rank === 0;
  tf.dispose([xt, dyt, r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax]);
  const e = refFakeQuantVarsGradient(dy, x, c.range.min, c.range.max, c.numBits, c.narrowRange);
  const bad = [
    ...mismatches(dx, e.backpropsWrtInput, 'backpropsWrtInput'),
    ...mismatches(dMin, [e.backpropWrtMin], 'backpropWrtMin'),
    ...mismatches(dMax, [e.backpropWrtMax], 'backpropWrtMax'),
  ];
  if (!shapeOk) bad.push('output shapes differ');
  return bad.map((b) => {
    const m = /^backpropsWrtInput\[(\d+)\]/.exec(b);
    return m ? `${b} for x = ${x[Number(m[1])]}, dy = ${dy[Number(m[1])]}` : b;
  });
}

const EXAMPLES: Case[] = [
  {range: {kind: 'doc', min: -1, max: 1}, numBits: 8, narrowRange: false, shape: [64], seed: 1, specialRate: 1},
  {range: {kind: 'zero', min: 0, max: 0}, numBits: 8, narrowRange: false, shape: [3, 5], seed: 2, specialRate: 0.5},
  {range: {kind: 'min == max != 0', min: 0.5, max: 0.5}, numBits: 4, narrowRange: true, shape: [20], seed: 3, specialRate: 0.5},
  {range: {kind: 'min > max', min: 2, max: -3}, numBits: 16, narrowRange: false, shape: [2, 2, 5], seed: 4, specialRate: 0.5},
  {range: {kind: '1e-6 wide', min: 0.1, max: f32(0.1 + 1e-6)}, numBits: 16, narrowRange: true, shape: [100], seed: 5, specialRate: 0.7},
  {range: {kind: '1e30 scale', min: -1e30, max: 3e30}, numBits: 2, narrowRange: false, shape: [], seed: 6, specialRate: 1},
  {range: {kind: 'empty', min: -1, max: 1}, numBits: 8, narrowRange: false, shape: [3, 0, 2], seed: 7, specialRate: 1},
  {range: {kind: 'width overflows', min: -3e38, max: 3e38}, numBits: 8, narrowRange: false, shape: [50], seed: 8, specialRate: 1},
];

describe('cpu kernels vs the float32 reference, bit for bit', () => {
  it('forward (fakeQuantWithMinMaxVars)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const bad = forwardMismatches(c);
      if (bad.length > 0) throw new Error(`${describeCase(c)}\n${bad.join('\n')}`);
    }), {numRuns: 400, examples: EXAMPLES.map((e) => [e])});
  });

  it('gradient (fakeQuantWithMinMaxVarsGradient: all three outputs)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const bad = gradientMismatches(c);
      if (bad.length > 0) throw new Error(`${describeCase(c)}\n${bad.join('\n')}`);
    }), {numRuns: 400, examples: EXAMPLES.map((e) => [e])});
  });

  it('every quantization tie and level, every bit width (sweep)', () => {
    // Deterministic sweep: for each numBits, all 2^numBits ties and levels of a few ranges.
    const ranges: Array<[number, number]> = [[-1, 1], [-0.75, 0.75], [-0.5, 2.5], [-25, 20],
                                              [0.3, 7.1], [-6.6, -0.4], [-1e-3, 3e-3]];
    for (let numBits = 2; numBits <= 16; numBits++) {
      for (const narrowRange of [false, true]) {
        for (const [min, max] of ranges) {
          const n = refNudge(min, max, numBits, narrowRange);
          const steps = (2 ** numBits - 1) - (narrowRange ? 1 : 0);
          const x = new Float32Array(4 * (steps + 1));
          for (let k = 0; k <= steps; k++) {
            const tie = f32(n.nudgedMin + (k + 0.5) * n.scale);
            x[4 * k] = tie;
            x[4 * k + 1] = nextDown(tie);
            x[4 * k + 2] = f32(n.nudgedMin + k * n.scale);
            x[4 * k + 3] = nextUp(tie);
          }
          const y = tf.tidy(() => fakeQuantWithMinMaxVars(x, min, max, numBits, narrowRange));
          const actual = y.dataSync();
          y.dispose();
          const bad = mismatches(actual, refFakeQuantVars(x, min, max, numBits, narrowRange), 'out');
          if (bad.length > 0) {
            throw new Error(`[${min}, ${max}] numBits ${numBits} narrow ${narrowRange}\n${bad.join('\n')}`);
          }
        }
      }
    }
  });

  it('min == +-0 with a scale that underflows to 0: forward agrees (all NaN)', () => {
    // TF computes min / scale = 0 / 0 and casts the NaN zero point to uint16 (undefined
    // behaviour), so only the forward output is well defined: NaN for every input. The gradient
    // masks depend on the UB zero point and are excluded from the properties above.
    for (const [min, max] of [[0, 1.4e-45], [-0, 1.4e-45], [0, -1.4e-45], [0, 1e-44]]) {
      for (const numBits of max === 1e-44 ? [8, 16] : [2, 8, 16]) {
        const c: Case = {range: {kind: 'ub', min, max}, numBits, narrowRange: false, shape: [40],
                         seed: 3, specialRate: 0.5};
        expect(zeroPointIsUndefined(c.range, numBits, false)).toBe(true);
        expect(forwardMismatches(c)).toEqual([]);
        const y = tf.tidy(() => fakeQuantWithMinMaxVars([-1, 0, 1, 1e-44], min, max, numBits));
        for (const v of Array.from(y.dataSync())) expect(v).toBeNaN();
        y.dispose();
      }
    }
  });

  it('the generators reach the interesting regions (guards against vacuous properties)', () => {
    const samples = fc.sample(caseArb, {numRuns: 500, seed: 42});
    const kinds = new Set(samples.map((c) => c.range.kind));
    for (const k of ['straddles 0', 'min > 0', 'max < 0', '1e-6 wide', '1e30 scale', 'zero',
                     'min == max != 0', 'min > max']) {
      expect(kinds).toContain(k);
    }
    const bits = new Set(samples.map((c) => c.numBits));
    expect(bits.size).toBe(15);
    const ranks = new Set(samples.map((c) => c.shape.length));
    expect(ranks.size).toBe(6);
    expect(samples.some((c) => sizeOf(c.shape) > 1000)).toBe(true);
    // Inputs contain NaN, both infinities, both zeros and exact nudged bounds.
    const c = {range: {kind: 'doc', min: -1, max: 1}, numBits: 8, narrowRange: false, shape: [4000],
               seed: 9, specialRate: 0.7};
    const x = Array.from(fillInputs(4000, c));
    const n = refNudge(-1, 1, 8, false);
    expect(x.some((v) => v !== v)).toBe(true);
    expect(x).toContain(Infinity);
    expect(x).toContain(-Infinity);
    expect(x.some((v) => Object.is(v, -0))).toBe(true);
    expect(x.some((v) => Object.is(v, 0))).toBe(true);
    expect(x).toContain(n.nudgedMin);
    expect(x).toContain(n.nudgedMax);
    const dy = Array.from(fillGradients(4000, 9, 0.7));
    expect(dy.some((v) => v !== v)).toBe(true);
    expect(dy).toContain(Infinity);
    expect(dy.some((v) => v < 0)).toBe(true);
  });
});
