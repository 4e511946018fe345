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
 * Whether `actual` is the float32 sum of `terms` added in some order (a GPU tree reduction), the
 * sequential reference being `expected`. NaN and infinities must match exactly. Integer-valued
 * terms whose magnitudes add up to at most 2^24 give the same, exact sum in every order: then it
 * must equal the exact sum. Otherwise it must lie within (ceil(log2 n) + 1) * 2^-24 * sum|terms|
 * of the exact (float64) sum, which is how far a balanced float32 tree of n terms can stray: a
 * dropped, doubled or negated part of the sum is far outside that at any n.
 */
export function sumsClose(actual: number, expected: number, terms: ArrayLike<number>): boolean {
  if (sameFloat(actual, expected)) return true;  // the reference's own order
  if (!isFinite(expected)) return false;
  let exact = 0;
  let magnitude = 0;
  let integers = true;
  for (let i = 0; i < terms.length; i++) {
    exact += terms[i];
    magnitude += Math.abs(terms[i]);
    integers = integers && Number.isInteger(terms[i]);
  }
  if (integers && magnitude <= 2 ** 24) return actual === exact;
  const depth = Math.ceil(Math.log2(Math.max(terms.length, 1))) + 1;
  return Math.abs(actual - exact) <= depth * 2 ** -24 * magnitude;
}

/** The first channel whose range sum is not sumsClose, described; null when all are. */
export function sumsMismatch(
    actual: ArrayLike<number>, expected: ArrayLike<number>,
    terms: ArrayLike<ArrayLike<number>>): string|null {
  if (actual.length !== expected.length) {
    return `length ${actual.length} != expected ${expected.length}`;
  }
  for (let c = 0; c < expected.length; c++) {
    if (!sumsClose(actual[c], expected[c], terms[c])) {
      let exact = 0;
      for (let i = 0; i < terms[c].length; i++) exact += terms[c][i];
      return `channel ${c}: ${actual[c]} != expected ${expected[c]} (exact ${exact}, ` +
          `${terms[c].length} terms)`;
    }
  }
  return null;
}
