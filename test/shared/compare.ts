/** Comparison helpers shared by the Node and browser suites; each returns a failure description. */

/** Same float32 value, NaN equal to NaN; +0 and -0 equal unless `signOfZero`. */
export function sameFloat(a: number, b: number, signOfZero = false): boolean {
  if (a !== a || b !== b) return a !== a && b !== b;
  return signOfZero ? Object.is(a, b) : a === b;
}

export function firstMismatch(
    actual: ArrayLike<number>, expected: ArrayLike<number>, signOfZero = false): string|null {
  if (actual.length !== expected.length) {
    return `length ${actual.length} != expected ${expected.length}`;
  }
  for (let i = 0; i < actual.length; i++) {
    if (!sameFloat(actual[i], expected[i], signOfZero)) {
      return `element ${i}: ${actual[i]} != expected ${expected[i]}`;
    }
  }
  return null;
}

/**
 * A float32 sum computed in another order (a GPU tree reduction) may differ from the sequential
 * reference by rounding: allow n * 2^-23 of the sum of magnitudes. NaN must match NaN exactly.
 */
export function sumsClose(actual: number, expected: number, terms: ArrayLike<number>): boolean {
  if (actual === expected || (actual !== actual && expected !== expected)) return true;
  if (!isFinite(expected)) return false;
  let magnitude = 0;
  for (let i = 0; i < terms.length; i++) magnitude += Math.abs(terms[i]);
  return Math.abs(actual - expected) <= terms.length * 2 ** -23 * magnitude;
}
