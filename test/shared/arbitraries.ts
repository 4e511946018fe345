/** fast-check arbitraries shared by the GPU suites. */
import * as fc from 'fast-check';

const f32 = Math.fround;

/** GPUs flush subnormals to zero (so does TF's GPU kernel): range ends are kept normal. */
export function normalFloat(v: number): number {
  return Math.abs(v) < 1e-30 ? 0 : v;
}

/** Ranges with min < max of every kind the semantics doc calls out, as float32. */
export const orderedRangeArb: fc.Arbitrary<[number, number]> = fc.oneof(
    fc.tuple(fc.float({min: -100, max: 0, noNaN: true}), fc.float({min: 0, max: 100, noNaN: true})),
    fc.tuple(fc.float({min: f32(0.01), max: 50, noNaN: true}), fc.float({min: 50, max: 200, noNaN: true})),
    fc.tuple(fc.float({min: -200, max: -50, noNaN: true}), fc.float({min: -50, max: f32(-0.01), noNaN: true})),
    fc.tuple(fc.float({min: f32(-1e-6), max: 0, noNaN: true}), fc.float({min: 0, max: f32(1e-6), noNaN: true})),
    fc.constant<[number, number]>([-10, 10]), fc.constant<[number, number]>([-1, 1]),
    fc.constant<[number, number]>([-0.75, 0.75]), fc.constant<[number, number]>([-0.5, 2.5]),
    fc.constant<[number, number]>([12, 123]));

/** A range with a label, so that the suites can check that every kind is reached. */
export interface KindedRange {
  kind: string;
  min: number;
  max: number;
}

/** Float32 values in [min, max], no NaN or Inf. */
export function finiteFloat32(min: number, max: number): fc.Arbitrary<number> {
  return fc.float({min: f32(min), max: f32(max), noNaN: true, noDefaultInfinity: true});
}

/** Weighted kinds of ranges with min <= max: straddling 0, one-sided, tiny, and huge. */
export const properRangeKinds: Array<fc.WeightedArbitrary<KindedRange>> = [
  {weight: 6, arbitrary: fc.tuple(finiteFloat32(-1e4, 0), finiteFloat32(0, 1e4))
                             .map(([min, max]) => ({kind: 'straddles 0', min, max}))},
  {weight: 3, arbitrary: fc.tuple(finiteFloat32(-10, 0), finiteFloat32(0, 10))
                             .map(([min, max]) => ({kind: 'small straddles 0', min, max}))},
  {weight: 3, arbitrary: fc.tuple(finiteFloat32(1e-30, 1e4), finiteFloat32(1e-30, 1e4))
                             .map(([a, b]) => ({kind: 'min > 0', min: Math.min(a, b), max: Math.max(a, b)}))},
  {weight: 3, arbitrary: fc.tuple(finiteFloat32(-1e4, -1e-30), finiteFloat32(-1e4, -1e-30))
                             .map(([a, b]) => ({kind: 'max < 0', min: Math.min(a, b), max: Math.max(a, b)}))},
  {weight: 3, arbitrary: fc.tuple(finiteFloat32(-10, 10), fc.constantFrom(1e-6, 5e-7, 2e-6, 1e-5))
                             .map(([a, w]) => ({kind: '1e-6 wide', min: a, max: f32(a + w)}))},
  {weight: 2, arbitrary: fc.tuple(finiteFloat32(-1, 0), finiteFloat32(0, 1))
                             .map(([a, b]) => ({kind: 'tiny around 0', min: f32(a * 1e-6), max: f32(b * 1e-6)}))},
  {weight: 3, arbitrary: fc.tuple(finiteFloat32(-3.4e8, 0), finiteFloat32(0, 3.4e8))
                             .map(([a, b]) => ({kind: '1e30 scale', min: f32(a * 1e30), max: f32(b * 1e30)}))},
];
