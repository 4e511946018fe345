/**
 * The test matrix every backend runs, under jest (cpu: test/node/cpu.test.ts, wasm:
 * test/node/wasm.test.ts, webgpu: test/webgpu/fake_quant.webgpu.ts) and jasmine (webgl:
 * test/browser/webgl_matrix.spec.ts), through the package's public ops on the active backend, reading
 * results with the async `data()` (webgpu in Node has no synchronous read):
 *   - TensorFlow's C++ kernel tests, the XLA parameter sets and the doc/issue outputs, for all six
 *     ops: forward within TF's tolerance (exact, sign of zero included, for the atol = rtol = 0
 *     tests) AND bit for bit equal to the float32 reference; gradients exactly, also through
 *     tf.grads;
 *   - property tests on random shapes (rank 0..4; some with up to 1500 rows), per-channel ranges
 *     of every kind, bit widths 2..16, narrowRange, ties, NaN / +-Inf inputs and gradients:
 *     forward and input gradient bit for bit (sign of zero included), range gradients exactly
 *     (`exactSums`) or as sums of the reference's terms in another order (sumsClose: a GPU
 *     reduction; exact for integer gradients);
 *   - every level and tie of every bit width, inv_scale, NaN / Inf / zero-range semantics, large
 *     and high-rank inputs (many partial sums), empty tensors;
 *   - with `float32Runs` (backends that compute like the cpu loops: subnormals kept, sums in index
 *     order), properties over the whole float32 line (float32_cases.ts);
 *   - gradients through tf.grads / tf.grad / tf.variableGrads, and tf.memory(): every call leaves
 *     only its outputs; repeated calls and training steps keep tensors and GPU bytes flat.
 */
import * as tf from '@tensorflow/tfjs';
import * as fc from 'fast-check';

