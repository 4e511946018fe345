/**
 * Random problems over the whole float32 line, for backends that compute like the cpu loops
 * (float32 arithmetic with subnormals, range sums in flat index order): ranges of every kind
 * (infinite, NaN, overflowing width, min == max, min > max, signed zeros), inputs of any bit
 * pattern (NaN payloads, subnormals) next to the nudged bounds, levels and ties, gradients with
 * NaN, +-Inf and 1e38. GPUs flush subnormals and sum in other orders (an overflow there is not one
 * here), so they run the matrix's own problems instead.
 */
import * as fc from 'fast-check';

import {finiteFloat32, type KindedRange, properRangeKinds} from './arbitraries';
import {fromBits, nextDown, nextUp} from './float32';
import {mulberry32} from './random';
import {type Problem, refNudge} from './reference';

const f32 = Math.fround;

export type Op = 'Vars'|'Args'|'PerChannel';

const DOC_RANGES: KindedRange[] = [
  {kind: 'doc', min: -1, max: 1}, {kind: 'doc', min: -0.75, max: 0.75},
  {kind: 'doc', min: -0.5, max: 2.5}, {kind: 'doc', min: -10, max: 10},
  {kind: 'doc', min: 12, max: 123},
];

const ZERO_RANGES: KindedRange[] = [
  {kind: 'zero', min: 0, max: 0}, {kind: 'zero', min: -0, max: 0},
  {kind: 'zero', min: 0, max: -0}, {kind: 'zero', min: -0, max: -0},
];

const equalEnds = (bound: number) => finiteFloat32(-bound, bound).filter(v => v !== 0)
    .map((v): KindedRange => ({kind: 'min == max != 0', min: v, max: v}));

const inverted = (bound: number) =>
    fc.tuple(finiteFloat32(-bound, bound), finiteFloat32(-bound, bound)).filter(([a, b]) => a !== b)
        .map(([a, b]): KindedRange => ({kind: 'min > max', min: Math.max(a, b), max: Math.min(a, b)}));

/** Vars: any range at all (TF checks nothing). */
export const anyRangeArb: fc.Arbitrary<KindedRange> = fc.oneof(
    ...properRangeKinds,
    {weight: 1, arbitrary: fc.constantFrom<KindedRange>(
                    {kind: 'huge fixed', min: -1e30, max: 1e30},
                    {kind: 'width overflows', min: -3e38, max: 3e38},
                    {kind: 'width overflows', min: -f32(3.4028234663852886e38), max: f32(3.4028234663852886e38)})},
    {weight: 2, arbitrary: fc.constantFrom(...ZERO_RANGES)},
    {weight: 2, arbitrary: equalEnds(1e6)},
    {weight: 3, arbitrary: inverted(1e4)},
    {weight: 2, arbitrary: fc.tuple(fc.float(), fc.float())
                               .map(([min, max]) => ({kind: 'any float32 (Inf, NaN)', min, max}))},
    {weight: 1, arbitrary: fc.constantFrom<KindedRange>(
                    {kind: 'infinite', min: -Infinity, max: 1}, {kind: 'infinite', min: -1, max: Infinity},
                    {kind: 'infinite', min: -Infinity, max: Infinity}, {kind: 'nan', min: NaN, max: 1},
                    {kind: 'nan', min: -1, max: NaN}, ...DOC_RANGES)},
);

/** Args: min < max in float32 (its precondition). */
export const orderedRangeArb: fc.Arbitrary<KindedRange> = fc.oneof(
    ...properRangeKinds,
    {weight: 1, arbitrary: fc.constantFrom<KindedRange>(
                    ...DOC_RANGES, {kind: 'doc', min: -6, max: 6},
                    {kind: 'width overflows', min: -3e38, max: 3e38},
                    {kind: 'infinite', min: -Infinity, max: 1}, {kind: 'infinite', min: -1, max: Infinity})},
).filter(r => f32(r.min) < f32(r.max));

