/**
 * The test matrix every extra backend runs (webgpu in test/webgpu/*.webgpu.ts, wasm in
 * test/node/wasm.test.ts), through the package's public ops on the active backend, reading results
 * with the async `data()` (webgpu in Node has no synchronous read):
 *   - TensorFlow's C++ kernel tests, the XLA parameter sets and the doc/issue outputs, for all six
 *     ops: forward within TF's tolerance (exact for the atol = rtol = 0 tests) AND bit for bit equal
 *     to the float32 reference; gradients exactly;
 *   - property tests on random shapes (rank 0..4; some with up to 1500 rows), per-channel ranges of every kind, bit widths
 *     2..16, narrowRange, ties, NaN / +-Inf inputs and gradients: forward and input gradient bit
 *     for bit (sign of zero included), range gradients exactly (`exactSums`) or as sums of the
 *     reference's terms in another order (sumsClose: a GPU reduction);
 *   - large and high-rank inputs (several row chunks), empty tensors, gradients through tf.grads,
 *     and tf.memory() back to its baseline over training steps.
 */
import * as tf from '@tensorflow/tfjs';
import * as fc from 'fast-check';

import {fakeQuantWithMinMaxArgs, fakeQuantWithMinMaxArgsGradient, fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {firstMismatch, sumsMismatch} from '../shared/compare';
import {mulberry32} from '../shared/random';
import {type Problem, refFakeQuantArgs, refFakeQuantArgsGradient, refFakeQuantPerChannel, refFakeQuantPerChannelGradient, refFakeQuantVars, refFakeQuantVarsGradient, refNudge, refRangeGradientTerms} from '../shared/reference';
import {INV_SCALE_CASE} from '../shared/derived_cases';
import {DOC_CASES, TF_FORWARD_CASES, TF_GRADIENT_CASES, XLA_CASES} from '../shared/tf_cases';
import {normalFloat, orderedRangeArb} from '../shared/arbitraries';

export interface BackendSuiteOptions {
  backend: string;
  /** Range gradients equal to the sequential float32 reference bit for bit (cpu loops). */
  exactSums: boolean;
  /** fast-check runs per property. */
  numRuns: number;
}

export type Op = 'Vars'|'Args'|'PerChannel';

export interface GradientResult {
  dx: Float32Array;
  dMin: Float32Array;
  dMax: Float32Array;
  shapes: number[][];
}

async function read(t: tf.Tensor): Promise<Float32Array> {
  return await t.data() as Float32Array;
}

function rangeTensors(p: Problem, op: Op): [tf.Tensor, tf.Tensor] {
  return op === 'PerChannel' ? [tf.tensor1d(p.mins), tf.tensor1d(p.maxs)] :
                               [tf.scalar(p.mins[0]), tf.scalar(p.maxs[0])];
}

export async function runForward(op: Op, p: Problem): Promise<Float32Array> {
  const x = tf.tensor(p.x, p.shape);
  const [min, max] = rangeTensors(p, op);
  const y = op === 'Args' ?
      fakeQuantWithMinMaxArgs(x, p.mins[0], p.maxs[0], p.numBits, p.narrowRange) :
      op === 'Vars' ?
      fakeQuantWithMinMaxVars(x, min as tf.Scalar, max as tf.Scalar, p.numBits, p.narrowRange) :
      fakeQuantWithMinMaxVarsPerChannel(x, min as tf.Tensor1D, max as tf.Tensor1D, p.numBits, p.narrowRange);
  expect(y.shape).toEqual(p.shape);
  expect(y.dtype).toBe('float32');
  const values = await read(y);
  tf.dispose([x, min, max, y]);
  return values;
}

export async function runGradient(op: Op, p: Problem): Promise<GradientResult> {
  const dy = tf.tensor(p.dy, p.shape);
  const x = tf.tensor(p.x, p.shape);
  const [min, max] = rangeTensors(p, op);
  let outputs: tf.Tensor[];
  if (op === 'Args') {
    outputs = [fakeQuantWithMinMaxArgsGradient(dy, x, p.mins[0], p.maxs[0], p.numBits, p.narrowRange)];
  } else {
    const r = op === 'Vars' ?
        fakeQuantWithMinMaxVarsGradient(dy, x, min as tf.Scalar, max as tf.Scalar, p.numBits, p.narrowRange) :
        fakeQuantWithMinMaxVarsPerChannelGradient(
            dy, x, min as tf.Tensor1D, max as tf.Tensor1D, p.numBits, p.narrowRange);
    outputs = [r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax];
  }
  const [dx, dMin, dMax] = await Promise.all(outputs.map(read));
  const result = {
    dx, dMin: dMin ?? new Float32Array(0), dMax: dMax ?? new Float32Array(0),
    shapes: outputs.map(t => t.shape),
  };
  tf.dispose([dy, x, min, max, ...outputs]);
  return result;
}

export function referenceForward(op: Op, p: Problem): Float32Array {
  return op === 'Args' ? refFakeQuantArgs(p.x, p.mins[0], p.maxs[0], p.numBits, p.narrowRange) :
      op === 'Vars'    ? refFakeQuantVars(p.x, p.mins[0], p.maxs[0], p.numBits, p.narrowRange) :
                         refFakeQuantPerChannel(p.x, p.mins, p.maxs, p.numBits, p.narrowRange);
}

export function referenceGradient(op: Op, p: Problem): {dx: Float32Array, dMin: Float32Array, dMax: Float32Array} {
  if (op === 'Args') {
    return {
      dx: refFakeQuantArgsGradient(p.dy, p.x, p.mins[0], p.maxs[0], p.numBits, p.narrowRange),
      dMin: new Float32Array(0), dMax: new Float32Array(0),
    };
  }
  if (op === 'Vars') {
    const r = refFakeQuantVarsGradient(p.dy, p.x, p.mins[0], p.maxs[0], p.numBits, p.narrowRange);
    return {dx: r.backpropsWrtInput, dMin: Float32Array.of(r.backpropWrtMin), dMax: Float32Array.of(r.backpropWrtMax)};
  }
  const r = refFakeQuantPerChannelGradient(p.dy, p.x, p.mins, p.maxs, p.numBits, p.narrowRange);
  return {dx: r.backpropsWrtInput, dMin: r.backpropWrtMin, dMax: r.backpropWrtMax};
}

/** null when forward and gradient match the reference (the report of the first difference). */
export async function compareWithReference(op: Op, p: Problem, exactSums: boolean): Promise<string|null> {
  const where = `${op} shape [${p.shape}] range [${p.mins}]..[${p.maxs}] numBits ${p.numBits} ` +
      `narrow ${p.narrowRange}`;
  const forward = firstMismatch(await runForward(op, p), referenceForward(op, p), true);
  if (forward != null) return `forward ${where}: ${forward}`;
  const grad = await runGradient(op, p);
  const ref = referenceGradient(op, p);
  const dx = firstMismatch(grad.dx, ref.dx, true);
  if (dx != null) return `dx ${where}: ${dx}`;
  const channels = p.mins.length;
  const terms = refRangeGradientTerms(p.dy, p.x, p.mins, p.maxs, p.numBits, p.narrowRange);
  for (const [name, actual, expected, summands] of [
         ['dMin', grad.dMin, ref.dMin, terms.below], ['dMax', grad.dMax, ref.dMax, terms.above]] as const) {
    const report = exactSums ? firstMismatch(actual, expected) : sumsMismatch(actual, expected, summands);
    if (report != null) return `${name} ${where}: ${report}`;
  }
  const rangeShape = op === 'PerChannel' ? [channels] : [];
  const shapes = op === 'Args' ? [p.shape] : [p.shape, rangeShape, rangeShape];
  if (JSON.stringify(grad.shapes) !== JSON.stringify(shapes)) {
    return `shapes ${where}: ${JSON.stringify(grad.shapes)} != ${JSON.stringify(shapes)}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Random problems
// ---------------------------------------------------------------------------------------------

const f32 = Math.fround;

/** Ranges of every kind the semantics doc calls out, as float32, plus min == max and min > max. */
const rangeArb: fc.Arbitrary<[number, number]> = fc.oneof(
    orderedRangeArb, fc.constant<[number, number]>([0, 0]), fc.constant<[number, number]>([2, 2]),
    fc.constant<[number, number]>([3, 1]));

/** Args rejects min >= max: only proper ranges. */
const argsRangeArb = rangeArb.filter(([lo, hi]) => normalFloat(lo) < normalFloat(hi));

function fillProblem(
    shape: number[], mins: number[], maxs: number[], numBits: number, narrowRange: boolean,
    seed: number): Problem {
  const size = shape.reduce((a, b) => a * b, 1);
  const channels = mins.length;
  const rand = mulberry32(seed);
  const x = new Float32Array(size);
  const dy = new Float32Array(size);
  const nudged = mins.map((lo, c) => refNudge(lo, maxs[c], numBits, narrowRange));
  // Half the problems without NaN / Inf gradients: one of them makes a whole range sum NaN,
  // which would leave the reduction of large inputs unchecked.
  const specialGradients = rand() < 0.5 ? 0.05 : 0;
  for (let i = 0; i < size; i++) {
    const c = i % channels;
    const n = nudged[c];
    const lo = mins[c];
    const hi = maxs[c];
    const span = Math.abs(hi - lo) || 1;
    const special = [NaN, Infinity, -Infinity, 0, -0, n.nudgedMin, n.nudgedMax];
    const r = rand();
    x[i] = r < 0.1 ? special[Math.floor(rand() * special.length)] :
        r < 0.3 && isFinite(n.scale) ? n.nudgedMin + (Math.floor(rand() * 8) + 0.5) * n.scale :  // ties
        Math.min(lo, hi) - span + rand() * 3 * span;
    dy[i] = rand() < specialGradients ? [NaN, Infinity, -Infinity][Math.floor(rand() * 3)] :
                                        (rand() - 0.5) * 8;
  }
  return {shape, x, dy, mins, maxs, numBits, narrowRange};
}

export const problemArb = (op: Op): fc.Arbitrary<Problem> => fc.record({
  channels: op === 'PerChannel' ? fc.integer({min: 1, max: 6}) : fc.constant(1),
  lead: fc.array(fc.integer({min: 1, max: 7}), {maxLength: 3}),
  // Sometimes many rows: the GPU then splits each channel over several workgroups.
  rows: fc.option(fc.integer({min: 100, max: 1500}), {freq: 4}),
  seed: fc.integer(),
  numBits: fc.integer({min: 2, max: 16}),
  narrowRange: fc.boolean(),
}).chain(({channels, lead, rows, seed, numBits, narrowRange}) =>
  fc.array(op === 'Args' ? argsRangeArb : rangeArb, {minLength: channels, maxLength: channels})
      .map(ranges => {
        const dims = rows == null ? lead : [rows, ...lead.slice(0, 1)];
        const shape = op === 'PerChannel' ? [...dims, channels] : dims;
        return fillProblem(
            shape, ranges.map(([lo]) => normalFloat(lo)), ranges.map(([, hi]) => normalFloat(hi)), numBits,
            narrowRange, seed);
      }));

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

const tfTol = (e: number) => 5 * 2 ** -23 * (1 + Math.abs(e));

function toProblem(
    c: {shape: number[], inputs: number[], min: number|number[], max: number|number[],
        numBits: number, narrowRange: boolean},
    gradients?: number[]): Problem {
  return {
    shape: c.shape, x: new Float32Array(c.inputs),
    dy: gradients != null ? new Float32Array(gradients) : new Float32Array(c.inputs.length),
    mins: typeof c.min === 'number' ? [c.min] : c.min,
    maxs: typeof c.max === 'number' ? [c.max] : c.max,
    numBits: c.numBits, narrowRange: c.narrowRange,
  };
}

export function describeBackendSuite(opts: BackendSuiteOptions): void {
  const {exactSums, numRuns} = opts;

  it(`runs on the ${opts.backend} backend`, () => {
    expect(tf.getBackend()).toBe(opts.backend);
  });

  describe('TensorFlow\'s cases', () => {
    it('C++ kernel tests and doc/issue outputs: forward (Args 24, Vars 19, PerChannel 27 + docs)', async () => {
      const cases = [...TF_FORWARD_CASES, ...DOC_CASES];
      expect(TF_FORWARD_CASES.length).toBe(70);
      for (const c of cases) {
        const p = toProblem(c);
        const out = await runForward(c.op, p);
        c.expected.forEach((e, i) => {
          const tol = c.exact ? 0 : tfTol(e);
          if (!(Math.abs(out[i] - e) <= tol)) {
            throw new Error(`${c.name}[${i}]: ${out[i]} vs TF's ${e} (tolerance ${tol})`);
          }
        });
        expect(firstMismatch(out, referenceForward(c.op, p), true)).toBeNull();
      }
    });

    it('C++ kernel tests: gradients exactly (ArgsGradient 4, VarsGradient 5, PerChannelGradient 25)', async () => {
      expect(TF_GRADIENT_CASES.length).toBe(34);
      for (const c of TF_GRADIENT_CASES) {
        const g = await runGradient(c.op, toProblem(c, c.gradients));
        expect({name: c.name, dx: Array.from(g.dx)}).toEqual({name: c.name, dx: c.expectedBackprops});
        if (c.op === 'Args') continue;
        const asArray = (v: number|number[]|undefined) => typeof v === 'number' ? [v] : v;
        expect({name: c.name, dMin: Array.from(g.dMin), dMax: Array.from(g.dMax)})
            .toEqual({name: c.name, dMin: asArray(c.expectedWrtMin), dMax: asArray(c.expectedWrtMax)});
      }
    });

    it('XLA parameter sets: Args, ArgsGradient, Vars and VarsGradient (64 cases)', async () => {
      expect(XLA_CASES.length).toBe(16);
      for (const c of XLA_CASES) {
        const p: Problem = {
          shape: [c.inputs.length], x: new Float32Array(c.inputs), dy: new Float32Array(c.gradients),
          mins: [c.min], maxs: [c.max], numBits: c.numBits, narrowRange: c.narrowRange,
        };
        for (const op of ['Args', 'Vars'] as const) {
          const out = await runForward(op, p);
          c.expected.forEach((e, i) => {
            if (!(Math.abs(out[i] - e) <= c.atol + c.rtol * Math.abs(e))) {
              throw new Error(`${op} ${c.name}[${i}]: ${out[i]} vs ${e}`);
            }
          });
          expect(firstMismatch(out, referenceForward(op, p), true)).toBeNull();
          const g = await runGradient(op, p);
          expect(Array.from(g.dx)).toEqual(c.expectedBackprops);
          if (op === 'Vars') {
            expect([g.dMin[0], g.dMax[0]]).toEqual([c.expectedWrtMin, c.expectedWrtMax]);
          }
        }
      }
    });
  });

  describe('against the float32 reference', () => {
    for (const op of ['Vars', 'Args', 'PerChannel'] as const) {
      it(`${op}: random shapes, ranges, bit widths, ties, NaN and infinities (forward and gradient)`,
         async () => {
           await fc.assert(fc.asyncProperty(problemArb(op), async p => {
             const report = await compareWithReference(op, p, exactSums);
             if (report != null) throw new Error(report);
           }), {numRuns, seed: 20240611, endOnFailure: true});
         });
    }

    it('Args and PerChannel multiply by TF\'s inv_scale, not by 1 / scale', async () => {
      const c = INV_SCALE_CASE;
      for (const op of ['Args', 'PerChannel'] as const) {
        const p = {shape: [c.inputs.length, 1], x: new Float32Array(c.inputs),
                   dy: new Float32Array(c.inputs.length), mins: [c.min], maxs: [c.max],
                   numBits: c.numBits, narrowRange: c.narrowRange};
        expect({op, y: Array.from(await runForward(op, p))}).toEqual({op, y: c.expected});
      }
    });

    it('every level and tie of every bit width (Vars divides, Args multiplies)', async () => {
      for (let numBits = 2; numBits <= 16; numBits++) {
        for (const narrowRange of [false, true]) {
          const [lo, hi] = [-0.37 * numBits, 0.61 * numBits];
          const n = refNudge(lo, hi, numBits, narrowRange);
          const levels = Math.min(2 ** numBits, 600);
          const x = new Float32Array(levels * 3);
          for (let k = 0; k < levels; k++) {
            const v = n.nudgedMin + k * (n.nudgedMax - n.nudgedMin) / (levels - 1);
            x[3 * k] = v;
            x[3 * k + 1] = v + 0.5 * n.scale;
            x[3 * k + 2] = f32(v + 0.5 * n.scale) + n.scale * 2 ** -20;
          }
          const dy = Float32Array.from(x, (_, i) => i % 5 - 2);
          for (const op of ['Vars', 'Args'] as const) {
            const p = {shape: [x.length], x, dy, mins: [lo], maxs: [hi], numBits, narrowRange};
            const report = await compareWithReference(op, p, exactSums);
            if (report != null) throw new Error(report);
          }
        }
      }
    });

    it('large and high-rank inputs (several row chunks per channel)', async () => {
      const rand = mulberry32(7);
      const problems: Array<[Op, number[], number[], number[]]> = [
        ['Vars', [70000], [-2.5], [3.1]],
        ['Args', [3, 2, 1, 2, 3, 2, 5], [-1], [1]],
        ['Vars', [3, 2, 1, 2, 3, 2, 5], [-1], [1]],
        ['PerChannel', [3000, 7], [-1, -2, 0, 0.5, -3, -0.1, 0], [1, 2, 0, 3, -1, 0.1, 1e-3]],
        ['PerChannel', [2, 3, 1, 2, 3, 2, 5], [-1, -2, 0, 0.5, -3], [1, 2, 0, 3, -1]],
        ['PerChannel', [40, 130], Array.from({length: 130}, (_, c) => -1 - c / 10),
         Array.from({length: 130}, (_, c) => 1 + c / 20)],
      ];
      for (const [op, shape, mins, maxs] of problems) {
        const size = shape.reduce((a, b) => a * b, 1);
        const x = Float32Array.from({length: size}, () => rand() * 8 - 4);
        // Integer gradients: every order of adding them is exact, so the range sums must equal
        // the reference exactly, however many partial sums the backend combines.
        const dy = Float32Array.from({length: size}, () => Math.floor(rand() * 9) - 4);
        const report = await compareWithReference(
            op, {shape, x, dy, mins, maxs, numBits: 8, narrowRange: false}, exactSums);
        if (report != null) throw new Error(report);
      }
    });

    it('empty inputs give empty outputs and zero range gradients', async () => {
      for (const op of ['Vars', 'Args', 'PerChannel'] as const) {
        const shape = op === 'PerChannel' ? [0, 3] : [0];
        const mins = op === 'PerChannel' ? [-1, -2, -3] : [-1];
        const maxs = op === 'PerChannel' ? [1, 2, 3] : [1];
        const p = {shape, x: new Float32Array(0), dy: new Float32Array(0), mins, maxs, numBits: 8,
                   narrowRange: false};
        expect(await runForward(op, p)).toEqual(new Float32Array(0));
        const g = await runGradient(op, p);
        expect(g.dx).toEqual(new Float32Array(0));
        if (op !== 'Args') {
          expect(Array.from(g.dMin)).toEqual(mins.map(() => 0));
          expect(Array.from(g.dMax)).toEqual(mins.map(() => 0));
        }
      }
    });
  });

  describe('gradients and memory', () => {
    it('tf.grads routes through the gradient kernels', async () => {
      const x = tf.tensor2d([[-1.3, -0.2, 0.4], [0.9, 1.2, 2.5]]);
      const w = tf.tensor2d([[1, -2, 3], [4, -5, 6]]);
      const vars = tf.grads((a: tf.Tensor, lo: tf.Tensor, hi: tf.Tensor) =>
          tf.sum(tf.mul(fakeQuantWithMinMaxVars(a, lo as tf.Scalar, hi as tf.Scalar), w)));
      const [dx, dMin, dMax] = vars([x, tf.scalar(-1), tf.scalar(1)]);
      const ref = refFakeQuantVarsGradient(await w.data(), await x.data(), -1, 1);
      expect(Array.from(await dx.data())).toEqual(Array.from(ref.backpropsWrtInput));
      expect([(await dMin.data())[0], (await dMax.data())[0]]).toEqual([ref.backpropWrtMin, ref.backpropWrtMax]);

      const perChannel = tf.grads((a: tf.Tensor, lo: tf.Tensor, hi: tf.Tensor) =>
          tf.sum(tf.mul(fakeQuantWithMinMaxVarsPerChannel(a, lo as tf.Tensor1D, hi as tf.Tensor1D), w)));
      const mins = [-1, -0.1, 0];
      const maxs = [1, 0.3, 0];
      const [pdx, pMin, pMax] = perChannel([x, tf.tensor1d(mins), tf.tensor1d(maxs)]);
      const pref = refFakeQuantPerChannelGradient(await w.data(), await x.data(), mins, maxs);
      expect(Array.from(await pdx.data())).toEqual(Array.from(pref.backpropsWrtInput));
      expect(Array.from(await pMin.data())).toEqual(Array.from(pref.backpropWrtMin));
      expect(Array.from(await pMax.data())).toEqual(Array.from(pref.backpropWrtMax));

      const args = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(fakeQuantWithMinMaxArgs(a, -1, 1), w)));
      expect(Array.from(await args(x).data()))
          .toEqual(Array.from(refFakeQuantArgsGradient(await w.data(), await x.data(), -1, 1)));
      tf.dispose([x, w, dx, dMin, dMax, pdx, pMin, pMax]);
    });

    it('keeps tf.memory() flat over training steps', async () => {
      const min = tf.variable(tf.scalar(-0.1));
      const max = tf.variable(tf.scalar(0.1));
      const mins = tf.variable(tf.tensor1d([-0.1, -0.2, -0.3, -0.4]));
      const maxs = tf.variable(tf.tensor1d([0.1, 0.2, 0.3, 0.4]));
      const x = tf.randomUniform([64, 4], -3, 3);
      const optimizer = tf.train.sgd(0.01);
      const step = () => optimizer.minimize(() => tf.add(
          tf.losses.meanSquaredError(x, fakeQuantWithMinMaxVars(x, min, max)),
          tf.losses.meanSquaredError(x, fakeQuantWithMinMaxVarsPerChannel(x, mins, maxs))) as tf.Scalar);
      step();  // optimizer state, shader compilation
      await min.data();
      const afterFirst = tf.memory() as tf.MemoryInfo & {numBytesInGPU?: number};
      for (let i = 0; i < 30; i++) step();
      expect((await min.data())[0]).toBeLessThan(-0.1);
      expect((await max.data())[0]).toBeGreaterThan(0.1);
      const afterAll = tf.memory() as tf.MemoryInfo & {numBytesInGPU?: number};
      expect(afterAll.numTensors).toBe(afterFirst.numTensors);
      expect(afterAll.numBytesInGPU).toBe(afterFirst.numBytesInGPU);
      tf.dispose([min, max, mins, maxs, x]);
      optimizer.dispose();
    });
  });
}