import {fakeQuantWithMinMaxArgs, fakeQuantWithMinMaxArgsGradient, fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {normalFloat, orderedRangeArb} from './arbitraries';
import {firstMismatch, sumsMismatch} from './compare';
import {INV_SCALE_CASE} from './derived_cases';
import {describeCase, type Float32Case, float32CaseArb, FLOAT32_EXAMPLES, fillGradients, fillInputs, toProblem, zeroPointIsUndefined} from './float32_cases';
import {nextDown, nextUp} from './float32';
import {makeData} from './problems';
import {mulberry32} from './random';
import {type Problem, refFakeQuantArgs, refFakeQuantArgsGradient, refFakeQuantPerChannel, refFakeQuantPerChannelGradient, refFakeQuantVars, refFakeQuantVarsGradient, refNudge, refRangeGradientTerms} from './reference';
import {afterAll, beforeAll, check, checkJson, checkNull, describe, it} from './runner';
import {DOC_CASES, TF_FORWARD_CASES, TF_GRADIENT_CASES, XLA_CASES} from './tf_cases';

export type {Op} from './float32_cases';
import type {Op} from './float32_cases';

export interface BackendSuiteOptions {
  backend: string;
  /** Range gradients equal to the sequential float32 reference bit for bit (cpu loops). */
  exactSums: boolean;
  /** fast-check runs per property. */
  numRuns: number;
  /**
   * Runs of each whole-float32-line property (float32_cases.ts); absent on GPUs, which flush
   * subnormals and sum in other orders.
   */
  float32Runs?: number;
  /** An op's data input from its values (default: a fresh tensor); webgl passes packed ones. */
  input?: (values: Float32Array, shape: number[]) => tf.Tensor;
  /**
   * The tie sweep's size: about `levels` levels per bit width, strided (default 4096; Infinity:
   * all), and how many of its ranges also run per tensor (default all 8).
   */
  sweep?: {levels: number, perTensorRanges?: number};
  /** Optimizer steps of the training-memory test (default 30). */
  trainingSteps?: number;
}

export interface GradientResult {
  dx: Float32Array;
  dMin: Float32Array;
  dMax: Float32Array;
  shapes: number[][];
}

const f32 = Math.fround;
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

type InputMaker = (values: Float32Array, shape: number[]) => tf.Tensor;
const freshTensor: InputMaker = (values, shape) => tf.tensor(values, shape);
/** How data inputs are made while a suite runs (its `input` option). */
let makeInput = freshTensor;

function dataTensor(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tidy(() => makeInput(values, shape));
}

async function read(t: tf.Tensor): Promise<Float32Array> {
  return await t.data() as Float32Array;
}

function rangeTensors(p: Problem, op: Op): [tf.Tensor, tf.Tensor] {
  return op === 'PerChannel' ? [tf.tensor1d(p.mins), tf.tensor1d(p.maxs)] :
                               [tf.scalar(p.mins[0]), tf.scalar(p.maxs[0])];
}

/** Runs `call`, checking that it leaves exactly its outputs behind. */
function withOutputsOnly<T extends tf.Tensor[]>(what: string, call: () => T): T {
  const before = tf.memory().numTensors;
  const outputs = call();
  const added = tf.memory().numTensors - before;
  check(added === outputs.length, () => `${what} left ${added} tensors, not its ${outputs.length} outputs`);
  return outputs;
}

export async function runForward(op: Op, p: Problem): Promise<Float32Array> {
  const x = dataTensor(p.x, p.shape);
  const [min, max] = rangeTensors(p, op);
  const [y] = withOutputsOnly(op, () => [op === 'Args' ?
      fakeQuantWithMinMaxArgs(x, p.mins[0], p.maxs[0], p.numBits, p.narrowRange) :
      op === 'Vars' ?
      fakeQuantWithMinMaxVars(x, min as tf.Scalar, max as tf.Scalar, p.numBits, p.narrowRange) :
      fakeQuantWithMinMaxVarsPerChannel(x, min as tf.Tensor1D, max as tf.Tensor1D, p.numBits, p.narrowRange)]);
  checkJson([y.shape, y.dtype], [p.shape, 'float32'], `${op} output shape and dtype`);
  const values = await read(y);
  tf.dispose([x, min, max, y]);
  return values;
}

export async function runGradient(op: Op, p: Problem): Promise<GradientResult> {
  const dy = dataTensor(p.dy, p.shape);
  const x = dataTensor(p.x, p.shape);
  const [min, max] = rangeTensors(p, op);
  const outputs = withOutputsOnly(`${op}Gradient`, (): tf.Tensor[] => {
    if (op === 'Args') {
      return [fakeQuantWithMinMaxArgsGradient(dy, x, p.mins[0], p.maxs[0], p.numBits, p.narrowRange)];
    }
    const r = op === 'Vars' ?
        fakeQuantWithMinMaxVarsGradient(dy, x, min as tf.Scalar, max as tf.Scalar, p.numBits, p.narrowRange) :
        fakeQuantWithMinMaxVarsPerChannelGradient(
            dy, x, min as tf.Tensor1D, max as tf.Tensor1D, p.numBits, p.narrowRange);
    return [r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax];
  });
  check(outputs.every(t => t.dtype === 'float32'), `${op}Gradient outputs are float32`);
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

/**
 * The first forward difference from the reference, with what tells whether the reference sits on
 * a rounding tie: the float32 value TF floors, t = f(f(f(shifted * invScale) - quantZero) + 0.5),
 * is an integer exactly at a tie. null when they agree bit for bit (sign of zero included).
 */
export function forwardReport(actual: Float32Array, expected: Float32Array, p: Problem): string|null {
  const mismatch = firstMismatch(actual, expected, true);
  const i = Number(/element (\d+)/.exec(mismatch ?? '')?.[1] ?? -1);
  if (mismatch == null || i < 0) return mismatch;
  const c = i % p.mins.length;
  const n = refNudge(p.mins[c], p.maxs[c], p.numBits, p.narrowRange);
  const clamped = Math.max(Math.min(p.x[i], n.nudgedMax), n.nudgedMin);
  const shifted = f32(clamped - n.nudgedMin);
  const t = f32(f32(f32(shifted * n.invScale) - n.quantZero) + 0.5);
  return `${mismatch}: x = ${p.x[i]} (channel ${c}); nudged [${n.nudgedMin}, ${n.nudgedMax}], ` +
         `scale ${n.scale}, invScale ${n.invScale}, quantZero ${n.quantZero}; t ${t} ` +
         `(${Number.isInteger(t) ? 'ON A TIE' : 'not a tie'})`;
}

/** Range sums: the reference's bits (`exact`) or its terms added in some order. */
function rangeSumsReport(actual: ArrayLike<number>, expected: ArrayLike<number>,
                         terms: ArrayLike<ArrayLike<number>>, exact: boolean): string|null {
  return exact ? firstMismatch(actual, expected, true) : sumsMismatch(actual, expected, terms);
}

/** null when forward and gradient match the reference (the report of the first difference). */
export async function compareWithReference(op: Op, p: Problem, exactSums: boolean): Promise<string|null> {
  const where = `${op} shape [${p.shape}] range [${p.mins}]..[${p.maxs}] numBits ${p.numBits} ` +
      `narrow ${p.narrowRange}`;
  const forward = forwardReport(await runForward(op, p), referenceForward(op, p), p);
  if (forward != null) return `forward ${where}: ${forward}`;
  const grad = await runGradient(op, p);
  const ref = referenceGradient(op, p);
  const dx = firstMismatch(grad.dx, ref.dx, true);
  if (dx != null) return `dx ${where}: ${dx}`;
  const terms = refRangeGradientTerms(p.dy, p.x, p.mins, p.maxs, p.numBits, p.narrowRange);
  for (const [name, actual, expected, summands] of [
         ['dMin', grad.dMin, ref.dMin, terms.below], ['dMax', grad.dMax, ref.dMax, terms.above]] as const) {
    const report = rangeSumsReport(actual, expected, summands, exactSums);
    if (report != null) return `${name} ${where}: ${report}`;
  }
  const rangeShape = op === 'PerChannel' ? [p.mins.length] : [];
  const shapes = op === 'Args' ? [p.shape] : [p.shape, rangeShape, rangeShape];
  if (JSON.stringify(grad.shapes) !== JSON.stringify(shapes)) {
    return `shapes ${where}: ${JSON.stringify(grad.shapes)} != ${JSON.stringify(shapes)}`;
  }
  return null;
}

async function checkMatchesReference(op: Op, p: Problem, exactSums: boolean): Promise<void> {
  checkNull(await compareWithReference(op, p, exactSums), 'against the reference');
}

// ---------------------------------------------------------------------------------------------
// Random problems of the matrix (valid on every backend)
// ---------------------------------------------------------------------------------------------

/** Ranges of every kind the semantics doc calls out, as float32, plus min == max and min > max. */
const rangeArb: fc.Arbitrary<[number, number]> = fc.oneof(
    orderedRangeArb, fc.constant<[number, number]>([0, 0]), fc.constant<[number, number]>([2, 2]),
    fc.constant<[number, number]>([3, 1]));

/** Args rejects min >= max: only proper ranges. */
const argsRangeArb = rangeArb.filter(([lo, hi]) => normalFloat(lo) < normalFloat(hi));

export const problemArb = (op: Op): fc.Arbitrary<Problem> => fc.record({
  channels: op === 'PerChannel' ? fc.integer({min: 1, max: 6}) : fc.constant(1),
  lead: fc.array(fc.integer({min: 1, max: 7}), {maxLength: 3}),
  // Sometimes many rows: the GPU then splits each channel over several workgroups.
  rows: fc.option(fc.integer({min: 100, max: 1500}), {freq: 4}),
  seed: fc.integer(),
  // Half the problems without NaN / Inf gradients: one of them makes a whole range sum NaN,
  // which would leave the reduction of large inputs unchecked.
  specialGradients: fc.boolean(),
  numBits: fc.integer({min: 2, max: 16}),
  narrowRange: fc.boolean(),
}).chain(({channels, lead, rows, seed, specialGradients, numBits, narrowRange}) =>
  fc.array(op === 'Args' ? argsRangeArb : rangeArb, {minLength: channels, maxLength: channels})
      .map(drawn => {
        const dims = rows == null ? lead : [rows, ...lead.slice(0, 1)];
        const shape = op === 'PerChannel' ? [...dims, channels] : dims;
        const ranges = drawn.map(([lo, hi]): [number, number] => [normalFloat(lo), normalFloat(hi)]);
        const data = specialGradients ? 'withSpecials' : 'finite';
        const {x, dy} = makeData(shape, ranges, numBits, narrowRange, seed, data);
        return describedBriefly(
            {shape, x, dy, mins: ranges.map(r => r[0]), maxs: ranges.map(r => r[1]), numBits, narrowRange},
            `makeData seed ${seed}, ${data}`);
      }));

/**
 * `p` printed in fast-check's counterexample as its parameters, not its data: its values made
 * messages of up to megabytes, which karma's error formatter never finished (karma-esbuild's
 * stack-location regex backtracks: 8,000 characters took 205 s). fast-check's seed and path replay it.
 */
function describedBriefly(p: Problem, data: string): Problem {
  const text = `{shape [${p.shape}], mins [${p.mins}], maxs [${p.maxs}], numBits ${p.numBits}, ` +
      `narrowRange ${p.narrowRange}, ${data}}`;
  return Object.assign(p, {[fc.toStringMethod]: () => text});
}

// ---------------------------------------------------------------------------------------------
// TensorFlow's cases
// ---------------------------------------------------------------------------------------------

const tfTol = (e: number) => 5 * 2 ** -23 * (1 + Math.abs(e));

const asArray = (v: number|number[]) => typeof v === 'number' ? [v] : v;

function caseProblem(
    c: {shape: number[], inputs: number[], min: number|number[], max: number|number[],
        numBits: number, narrowRange: boolean},
    gradients?: number[]): Problem {
  return {
    shape: c.shape, x: new Float32Array(c.inputs),
    dy: gradients != null ? new Float32Array(gradients) : new Float32Array(c.inputs.length),
    mins: asArray(c.min), maxs: asArray(c.max), numBits: c.numBits, narrowRange: c.narrowRange,
  };
}

function checkWithin(out: Float32Array, expected: number[], tol: (e: number) => number, what: string): void {
  check(out.length === expected.length, `${what}: ${out.length} outputs for ${expected.length} expected`);
  expected.forEach((e, i) => check(Math.abs(out[i] - e) <= tol(e),
                                   () => `${what}[${i}]: ${out[i]} vs ${e} (tolerance ${tol(e)})`));
}

async function checkTfForwardCases(): Promise<void> {
  const count = (op: Op) => TF_FORWARD_CASES.filter(c => c.op === op).length;
  checkJson([count('Args'), count('Vars'), count('PerChannel')], [24, 19, 27], 'forward cases per op');
  for (const c of [...TF_FORWARD_CASES, ...DOC_CASES]) {
    check(c.knownDifference == null, `${c.name}: unexpected knownDifference`);
    check(sizeOf(c.shape) === c.inputs.length, `${c.name}: shape and inputs disagree`);
    const p = caseProblem(c);
    const out = await runForward(c.op, p);
    checkWithin(out, c.expected, e => c.exact ? 0 : tfTol(f32(e)), `${c.name} vs TF`);
    if (c.exact) checkNull(firstMismatch(out, Float32Array.from(c.expected), true), `${c.name} exactly`);
    checkNull(forwardReport(out, referenceForward(c.op, p), p), `${c.name} vs the reference`);
  }
}

async function checkTfGradientCases(): Promise<void> {
  const count = (op: Op) => TF_GRADIENT_CASES.filter(c => c.op === op).length;
  checkJson([count('Args'), count('Vars'), count('PerChannel')], [4, 5, 25], 'gradient cases per op');
  for (const c of TF_GRADIENT_CASES) {
    const p = caseProblem(c, c.gradients);
    const g = await runGradient(c.op, p);
    const ref = referenceGradient(c.op, p);
    // The gradients are small integers: every output is exact, whatever the order of the sums.
    checkNull(firstMismatch(g.dx, c.expectedBackprops, true), `${c.name} dx vs TF`);
    checkNull(firstMismatch(g.dx, ref.dx, true), `${c.name} dx vs the reference`);
    if (c.op === 'Args') {
      check(c.expectedWrtMin == null, `${c.name}: Args has no range gradient`);
      continue;
    }
    checkNull(firstMismatch(g.dMin, asArray(c.expectedWrtMin!), true), `${c.name} dMin vs TF`);
    checkNull(firstMismatch(g.dMax, asArray(c.expectedWrtMax!), true), `${c.name} dMax vs TF`);
    checkNull(firstMismatch(g.dMin, ref.dMin, true), `${c.name} dMin vs the reference`);
    checkNull(firstMismatch(g.dMax, ref.dMax, true), `${c.name} dMax vs the reference`);
    const rangeShape = c.op === 'PerChannel' ? [p.mins.length] : [];
    checkJson(g.shapes, [c.shape, rangeShape, rangeShape], `${c.name} gradient shapes`);
  }
}

/** TF's gradient cases through tf.grads of the forward op: the registered gradients. */
async function checkTfGradientCasesThroughGrads(): Promise<void> {
  for (const c of TF_GRADIENT_CASES) {
    const p = caseProblem(c, c.gradients);
    const x = dataTensor(p.x, p.shape);
    const dy = dataTensor(p.dy, p.shape);
    const [min, max] = rangeTensors(p, c.op);
    const grads = c.op === 'Args' ?
        [tf.grad((a: tf.Tensor) => fakeQuantWithMinMaxArgs(a, p.mins[0], p.maxs[0], c.numBits, c.narrowRange))(x, dy)] :
        tf.grads((a: tf.Tensor, lo: tf.Tensor, hi: tf.Tensor) => c.op === 'Vars' ?
            fakeQuantWithMinMaxVars(a, lo as tf.Scalar, hi as tf.Scalar, c.numBits, c.narrowRange) :
            fakeQuantWithMinMaxVarsPerChannel(a, lo as tf.Tensor1D, hi as tf.Tensor1D, c.numBits, c.narrowRange))(
            [x, min, max], dy);
    const [gx, gMin, gMax] = await Promise.all(grads.map(read));
    checkNull(firstMismatch(gx, c.expectedBackprops, true), `${c.name} tf.grads dx`);
    if (c.op !== 'Args') {
      checkNull(firstMismatch(gMin, asArray(c.expectedWrtMin!), true), `${c.name} tf.grads dMin`);
      checkNull(firstMismatch(gMax, asArray(c.expectedWrtMax!), true), `${c.name} tf.grads dMax`);
    }
    tf.dispose([x, dy, min, max, ...grads]);
  }
}

async function checkXlaCases(): Promise<void> {
  check(XLA_CASES.length === 16, 'XLA has 16 parameter sets');
  for (const c of XLA_CASES) {
    const xla = (e: number) => c.atol + c.rtol * Math.abs(e);
    const p: Problem = {
      shape: [c.inputs.length], x: new Float32Array(c.inputs), dy: new Float32Array(c.gradients),
      mins: [c.min], maxs: [c.max], numBits: c.numBits, narrowRange: c.narrowRange,
    };
    for (const op of ['Args', 'Vars'] as const) {
      const out = await runForward(op, p);
      checkWithin(out, c.expected, xla, `${op} ${c.name}`);
      checkNull(forwardReport(out, referenceForward(op, p), p), `${op} ${c.name} vs the reference`);
      const g = await runGradient(op, p);
      checkNull(firstMismatch(g.dx, c.expectedBackprops, true), `${op} ${c.name} dx`);
      checkNull(firstMismatch(g.dx, referenceGradient(op, p).dx, true), `${op} ${c.name} dx vs the reference`);
      if (op === 'Vars') checkJson([g.dMin[0], g.dMax[0]], [c.expectedWrtMin, c.expectedWrtMax], `${c.name} range gradients`);
    }
    // The same range in 3 channels, the 11 inputs repeated per channel: shape [11, 3].
    const three = (values: number[]) => Float32Array.from(values.flatMap(v => [v, v, v]));
    const pc: Problem = {
      shape: [11, 3], x: three(c.inputs), dy: three(c.gradients), mins: [c.min, c.min, c.min],
      maxs: [c.max, c.max, c.max], numBits: c.numBits, narrowRange: c.narrowRange,
    };
    const out = await runForward('PerChannel', pc);
    checkWithin(out, Array.from(three(c.expected)), xla, `PerChannel ${c.name}`);
    checkNull(forwardReport(out, referenceForward('PerChannel', pc), pc), `PerChannel ${c.name} vs the reference`);
    const g = await runGradient('PerChannel', pc);
    checkNull(firstMismatch(g.dx, three(c.expectedBackprops), true), `PerChannel ${c.name} dx`);
    checkNull(firstMismatch(g.dMin, three([c.expectedWrtMin]), true), `PerChannel ${c.name} dMin`);
    checkNull(firstMismatch(g.dMax, three([c.expectedWrtMax]), true), `PerChannel ${c.name} dMax`);
  }
}

/** Outputs quoted in issues that hold exactly for TF's current kernel. */
async function checkQuotedOutputs(): Promise<void> {
  // model-optimization#858 quotes 1.0039215 (the legacy "+ nudged_min" formula); the current
  // kernel gives 128 * scale rounded once (semantics doc §4.2), i.e. float32(128 / 127.5).
  const scale = f32(2 / 255);
  const p = {shape: [3], x: Float32Array.of(-1, 0, 1), dy: new Float32Array(3), mins: [-1], maxs: [1],
             numBits: 8, narrowRange: false};
  checkNull(firstMismatch(await runForward('Vars', p), [f32(-127 * scale), 0, f32(128 * scale)], true), '#858');
  check(f32(128 * scale) === f32(1.0039216), '#858: 128 * scale is 1.0039216');
  // tensorflow#23351: Args(123, min=12, max=123): the range moves to [0, 111].
  const q = {...p, shape: [], x: Float32Array.of(123), dy: new Float32Array(1), mins: [12], maxs: [123]};
  checkJson(Array.from(await runForward('Args', q)), [111], '#23351');
}

// ---------------------------------------------------------------------------------------------
// Deterministic problems
// ---------------------------------------------------------------------------------------------

/** Args and PerChannel multiply by TF's inv_scale (its own division), Vars divides. */
async function checkInvScale(): Promise<void> {
  const c = INV_SCALE_CASE;
  for (const op of ['Args', 'PerChannel'] as const) {
    const p = {shape: [c.inputs.length, 1], x: new Float32Array(c.inputs),
               dy: new Float32Array(c.inputs.length), mins: [c.min], maxs: [c.max],
               numBits: c.numBits, narrowRange: c.narrowRange};
    checkNull(firstMismatch(await runForward(op, p), c.expected, true), `${op} INV_SCALE_CASE`);
  }
  // 16-bit inputs where the two forms differ: a kernel with the other form fails on each.
  const rand = mulberry32(77);
  const candidates = Float32Array.from({length: 200000}, () => -1.1 + 2.4 * rand());
  const args = refFakeQuantArgs(candidates, -1, 1.25, 16, false);
  const vars = refFakeQuantVars(candidates, -1, 1.25, 16, false);
  const x = candidates.filter((_, i) => !Object.is(args[i], vars[i]));
  check(x.length > 0, 'some 16-bit inputs tell the two forms apart');
  for (const op of ['Vars', 'Args', 'PerChannel'] as const) {
    const p = {shape: [x.length, 1], x, dy: new Float32Array(x.length), mins: [-1], maxs: [1.25],
               numBits: 16, narrowRange: false};
    checkNull(forwardReport(await runForward(op, p), referenceForward(op, p), p), `${op} divide/multiply`);
  }
}

const SWEEP_RANGES: Array<[number, number]> = [
  [-1, 1], [-0.75, 0.75], [-0.5, 2.5], [-25, 20], [0.3, 7.1], [-6.6, -0.4], [-1e-3, 3e-3]];

/** Levels k of a bit width, about `most` of them in equal strides (the last always). */
function sweepLevels(steps: number, most: number): number[] {
  const stride = Math.max(1, Math.floor((steps + 1) / most));
  const ks: number[] = [];
  for (let k = 0; k <= steps; k += stride) ks.push(k);
  if (ks[ks.length - 1] !== steps) ks.push(steps);
  return ks;
}

/**
 * Every level and tie of every bit width: each level, the tie above it and the tie's float32
 * neighbours, for several ranges: per channel at once (forward, and gradient with integer dy),
 * and the first `perTensorRanges` of them per tensor (forward).
 */
async function checkTieSweep(exactSums: boolean, most: number, perTensorRanges: number): Promise<void> {
  for (let numBits = 2; numBits <= 16; numBits++) {
    for (const narrowRange of [false, true]) {
      const ranges: Array<[number, number]> = [...SWEEP_RANGES, [-0.37 * numBits, 0.61 * numBits]];
      const ks = sweepLevels((2 ** numBits - 1) - (narrowRange ? 1 : 0), most);
      const d = ranges.length;
      const x = new Float32Array(4 * ks.length * d);
      ranges.forEach(([min, max], c) => {
        const n = refNudge(min, max, numBits, narrowRange);
        ks.forEach((k, j) => {
          const tie = f32(n.nudgedMin + (k + 0.5) * n.scale);
          [tie, nextDown(tie), f32(n.nudgedMin + k * n.scale), nextUp(tie)]
              .forEach((v, m) => x[(4 * j + m) * d + c] = v);
        });
      });
      const dy = Float32Array.from(x, (_, i) => i % 5 - 2);
      const base = {numBits, narrowRange};
      const pc = {...base, shape: [4 * ks.length, d], x, dy, mins: ranges.map(r => r[0]), maxs: ranges.map(r => r[1])};
      // The gradient's masks depend on the bounds only: checked up to 4096 levels, forward beyond.
      if (ks.length <= 4096) {
        await checkMatchesReference('PerChannel', pc, exactSums);
      } else {
        checkNull(forwardReport(await runForward('PerChannel', pc), referenceForward('PerChannel', pc), pc),
                  `PerChannel ${numBits} bits`);
      }
      for (const [c, [min, max]] of ranges.slice(0, perTensorRanges).entries()) {
        const channel = x.filter((_, i) => i % d === c);
        const p = {...base, shape: [channel.length], x: channel, dy: channel, mins: [min], maxs: [max]};
        for (const op of ['Vars', 'Args'] as const) {
          checkNull(forwardReport(await runForward(op, p), referenceForward(op, p), p), `${op} [${min}, ${max}] ${numBits} bits`);
        }
      }
    }
  }
}

/** NaN stays NaN, +-Inf clamp; masked Inf / NaN gradients give NaN (values from the semantics). */
async function checkNanAndInfinities(): Promise<void> {
  // [-1, 1], 8 bits: nudged [-0.99607843, 1.0039216].
  const nmin = f32(-127 * f32(2 / 255));
  const nmax = f32(128 * f32(2 / 255));
  // x: NaN (every mask 0), +Inf (above), -Inf (below), 0 (in), 5 (above), -5 (below).
  const x = Float32Array.of(NaN, Infinity, -Infinity, 0, 5, -5);
  const p = (op: Op, dy: number[]): Problem => ({
    shape: op === 'PerChannel' ? [6, 1] : [6], x, dy: Float32Array.from(dy), mins: [-1], maxs: [1],
    numBits: 8, narrowRange: false,
  });
  for (const op of ['Vars', 'Args', 'PerChannel'] as const) {
    checkNull(firstMismatch(await runForward(op, p(op, [])), [NaN, nmax, nmin, 0, nmax, nmin], true), `${op} forward`);
    const g = await runGradient(op, p(op, [1, 2, 3, Infinity, NaN, -Infinity]));
    checkNull(firstMismatch(g.dx, [0, 0, 0, Infinity, NaN, NaN], true), `${op} dx`);
    if (op === 'Args') continue;
    checkNull(firstMismatch([g.dMin[0], g.dMax[0]], [NaN, NaN]), `${op} range gradients with 0 * Inf terms`);
    // Without Inf / NaN gradients the sums are plain.
    const plain = await runGradient(op, p(op, [1, 2, 3, 4, 5, 6]));
    checkNull(firstMismatch(plain.dx, [0, 0, 0, 4, 0, 0], true), `${op} dx`);
    checkNull(firstMismatch([plain.dMin[0], plain.dMax[0]], [3 + 6, 2 + 5], true), `${op} range gradients`);
  }
}

/** min == max == 0 (either sign of zero): forward +0, gradients pass through, zero range sums. */
async function checkZeroRanges(): Promise<void> {
  const p: Problem = {
    shape: [4, 2], x: Float32Array.of(-3, 0.5, 7, NaN, -0, Infinity, 2, -2),
    dy: Float32Array.of(1, -2, 3, 4, NaN, Infinity, 7, 8), mins: [0, -0], maxs: [0, 0], numBits: 8,
    narrowRange: false,
  };
  checkNull(firstMismatch(await runForward('PerChannel', p), new Float32Array(8), true), 'forward is +0');
  const g = await runGradient('PerChannel', p);
  checkNull(firstMismatch(g.dx, p.dy, true), 'dx passes through');
  checkNull(firstMismatch([...g.dMin, ...g.dMax], [0, 0, 0, 0], true), 'range gradients');
}

/** Large and high-rank inputs (several row chunks, windows or workgroups per channel). */
async function checkLargeInputs(exactSums: boolean): Promise<void> {
  const rand = mulberry32(7);
  // Channels of different ranges, every third one the zero range.
  const mixed = (d: number): [number[], number[]] => [
    Array.from({length: d}, (_, c) => c % 3 === 2 ? 0 : -2.5 + c * 0.1),
    Array.from({length: d}, (_, c) => c % 3 === 2 ? 0 : 3.1 - c * 0.2)];
  const problems: Array<[Op, number[], number[], number[]]> = [
    ['Vars', [70000], [-2.5], [3.1]],
    ['Args', [70000, 3], [-2.5], [3.1]],
    ['PerChannel', [70000, 3], ...mixed(3)],
    ['Args', [3, 2, 1, 2, 3, 2, 5], [-1], [1]],
    ['Vars', [3, 2, 1, 2, 3, 2, 5], [-1], [1]],
    ['PerChannel', [3000, 7], [-1, -2, 0, 0.5, -3, -0.1, 0], [1, 2, 0, 3, -1, 0.1, 1e-3]],
    ['PerChannel', [2, 3, 1, 2, 3, 2, 5], [-1, -2, 0, 0.5, -3], [1, 2, 0, 3, -1]],
    ['PerChannel', [3, 2, 1, 2, 5], ...mixed(5)],
    ['Args', [3, 2, 1, 2, 5], [-2.5], [3.1]],
    ['PerChannel', [2, 3, 1, 2, 3, 7], ...mixed(7)],
    ['PerChannel', [40, 130], Array.from({length: 130}, (_, c) => -1 - c / 10),
     Array.from({length: 130}, (_, c) => 1 + c / 20)],
  ];
  for (const [op, shape, mins, maxs] of problems) {
    const size = sizeOf(shape);
    const x = Float32Array.from({length: size}, () => rand() * 8 - 4);
    // Integer gradients: every order of adding them is exact, so the range sums must equal
    // the reference exactly, however many partial sums the backend combines.
    const dy = Float32Array.from({length: size}, () => Math.floor(rand() * 9) - 4);
    await checkMatchesReference(op, {shape, x, dy, mins, maxs, numBits: 8, narrowRange: false}, exactSums);
  }
}

/** Middle-sized inputs with specials in x and integer gradients: exact range sums in any order. */
async function checkIntegerRangeSums(): Promise<void> {
  const problems: Array<[Op, number[]]> = [
    ['Vars', [301]], ['Vars', [37, 11]], ['Vars', [5, 7, 9]],
    ['PerChannel', [301, 3]], ['PerChannel', [2, 150, 5]], ['PerChannel', [250, 1]],
  ];
  for (const [i, [op, shape]] of problems.entries()) {
    const channels = op === 'PerChannel' ? shape[shape.length - 1] : 1;
    const ranges = Array.from({length: channels}, (_, c): [number, number] => [-1.5 + c * 0.25, 2 - c * 0.5]);
    const {x, dy} = makeData(shape, ranges, 8, false, 40 + i, 'integers');
    await checkMatchesReference(op, {shape, x, dy, mins: ranges.map(r => r[0]), maxs: ranges.map(r => r[1]),
                                     numBits: 8, narrowRange: false}, /* exactSums */ true);
  }
}

async function checkEmptyInputs(): Promise<void> {
  for (const op of ['Vars', 'Args', 'PerChannel'] as const) {
    const shape = op === 'PerChannel' ? [0, 3] : [0];
    const mins = op === 'PerChannel' ? [-1, -2, -3] : [-1];
    const maxs = op === 'PerChannel' ? [1, 2, 3] : [1];
    const p = {shape, x: new Float32Array(0), dy: new Float32Array(0), mins, maxs, numBits: 8,
               narrowRange: false};
    check((await runForward(op, p)).length === 0, `${op}: empty output`);
    const g = await runGradient(op, p);
    check(g.dx.length === 0, `${op}: empty input gradient`);
    if (op !== 'Args') {
      checkNull(firstMismatch([...g.dMin, ...g.dMax], [...mins, ...maxs].map(() => 0), true), `${op}: zero range gradients`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The whole float32 line (cpu-like backends)
// ---------------------------------------------------------------------------------------------

async function checkFloat32Case(c: Float32Case): Promise<void> {
  const report = await compareWithReference(c.op, toProblem(c), /* exactSums */ true);
  if (report != null) throw new Error(`${describeCase(c)}\n${report}`);
}

/** min == +-0 with a scale that underflows: TF's zero point is 0/0 (UB); only forward is defined. */
async function checkUndefinedZeroPoint(): Promise<void> {
  for (const [min, max] of [[0, 1.4e-45], [-0, 1.4e-45], [0, -1.4e-45], [0, 1e-44]]) {
    for (const numBits of max === 1e-44 ? [8, 16] : [2, 8, 16]) {
      const range = {kind: 'ub', min, max};
      check(zeroPointIsUndefined(range, numBits, false), `[${min}, ${max}] ${numBits} bits is the UB case`);
      const x = Float32Array.of(...fillInputs(40, [range], numBits, false, 3, 0.5), -1, 0, 1, 1e-44);
      const y = await runForward('Vars', {shape: [x.length], x, dy: x, mins: [min], maxs: [max], numBits,
                                          narrowRange: false});
      check(y.every(v => v !== v), `[${min}, ${max}] ${numBits} bits: every output NaN`);
    }
  }
}

/** The generators reach the interesting regions (guards against vacuous properties). */
function checkGeneratorsReach(): void {
  const kindsOf = (cases: Float32Case[]) => new Set(cases.flatMap(c => c.ranges.map(r => r.kind)));
  const has = (set: Set<unknown>, values: unknown[], what: string) =>
      values.forEach(v => check(set.has(v), `${what} never ${String(v)}`));
  const vars = fc.sample(float32CaseArb('Vars'), {numRuns: 500, seed: 42});
  has(kindsOf(vars), ['straddles 0', 'min > 0', 'max < 0', '1e-6 wide', '1e30 scale', 'zero',
                      'min == max != 0', 'min > max'], 'Vars ranges');
  check(new Set(vars.map(c => c.numBits)).size === 15, 'Vars: every bit width');
  check(new Set(vars.map(c => c.shape.length)).size === 6, 'Vars: ranks 0..5');
  check(vars.some(c => sizeOf(c.shape) > 1000), 'Vars: some large inputs');
  const pcs = fc.sample(float32CaseArb('PerChannel'), {numRuns: 400, seed: 42});
  has(new Set(pcs.map(c => c.shape.length)), [1, 2, 3, 4, 5], 'PerChannel ranks');
  has(new Set(pcs.map(c => c.ranges.length)), [1, 2, 3, 4, 5, 6, 7, 8], 'PerChannel channels');
  check(new Set(pcs.map(c => c.numBits)).size === 15, 'PerChannel: every bit width');
  has(kindsOf(pcs), ['zero', 'min > 0', 'max < 0', 'straddles 0', 'min == max != 0', 'min > max'],
      'PerChannel ranges');
  check(pcs.some(c => c.ranges.some(r => r.kind === 'zero') && c.ranges.some(r => r.kind !== 'zero')),
        'PerChannel: zero channels beside others');
  const args = fc.sample(float32CaseArb('Args'), {numRuns: 400, seed: 42});
  check(args.every(c => f32(c.ranges[0].min) < f32(c.ranges[0].max)), 'Args: min < max');
  check(new Set(args.map(c => c.numBits)).size === 15, 'Args: every bit width');
  check(args.some(c => c.narrowRange) && args.some(c => !c.narrowRange), 'Args: narrowRange both ways');
  has(kindsOf(args), ['min > 0', 'max < 0', 'straddles 0', '1e-6 wide'], 'Args ranges');
  // Inputs hold NaN, both infinities, both zeros and the exact nudged bounds; gradients NaN,
  // both infinities and negative values.
  const x = Array.from(fillInputs(4000, [{kind: 'doc', min: -1, max: 1}], 8, false, 9, 0.7));
  const n = refNudge(-1, 1, 8, false);
  check(x.some(v => v !== v), 'inputs: NaN');
  has(new Set(x), [Infinity, -Infinity, n.nudgedMin, n.nudgedMax], 'inputs');
  check(x.some(v => Object.is(v, -0)) && x.some(v => Object.is(v, 0)), 'inputs: both zeros');
  const dy = Array.from(fillGradients(4000, 9, 0.7));
  check(dy.some(v => v !== v) && dy.some(v => v < 0), 'gradients: NaN and negative values');
  has(new Set(dy), [Infinity, -Infinity], 'gradients');
}

// ---------------------------------------------------------------------------------------------
// Gradients through the autodiff API, and memory
// ---------------------------------------------------------------------------------------------

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({length: n}, () => lo + (hi - lo) * r());
}

/** Weights in quarters: their sums are exact in any order. */
function quarterWeights(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({length: n}, () => (Math.floor(r() * 17) - 8) / 4 || 0.25);
}

async function checkGradsRouting(): Promise<void> {
  const x = tf.tensor2d([[-1.3, -0.2, 0.4], [0.9, 1.2, 2.5]]);
  const w = tf.tensor2d([[1, -2, 3], [4, -5, 6]]);
  const vars = tf.grads((a: tf.Tensor, lo: tf.Tensor, hi: tf.Tensor) =>
      tf.sum(tf.mul(fakeQuantWithMinMaxVars(a, lo as tf.Scalar, hi as tf.Scalar), w)));
  const [lo, hi] = [tf.scalar(-1), tf.scalar(1)];
  const [dx, dMin, dMax] = vars([x, lo, hi]);
  const ref = refFakeQuantVarsGradient(await w.data(), await x.data(), -1, 1);
  checkNull(firstMismatch(await dx.data(), ref.backpropsWrtInput, true), 'Vars dx');
  checkNull(firstMismatch([(await dMin.data())[0], (await dMax.data())[0]], [ref.backpropWrtMin, ref.backpropWrtMax], true), 'Vars range');
  const args = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(fakeQuantWithMinMaxArgs(a, -1, 1), w)));
  const ga = args(x);
  checkNull(firstMismatch(await ga.data(), refFakeQuantArgsGradient(await w.data(), await x.data(), -1, 1), true), 'Args dx');
  tf.dispose([x, w, lo, hi, dx, dMin, dMax, ga]);
}

const PER_CHANNEL_GRAD_SETUPS = [
  {label: 'rank 2 [40, 4], 8 bits, mixed ranges', shape: [40, 4], min: [-1, 0, 0.3, -3],
   max: [1, 0, 1.7, -1], numBits: 8, narrowRange: false},
  {label: 'rank 4 [2, 3, 5, 3], 4 bits narrow', shape: [2, 3, 5, 3], min: [-0.5, -2, 0],
   max: [2.5, 2, 0], numBits: 4, narrowRange: true},
  {label: 'rank 1 [6], 16 bits', shape: [6], min: [-1, -2, -3, 1, -0.1, 0],
   max: [1, 2, -1, 3, 0.1, 0], numBits: 16, narrowRange: false},
  {label: 'rank 2 [3, 2], zero range', shape: [2, 3], min: [-1, -0.1, 0], max: [1, 0.3, 0], numBits: 8,
   narrowRange: false},
];

/** tf.grads through PerChannel equals the gradient op and the reference, exactly. */
async function checkPerChannelGrads(): Promise<void> {
  for (const s of PER_CHANNEL_GRAD_SETUPS) {
    const n = sizeOf(s.shape);
    const d = s.min.length;
    const x = uniform(n, -4, 4, 5);
    // Each channel's nudged bounds in the data (inclusive / strict masks).
    for (let c = 0; c < d && 2 * d + c < n; c++) {
      if (s.min[c] === 0 && s.max[c] === 0) continue;
      const nr = refNudge(s.min[c], s.max[c], s.numBits, s.narrowRange);
      x[c] = nr.nudgedMin;
      x[d + c] = nr.nudgedMax;
    }
    const w = quarterWeights(n, 6);
    const [xt, wt] = [dataTensor(x, s.shape), dataTensor(w, s.shape)];
    const [mint, maxt] = [tf.tensor1d(s.min), tf.tensor1d(s.max)];
    const grads = withOutputsOnly(`tf.grads ${s.label}`, () => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.mul(fakeQuantWithMinMaxVarsPerChannel(a, b as tf.Tensor1D, c as tf.Tensor1D, s.numBits, s.narrowRange), wt)
            .sum())([xt, mint, maxt]));
    checkJson(grads.map(g => g.shape), [s.shape, [d], [d]], `${s.label} shapes`);
    const [gx, gMin, gMax] = await Promise.all(grads.map(read));
    const e = refFakeQuantPerChannelGradient(w, x, s.min, s.max, s.numBits, s.narrowRange);
    checkNull(firstMismatch(gx, e.backpropsWrtInput, true), `${s.label} dx`);
    checkNull(firstMismatch(gMin, e.backpropWrtMin, true), `${s.label} dMin`);
    checkNull(firstMismatch(gMax, e.backpropWrtMax, true), `${s.label} dMax`);
    const op = fakeQuantWithMinMaxVarsPerChannelGradient(wt, xt, mint, maxt, s.numBits, s.narrowRange);
    checkNull(firstMismatch(gx, await read(op.backpropsWrtInput), true), `${s.label} dx vs the op`);
    checkNull(firstMismatch(gMin, await read(op.backpropWrtMin), true), `${s.label} dMin vs the op`);
    checkNull(firstMismatch(gMax, await read(op.backpropWrtMax), true), `${s.label} dMax vs the op`);
    // Not vacuous: some range gradient is non-zero, some input is masked.
    check(e.backpropWrtMin.some(v => v !== 0) && e.backpropWrtMax.some(v => v !== 0), `${s.label}: non-zero range gradients`);
    check(e.backpropsWrtInput.some((v, i) => v === 0 && w[i] !== 0), `${s.label}: some masked inputs`);
    tf.dispose([xt, wt, mint, maxt, ...grads, ...Object.values(op)]);
  }
}

const ARGS_GRAD_SETUPS = [
  {label: '8 bits [-1, 1]', min: -1, max: 1, numBits: 8, narrowRange: false, shape: [50]},
  {label: '4 bits narrow [-0.5, 2.5], rank 3', min: -0.5, max: 2.5, numBits: 4, narrowRange: true,
   shape: [2, 5, 6]},
  {label: '2 bits [0.3, 1.7] (min > 0)', min: 0.3, max: 1.7, numBits: 2, narrowRange: false, shape: [40]},
  {label: '16 bits [-3, -1] (max < 0)', min: -3, max: -1, numBits: 16, narrowRange: false, shape: [33]},
];

/** The float32 just past a bound, or the nearest normal one where that is subnormal (GPUs flush it). */
const below = (bound: number) => bound === 0 ? -(2 ** -126) : nextDown(bound);
const above = (bound: number) => bound === 0 ? 2 ** -126 : nextUp(bound);

/** tf.grad through Args equals the gradient op and the reference; the bounds are inclusive. */
async function checkArgsGrad(): Promise<void> {
  for (const s of ARGS_GRAD_SETUPS) {
    const n = sizeOf(s.shape);
    const width = s.max - s.min;
    const x = uniform(n, s.min - 0.6 * width, s.max + 0.6 * width, 8);
    const nr = refNudge(s.min, s.max, s.numBits, s.narrowRange);
    [x[0], x[1], x[2], x[3]] = [nr.nudgedMin, nr.nudgedMax, below(nr.nudgedMin), above(nr.nudgedMax)];
    const w = quarterWeights(n, 9);
    const [xt, wt] = [dataTensor(x, s.shape), dataTensor(w, s.shape)];
    const [gxt] = withOutputsOnly(`tf.grad ${s.label}`, () => [tf.grad((a: tf.Tensor) =>
        tf.mul(fakeQuantWithMinMaxArgs(a, s.min, s.max, s.numBits, s.narrowRange), wt).sum())(xt)]);
    checkJson(gxt.shape, s.shape, `${s.label} shape`);
    const gx = await read(gxt);
    checkNull(firstMismatch(gx, refFakeQuantArgsGradient(w, x, s.min, s.max, s.numBits, s.narrowRange), true), `${s.label} dx`);
    const op = fakeQuantWithMinMaxArgsGradient(wt, xt, s.min, s.max, s.numBits, s.narrowRange);
    checkNull(firstMismatch(gx, await read(op), true), `${s.label} dx vs the op`);
    // On the nudged bounds the gradient passes; one float32 outside it is masked (+-0).
    check(gx[0] === w[0] && gx[1] === w[1] && gx[2] === 0 && gx[3] === 0, `${s.label}: masks at the bounds`);
    tf.dispose([xt, wt, gxt, op]);
  }
  // 4 bits narrow [-0.5, 2.5] nudges to [-0.4286, 2.5714]; 8 bits to [-0.5059, 2.4941]: 2.52 is
  // in range only with the op's attrs, -0.45 only with the defaults.
  const x = tf.tensor1d([2.52, -0.45, 0, -0.6]);
  const gx = tf.grad((a: tf.Tensor) => fakeQuantWithMinMaxArgs(a, -0.5, 2.5, 4, true).sum())(x);
  checkNull(firstMismatch(await read(gx), [1, 0, 1, 0], true), 'the attrs reach the gradient');
  tf.dispose([x, gx]);
}

async function checkVariableGrads(exactSums: boolean): Promise<void> {
  const [x, w] = [uniform(90, -3, 3, 31), uniform(90, -2, 2, 32)];
  const [mins, maxs] = [[-1.2, -0.5, 0.2], [0.9, 2.5, 1.1]];
  const [xt, wt] = [dataTensor(x, [30, 3]), dataTensor(w, [30, 3])];
  const min = tf.variable(tf.tensor1d(mins));
  const max = tf.variable(tf.tensor1d(maxs));
  const {value, grads} = tf.variableGrads(
      () => tf.mul(fakeQuantWithMinMaxVarsPerChannel(xt, min, max, 6), wt).sum() as tf.Scalar, [min, max]);
  const e = refFakeQuantPerChannelGradient(w, x, mins, maxs, 6);
  const terms = refRangeGradientTerms(w, x, mins, maxs, 6, false);
  checkNull(rangeSumsReport(await read(grads[min.name]), e.backpropWrtMin, terms.below, exactSums), 'variableGrads min');
  checkNull(rangeSumsReport(await read(grads[max.name]), e.backpropWrtMax, terms.above, exactSums), 'variableGrads max');
  tf.dispose([value, ...Object.values(grads), xt, wt, min, max]);
}

type MemoryInfo = tf.MemoryInfo & {numBytesInGPU?: number};

async function checkMemoryOverCalls(): Promise<void> {
  const x = dataTensor(uniform(1024, -3, 3, 41), [256, 4]);
  const dy = dataTensor(uniform(1024, -1, 1, 42), [256, 4]);
  const [mins, maxs] = [[-1, 0, -2, 0.5], [1, 0, 2, 3]];
  const calls = async () => {
    const outputs = [
      fakeQuantWithMinMaxArgs(x, -1, 1), fakeQuantWithMinMaxArgsGradient(dy, x, -1, 1),
      fakeQuantWithMinMaxVars(x, -1, 1), ...Object.values(fakeQuantWithMinMaxVarsGradient(dy, x, -1, 1)),
      fakeQuantWithMinMaxVarsPerChannel(x, mins, maxs),
      ...Object.values(fakeQuantWithMinMaxVarsPerChannelGradient(dy, x, mins, maxs)),
    ];
    await Promise.all(outputs.map(read));
    tf.dispose(outputs);
  };
  await calls();  // uploads, shader compilation
  const base = tf.memory() as MemoryInfo;
  for (let i = 0; i < 3; i++) await calls();
  await x.data();  // the backend's pending work done: released buffers counted
  const after = tf.memory() as MemoryInfo;
  checkJson([after.numTensors, after.numBytesInGPU], [base.numTensors, base.numBytesInGPU], 'tensors and GPU bytes');
  tf.dispose([x, dy]);
}

async function checkMemoryOverTraining(steps: number): Promise<void> {
  const min = tf.variable(tf.scalar(-0.1));
  const max = tf.variable(tf.scalar(0.1));
  const mins = tf.variable(tf.tensor1d([-0.1, -0.2, -0.3, -0.4]));
  const maxs = tf.variable(tf.tensor1d([0.1, 0.2, 0.3, 0.4]));
  const x = tf.randomUniform([64, 4], -3, 3);
  const optimizer = tf.train.sgd(0.01);
  const step = () => optimizer.minimize(() => tf.add(
      tf.losses.meanSquaredError(x, fakeQuantWithMinMaxVars(x, min, max)),
      tf.losses.meanSquaredError(x, fakeQuantWithMinMaxArgs(fakeQuantWithMinMaxVarsPerChannel(x, mins, maxs), -4, 4))) as tf.Scalar);
  step();  // optimizer state, shader compilation
  await min.data();
  const before = tf.memory() as MemoryInfo;
  for (let i = 0; i < steps; i++) step();
  await min.data();
  const after = tf.memory() as MemoryInfo;
  checkJson([after.numTensors, after.numBytesInGPU], [before.numTensors, before.numBytesInGPU], 'tensors and GPU bytes');
  // The straight-through estimator widened every range.
  const [lo, hi, los, his] = await Promise.all([min, max, mins, maxs].map(read));
  check(lo[0] < -0.1 && hi[0] > 0.1, `Vars range widened: [${lo[0]}, ${hi[0]}]`);
  check(los.every((v, c) => v < [-0.1, -0.2, -0.3, -0.4][c]) && his.every((v, c) => v > [0.1, 0.2, 0.3, 0.4][c]),
        `PerChannel ranges widened: [${los}] [${his}]`);
  tf.dispose([min, max, mins, maxs, x]);
  optimizer.dispose();
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

const OPS: Op[] = ['Vars', 'Args', 'PerChannel'];

export function describeBackendSuite(opts: BackendSuiteOptions): void {
  const {exactSums, numRuns} = opts;

  describe(`the backend matrix (${opts.backend})`, () => {
    beforeAll(() => {
      makeInput = opts.input ?? freshTensor;
    });
    afterAll(() => {
      makeInput = freshTensor;
    });

    it(`runs on the ${opts.backend} backend`, () => {
      check(tf.getBackend() === opts.backend, `the backend is ${tf.getBackend()}`);
    });

    describe('TensorFlow\'s cases', () => {
      it('C++ kernel tests and doc/issue outputs: forward (Args 24, Vars 19, PerChannel 27 + docs)', checkTfForwardCases);
      it('outputs quoted in issues, exactly (#858, #23351)', checkQuotedOutputs);
      it('C++ kernel tests: gradients exactly (ArgsGradient 4, VarsGradient 5, PerChannelGradient 25)', checkTfGradientCases);
      it('C++ kernel tests: the same gradients through tf.grads of the forward ops', checkTfGradientCasesThroughGrads);
      it('XLA parameter sets: Args, Vars and PerChannel (3 channels), forward and gradient', checkXlaCases);
    });

    describe('against the float32 reference', () => {
      for (const op of OPS) {
        it(`${op}: random shapes, ranges, bit widths, ties, NaN and infinities (forward and gradient)`, async () => {
          await fc.assert(fc.asyncProperty(problemArb(op), p => checkMatchesReference(op, p, exactSums)),
                          // The error in the message: jasmine (karma) prints no `cause`.
                          {numRuns, seed: 20240611, endOnFailure: true, includeErrorInReport: true});
        });
      }
      it('Args and PerChannel multiply by TF\'s inv_scale, not by 1 / scale; Vars divides', checkInvScale);
      it('every level and tie of every bit width, several ranges', () => checkTieSweep(
          exactSums, opts.sweep?.levels ?? 4096, opts.sweep?.perTensorRanges ?? SWEEP_RANGES.length + 1));
      it('NaN and +-Inf: NaN stays NaN, Inf clamps; masked Inf / NaN gradients give NaN', checkNanAndInfinities);
      it('min == max == 0 channels: forward +0, gradient passes through, zero range gradients', checkZeroRanges);
      it('large and high-rank inputs (several row chunks per channel)', () => checkLargeInputs(exactSums));
      it('integer gradients: range sums exact over many partial sums', checkIntegerRangeSums);
      it('empty inputs give empty outputs and zero range gradients', checkEmptyInputs);
    });

    if (opts.float32Runs != null) {
      const runs = opts.float32Runs;
      describe('over the whole float32 line, bit for bit (cpu-like arithmetic)', () => {
        for (const op of OPS) {
          it(`${op}: any range, any float32 input and gradient, ranks 0..5`, async () => {
            await fc.assert(fc.asyncProperty(float32CaseArb(op), checkFloat32Case),
                            {numRuns: runs, examples: FLOAT32_EXAMPLES[op].map(e => [e]), endOnFailure: true});
          });
        }
        it('min == +-0 with a scale that underflows to 0: every output NaN', checkUndefinedZeroPoint);
        it('the generators reach the interesting regions (guards against vacuous properties)', checkGeneratorsReach);
      });
    }

    describe('gradients and memory', () => {
      it('tf.grads routes through the gradient kernels', checkGradsRouting);
      it('tf.grads through PerChannel equals the gradient op and the reference', checkPerChannelGrads);
      it('tf.grad through Args equals the gradient op and the reference, with the op\'s attrs', checkArgsGrad);
      it('tf.variableGrads with per-channel variable ranges', () => checkVariableGrads(exactSums));
      it('keeps tensors and GPU bytes flat over repeated calls of all six ops', checkMemoryOverCalls);
      it('keeps tf.memory() flat over training steps', () => checkMemoryOverTraining(opts.trainingSteps ?? 30));
    });
  });
}