/** PerChannel: TF checks no order; min == max == 0 is special-cased. */
export const channelRangeArb: fc.Arbitrary<KindedRange> = fc.oneof(
    {weight: 10, arbitrary: orderedRangeArb},
    {weight: 3, arbitrary: fc.constantFrom(...ZERO_RANGES)},
    {weight: 1, arbitrary: equalEnds(1e3)},
    {weight: 1, arbitrary: inverted(1e3)},
);

/** TF's zero point is undefined behaviour when min / scale is 0/0 (min == +-0, scale underflows). */
export function zeroPointIsUndefined(r: KindedRange, numBits: number, narrowRange: boolean): boolean {
  const min = f32(r.min);
  const max = f32(r.max);
  if (min === 0 && max === 0) return false;  // special-cased, Nudge is skipped
  const steps = (2 ** numBits - 1) - (narrowRange ? 1 : 0);
  return min === 0 && f32(f32(max - min) / steps) === 0;
}

/** A problem before its data is drawn. */
export interface Float32Case {
  op: Op;
  shape: number[];
  ranges: KindedRange[];
  numBits: number;
  narrowRange: boolean;
  seed: number;
  /** Fraction of elements drawn from the special values (bounds, ties, NaN, ...). */
  specialRate: number;
}

const specialRateArb = fc.constantFrom(0, 0.05, 0.3, 0.7, 1);
const dimsArb = (maxForRank: number[], zeroWeight: number) =>
    fc.integer({min: 0, max: maxForRank.length - 1}).chain(rank => fc.array(
        fc.oneof({weight: 24, arbitrary: fc.integer({min: 1, max: maxForRank[rank]})},
                 {weight: zeroWeight, arbitrary: fc.constant(0)}),
        {minLength: rank, maxLength: rank}));

const defined = (c: Float32Case) =>
    !c.ranges.some(r => zeroPointIsUndefined(r, c.numBits, c.narrowRange));

function perTensorCaseArb(op: 'Vars'|'Args'): fc.Arbitrary<Float32Case> {
  return fc.record({
    shape: op === 'Vars' ? dimsArb([1, 4000, 64, 16, 8, 5], 1) : dimsArb([1, 3000, 60, 14, 7], 0),
    range: op === 'Vars' ? anyRangeArb : orderedRangeArb,
    numBits: fc.integer({min: 2, max: 16}),
    narrowRange: fc.boolean(),
    seed: fc.integer({min: 0, max: 0x7fffffff}),
    specialRate: specialRateArb,
  }).map(({range, ...c}) => ({op, ranges: [range], ...c})).filter(defined);
}

const MAX_LEADING_DIM = [1, 1, 300, 40, 12, 6];  // by rank

const perChannelCaseArb: fc.Arbitrary<Float32Case> = fc.record({
  rank: fc.integer({min: 1, max: 5}),
  channels: fc.integer({min: 1, max: 8}),
  numBits: fc.integer({min: 2, max: 16}),
  narrowRange: fc.boolean(),
  seed: fc.integer({min: 0, max: 0x7fffffff}),
  specialRate: specialRateArb,
}).chain(({rank, channels, ...c}) => fc.record({
  leading: fc.array(fc.oneof({weight: 30, arbitrary: fc.integer({min: 1, max: MAX_LEADING_DIM[rank]})},
                             {weight: 1, arbitrary: fc.constant(0)}),
                    {minLength: rank - 1, maxLength: rank - 1}),
  ranges: fc.array(channelRangeArb, {minLength: channels, maxLength: channels}),
}).map(({leading, ranges}): Float32Case => ({op: 'PerChannel', shape: [...leading, channels], ranges, ...c})))
    .filter(defined);

export const float32CaseArb = (op: Op): fc.Arbitrary<Float32Case> =>
    op === 'PerChannel' ? perChannelCaseArb : perTensorCaseArb(op);

/** A per-tensor case, written out. */
function example(op: 'Vars'|'Args', shape: number[], range: KindedRange, numBits: number,
                 narrowRange: boolean, seed: number, specialRate: number): Float32Case {
  return {op, shape, ranges: [range], numBits, narrowRange, seed, specialRate};
}

