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
