/** Float32 bit helpers and a bit-exact comparison for the property tests. */

const f32 = Math.fround;
const bitsView = new DataView(new ArrayBuffer(4));

export function toBits(v: number): number {
  bitsView.setFloat32(0, v);
  return bitsView.getUint32(0);
}

export function fromBits(b: number): number {
  bitsView.setUint32(0, b >>> 0);
  return bitsView.getFloat32(0);
}

/** The next float32 toward +Inf (v finite or -Inf). */
export function nextUp(v: number): number {
  v = f32(v);
  if (v !== v || v === Infinity) return v;
  if (v === 0) return fromBits(1);
  const b = toBits(v);
  return fromBits(v > 0 ? b + 1 : b - 1);
}

export function nextDown(v: number): number {
  return -nextUp(-v);
}

/** Up to `limit` mismatches under Object.is (so -0 != +0), where every NaN equals every NaN. */
export function mismatches(
    actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, limit = 5): string[] {
  if (actual.length !== expected.length) {
    return [`${what}: length ${actual.length} != ${expected.length}`];
  }
  const out: string[] = [];
  for (let i = 0; i < expected.length && out.length < limit; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Object.is(a, e) || (a !== a && e !== e)) continue;
    out.push(`${what}[${i}]: got ${a} (0x${toBits(a).toString(16)}), ` +
             `want ${e} (0x${toBits(e).toString(16)})`);
  }
  return out;
}