/** Hand-picked cases every run tries first: every kind of range side by side, empty, rank 0. */
export const FLOAT32_EXAMPLES: {[op in Op]: Float32Case[]} = {
  Vars: [
    example('Vars', [64], {kind: 'doc', min: -1, max: 1}, 8, false, 1, 1),
    example('Vars', [3, 5], {kind: 'zero', min: 0, max: 0}, 8, false, 2, 0.5),
    example('Vars', [20], {kind: 'min == max != 0', min: 0.5, max: 0.5}, 4, true, 3, 0.5),
    example('Vars', [2, 2, 5], {kind: 'min > max', min: 2, max: -3}, 16, false, 4, 0.5),
    example('Vars', [100], {kind: '1e-6 wide', min: 0.1, max: f32(0.1 + 1e-6)}, 16, true, 5, 0.7),
    example('Vars', [], {kind: '1e30 scale', min: -1e30, max: 3e30}, 2, false, 6, 1),
    example('Vars', [3, 0, 2], {kind: 'empty', min: -1, max: 1}, 8, false, 7, 1),
    example('Vars', [50], {kind: 'width overflows', min: -3e38, max: 3e38}, 8, false, 8, 1),
  ],
  Args: [
    example('Args', [64], {kind: 'doc', min: -1, max: 1}, 8, false, 1, 1),
    example('Args', [], {kind: 'doc', min: 12, max: 123}, 8, false, 2, 1),
    example('Args', [5, 20], {kind: '1e-6 wide', min: 0.1, max: f32(0.1 + 1e-6)}, 16, true, 3, 0.7),
    example('Args', [0, 3], {kind: 'doc', min: -6, max: 6}, 8, false, 4, 1),
    example('Args', [50], {kind: 'width overflows', min: -3e38, max: 3e38}, 8, false, 5, 1),
  ],
  PerChannel: [
    {op: 'PerChannel', shape: [2, 3, 5, 6], numBits: 8, narrowRange: false, seed: 1, specialRate: 0.5, ranges: [
      {kind: 'doc', min: -1, max: 1}, {kind: 'zero', min: 0, max: 0}, {kind: 'min > 0', min: 0.3, max: 7.1},
      {kind: 'max < 0', min: -6.6, max: -0.4}, {kind: 'zero', min: -0, max: 0},
      {kind: 'doc', min: -0.75, max: 0.75}]},
    {op: 'PerChannel', shape: [7], numBits: 16, narrowRange: true, seed: 2, specialRate: 1,
     ranges: Array.from({length: 7}, (_, i) => ({kind: 'straddles 0', min: -1 - i, max: 0.5 + i}))},
    {op: 'PerChannel', shape: [4, 1], numBits: 2, narrowRange: false, seed: 3, specialRate: 1,
     ranges: [{kind: 'min == max != 0', min: 0.5, max: 0.5}]},
    {op: 'PerChannel', shape: [3, 0, 2], numBits: 8, narrowRange: false, seed: 4, specialRate: 1,
     ranges: [{kind: 'doc', min: -1, max: 1}, {kind: 'zero', min: 0, max: 0}]},
    {op: 'PerChannel', shape: [2, 2, 2, 2, 8], numBits: 4, narrowRange: true, seed: 5, specialRate: 0.7,
     ranges: Array.from({length: 8}, (_, i) => i % 2 ? {kind: 'zero', min: 0, max: 0} :
                                                       {kind: 'min > max', min: i, max: -i})},
  ],
};

