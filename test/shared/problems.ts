/** Problem data shared by the backend matrix and the per-backend suites. */
import {mulberry32} from './random';
import {refNudge} from './reference';

/**
 * - withSpecials: finite values with 5% NaN and +-Inf (one NaN makes its whole range sum NaN);
 * - finite: values in [-4, 4);
 * - integers: integers in [-4, 4]: every order of adding them gives the same, exact sum, which is
 *   what checks a reduction over many elements.
 */
export type GradientKind = 'withSpecials'|'finite'|'integers';

/**
 * Inputs mixing specials (NaN, +-Inf, +-0, nudged bounds), ties and uniform values, element i in
 * channel i % ranges.length; gradients of the given kind.
 */
export function makeData(shape: number[], ranges: Array<[number, number]>, numBits: number,
                         narrowRange: boolean, seed: number,
                         gradients: GradientKind = 'withSpecials'): {x: Float32Array; dy: Float32Array} {
  const size = shape.reduce((a, b) => a * b, 1);
  const rand = mulberry32(seed);
  const nudged = ranges.map(([min, max]) =>
      min === 0 && max === 0 ? null : refNudge(min, max, numBits, narrowRange));
  const x = new Float32Array(size);
  const dy = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const c = i % ranges.length;
    const [min, max] = ranges[c];
    const n = nudged[c];
    const lo = Math.min(min, max);
    const span = Math.abs(max - min) || 1;
    const special = n == null ? [NaN, Infinity, -Infinity, 0, -0, 1, -1] :
                                [NaN, Infinity, -Infinity, 0, -0, n.nudgedMin, n.nudgedMax];
    const r = rand();
    x[i] = r < 0.1 ? special[Math.floor(rand() * special.length)] :
        r < 0.3 && n != null && isFinite(n.scale) ?
                     n.nudgedMin + (Math.floor(rand() * 8) + 0.5) * n.scale :  // ties
                     lo - span + rand() * 3 * span;
    dy[i] = gradients === 'integers' ? Math.floor(rand() * 9) - 4 :
        gradients === 'withSpecials' && rand() < 0.05 ? [NaN, Infinity, -Infinity][Math.floor(rand() * 3)] :
                                                        (rand() - 0.5) * 8;
  }
  return {x, dy};
}
