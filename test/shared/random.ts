/** Seeded random numbers for tests, so that every failure reproduces. */

/** mulberry32: uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n float32 values uniform in [lo, hi). */
export function uniformFloat32(n: number, lo: number, hi: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({length: n}, () => lo + (hi - lo) * random());
}
