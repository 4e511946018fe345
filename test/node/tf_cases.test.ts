/**
 * TensorFlow's own test cases (test/shared/tf_cases.ts: fake_quant_ops_test.cc, the XLA test
 * parameter sets, outputs quoted in docs and issues): the tables hold every test, and the
 * package's `nudge` gives XLA's nudged ranges, bit for bit equal to the reference's. The ops run
 * them on every backend in the shared matrix (test/shared/backend_suite.ts; cpu: cpu.test.ts).
 */
import {nudge, quantRange} from '../../src';
import {refNudge} from '../shared/reference';
import {DOC_CASES, TF_FORWARD_CASES, TF_GRADIENT_CASES, XLA_CASES} from '../shared/tf_cases';

const ofOp = <T extends {op: string}>(cases: T[], op: string) => cases.filter((c) => c.op === op);
const asArray = (v: number|number[]) => (typeof v === 'number' ? [v] : v);

describe('case tables', () => {
  // The per-op split of fake_quant_ops_test.cc's 104 tests is checked in reference.test.ts.
  it('hold the XLA sets and doc cases for each op, exact cases among them', () => {
    expect(XLA_CASES).toHaveLength(16);
    expect(ofOp(DOC_CASES, 'Vars').length).toBeGreaterThan(0);
    expect(DOC_CASES.filter((c) => c.op !== 'Vars').length).toBeGreaterThanOrEqual(4);
    expect(ofOp(TF_FORWARD_CASES, 'Vars').some((c) => c.exact)).toBe(true);
    expect([...ofOp(TF_FORWARD_CASES, 'Args'), ...ofOp(TF_FORWARD_CASES, 'PerChannel')].some((c) => c.exact))
        .toBe(true);
  });

  it('cover PerChannel ranks 1, 2 and 4 and the zero range', () => {
    const pc = ofOp(TF_FORWARD_CASES, 'PerChannel');
    expect(new Set(pc.map((c) => c.shape.length))).toEqual(new Set([1, 2, 4]));
    expect(pc.some((c) => asArray(c.min).every((v, i) => v === 0 && asArray(c.max)[i] === 0))).toBe(true);
  });

  it('are consistent: one expected output per input, shapes of their size, ranges per channel', () => {
    for (const c of [...TF_FORWARD_CASES, ...DOC_CASES]) {
      expect({name: c.name, n: c.expected.length}).toEqual({name: c.name, n: c.inputs.length});
      expect({name: c.name, n: c.shape.reduce((a, b) => a * b, 1)}).toEqual({name: c.name, n: c.inputs.length});
      if (c.op === 'PerChannel') expect(asArray(c.min)).toHaveLength(c.shape[c.shape.length - 1]);
      else expect(typeof c.min).toBe('number');
    }
    for (const c of TF_GRADIENT_CASES) {
      expect({name: c.name, n: c.gradients.length}).toEqual({name: c.name, n: c.inputs.length});
      expect({name: c.name, hasRange: c.expectedWrtMin != null}).toEqual({name: c.name, hasRange: c.op !== 'Args'});
    }
  });
});

describe('XLA parameter sets (compiler/tests/fake_quant_ops_test.py): nudged ranges', () => {
  for (const c of XLA_CASES) {
    it(`${c.name}: nudged range`, () => {
      const n = nudge(c.min, c.max, quantRange(c.numBits, c.narrowRange));
      expect(Math.abs(n.nudgedMin - c.expectedNudgedMin)).toBeLessThanOrEqual(
          c.atol + c.rtol * Math.abs(c.expectedNudgedMin));
      expect(Math.abs(n.nudgedMax - c.expectedNudgedMax)).toBeLessThanOrEqual(
          c.atol + c.rtol * Math.abs(c.expectedNudgedMax));
      expect(Math.abs(n.scale - c.expectedStep)).toBeLessThanOrEqual(
          c.atol + c.rtol * c.expectedStep);
      // The package's nudge and the reference's agree bit for bit.
      const r = refNudge(c.min, c.max, c.numBits, c.narrowRange);
      expect(n.nudgedMin).toBe(r.nudgedMin);
      expect(n.nudgedMax).toBe(r.nudgedMax);
      expect(n.scale).toBe(r.scale);
      expect(n.invScale).toBe(r.invScale);
      expect(n.quantZero).toBe(r.quantZero);
    });
  }
});