/** Interesting inputs for one range: its ends and nudged bounds with neighbours, levels, ties. */
function specialInputs(r: KindedRange, numBits: number, narrowRange: boolean, seed: number): number[] {
  const vals = [NaN, Infinity, -Infinity, 0, -0, f32(r.min), f32(r.max), 1, -1, fromBits(1),
                -fromBits(1), 3.4028234663852886e38, -3.4028234663852886e38];
  if (f32(r.min) === 0 && f32(r.max) === 0) return vals;
  const n = refNudge(r.min, r.max, numBits, narrowRange);
  const steps = (2 ** numBits - 1) - (narrowRange ? 1 : 0);
  for (const b of [n.nudgedMin, n.nudgedMax, f32(r.min), f32(r.max)]) {
    if (!Number.isFinite(b)) continue;
    vals.push(b, nextUp(b), nextDown(b), nextUp(nextUp(b)), nextDown(nextDown(b)));
  }
  if (Number.isFinite(n.scale) && Number.isFinite(n.nudgedMin)) {
    const rand = mulberry32(seed ^ 0x5bd1e995);
    const ks = [0, 1, steps - 1, steps, Math.floor(steps / 2), n.quantZero, n.quantZero - 1];
    for (let i = 0; i < 8; i++) ks.push(Math.floor(rand() * (steps + 1)));
    for (const k of ks) {
      if (!Number.isFinite(k)) continue;
      // Ties nudgedMin + (k + 0.5) scale in float64 and in float32 arithmetic, levels, neighbours.
      const tie64 = f32(n.nudgedMin + (k + 0.5) * n.scale);
      const tie32 = f32(n.nudgedMin + f32((k + 0.5) * n.scale));
      const level = f32(n.nudgedMin + k * n.scale);
      vals.push(tie64, nextUp(tie64), nextDown(tie64), tie32, level, nextUp(level), nextDown(level));
    }
  }
  return vals.map(f32);
}

/** Inputs, channel-major: element i belongs to ranges[i % ranges.length]. */
export function fillInputs(size: number, ranges: KindedRange[], numBits: number,
                           narrowRange: boolean, seed: number, specialRate: number): Float32Array {
  const specials = ranges.map((r, c) => specialInputs(r, numBits, narrowRange, seed + c));
  const spans = ranges.map(r => {
    if (f32(r.min) === 0 && f32(r.max) === 0) return [-2, 2];
    const n = refNudge(r.min, r.max, numBits, narrowRange);
    const lo = Number.isFinite(n.nudgedMin) ? Math.min(n.nudgedMin, n.nudgedMax) : -10;
    const hi = Number.isFinite(n.nudgedMax) ? Math.max(n.nudgedMin, n.nudgedMax) : 10;
    const pad = Number.isFinite(hi - lo) ? (hi - lo) * 0.25 + 1e-30 : 1;
    return [lo - pad, hi + pad];
  });
  const rand = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const c = i % ranges.length;
    const u = rand();
    if (u < specialRate) {
      out[i] = specials[c][Math.floor(rand() * specials[c].length)];
    } else if (u < specialRate + (1 - specialRate) * 0.9) {
      const [lo, hi] = spans[c];
      out[i] = f32(lo + (hi - lo) * rand());
    } else {
      out[i] = fromBits(Math.floor(rand() * 4294967296));  // any float32, NaN payloads included
    }
  }
  return out;
}

export function fillGradients(size: number, seed: number, specialRate: number): Float32Array {
  const specials = [NaN, Infinity, -Infinity, 0, -0, -1, 1, -2.5, 1e38, -1e38, fromBits(1)];
  const rand = mulberry32(seed ^ 0x27d4eb2d);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = rand();
    if (u < specialRate * 0.2) {
      out[i] = specials[Math.floor(rand() * specials.length)];
    } else if (u < 0.6) {
      out[i] = Math.floor(rand() * 33) - 16;  // small integers, negative included
    } else if (u < 0.95) {
      out[i] = f32((rand() - 0.5) * 8);
    } else {
      out[i] = fromBits(Math.floor(rand() * 4294967296));
    }
  }
  return out;
}

export function toProblem(c: Float32Case): Problem {
  const size = c.shape.reduce((a, b) => a * b, 1);
  return {
    shape: c.shape, x: fillInputs(size, c.ranges, c.numBits, c.narrowRange, c.seed, c.specialRate),
    dy: fillGradients(size, c.seed, c.specialRate), mins: c.ranges.map(r => r.min),
    maxs: c.ranges.map(r => r.max), numBits: c.numBits, narrowRange: c.narrowRange,
  };
}

export function describeCase(c: Float32Case): string {
  return `${c.op} shape [${c.shape}] numBits ${c.numBits} narrow ${c.narrowRange} seed ${c.seed} ` +
      `specialRate ${c.specialRate} ranges ${c.ranges.map(r => `${r.kind} [${r.min}, ${r.max}]`).join('; ')}`;
}
