/**
 * Outputs derived by hand from TF's formulas (tf_fake_quant_semantics.md) where no TF test tells
 * two plausible implementations apart.
 */

const f32 = Math.fround;

/**
 * Args and PerChannel multiply by inv_scale = f(steps / f(max - min)), a division of its own.
 * On [0, 1] at 8 bits that is 255, while 1 / scale = 1 / f(1 / 255) rounds to 254.99998: each of
 * these inputs times 255 rounds to a tie (25.5, 127.5, 178.5, 229.5), which rounds up a level,
 * and times 254.99998 falls just below it, one level lower.
 */
export const INV_SCALE_CASE = {
  min: 0,
  max: 1,
  numBits: 8,
  narrowRange: false,
  inputs: [0.1, 0.5, 0.7, 0.9],
  expected: [26, 128, 179, 230].map(level => f32(level * f32(1 / 255))),
};
