/**
 * The benchmark itself, shared by the Node bench (cpu and webgpu backends, bench_node.ts) and the
 * browser page (webgl backend, browser_page.ts). For each size it builds the cases, checks that
 * they compute the same thing (untimed), warms up (interleaved, at least `warmupMs`), then times
 * interleaved rounds and records medians and min–max, kernel and program counts and peak extra
 * bytes.
 *
 * What one timed call of a case does:
 * - cpu: the op and reading every output back with dataSync (free on cpu: it returns the backing
 *   array), then disposing everything.
 * - wasm: as cpu, except that only the scalar sums are read (reading dx or the forward output
 *   would copy it out of the wasm heap; the backend computes synchronously, so nothing else waits).
 * - webgpu: as webgl below, but asynchronously (WebGPU has no blocking read in Node): the two
 *   scalar sums (gradient, floor) are read with `await data()`; for the forward op the backend's
 *   commands are submitted and `queue.onSubmittedWorkDone()` awaited (no read-back). The composite
 *   that reads the nudged bounds back synchronously (clipByValue) does not run there.
 * - webgl: the op with its inputs already on the GPU. The gradient's two scalar sums are read with
 *   dataSync; dx stays on the GPU (a training step hands it to the next op). It is computed before
 *   the sums (in every case), and WebGL runs commands in order, so the blocking read of the sums
 *   also waits for dx. The forward output stays on the GPU too: one element of it is read (a slice
 *   plus a one-texel read-back) to wait for the pass. Chrome's gl.finish() does not wait (it only
 *   flushes), so it is no barrier. Then everything is disposed. The GPU kernelMs column
 *   (tf.time, timer queries) is a second view that does not depend on read-back latency.
 */
/// <reference types="@webgpu/types" />
import * as tf from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, nudge, quantRange} from '../src';
import {type CaseResult, type Check, type Group, median, type Role, sizeLabel, summarize} from './report';
import {mulberry32} from '../test/shared/random';

const f32 = Math.fround;

export type BenchBackend = 'cpu'|'wasm'|'webgl'|'webgpu';

/** The backends whose programs run on a GPU (inputs uploaded first, program counts, GPU time). */
export function isGpuBackend(backend: string): boolean {
  return backend === 'webgl' || backend === 'webgpu';
}

export interface RunOptions {
  backend: BenchBackend;
  sizes: number[];
  quick: boolean;
  /** Interleaved warm-up per size, at least this long (first-touch memory, JIT, shader compiles). */
  warmupMs: number;
  /** ...and at least this many calls of every case. */
  minWarmCalls: number;
  minRounds: number;
  maxRounds: number;
  /** Stop adding rounds (after minRounds) once the timed rounds of a size took this long. */
  sizeBudgetMs: number;
  /** Calls are batched so that one sample lasts about this long (browser timers are coarse). */
  targetSampleMs: number;
  maxCallsPerSample: number;
  numBits: number;
  narrowRange: boolean;
  /**
   * webgl: the main cases get x and dy as unpacked textures (as tfjs uploads a fresh tensor for an
   * unpacked program). With this set, some cases also run on a second copy stored packed (as the
   * output of most tfjs webgl ops with WEBGL_PACK, e.g. matMul, conv2d and binary ops, so what a
   * layer usually hands to the fake-quant op); their ids end in '@packed'.
   */
  packedVariants: boolean;
  /** webgl: also read one element of dx per gradient call (a check that the sums wait for dx). */
  readDxElement: boolean;
  /** Only run cases whose id matches (plus the ones every ratio needs are NOT added). */
  filter?: RegExp;
  log: (msg: string) => void;
  onResult?: (r: CaseResult) => void;
  onCheck?: (c: Check) => void;
}

export function defaultOptions(
    backend: BenchBackend, quick: boolean, where: 'node'|'browser'): Omit<RunOptions, 'log'> {
  return {
    backend,
    quick,
    sizes: quick ? [1e4, 1e5] : [1e4, 1e5, 1e6, 4e6],
    warmupMs: 1000,
    minWarmCalls: quick ? 2 : 3,
    minRounds: quick ? 5 : 7,
    maxRounds: quick ? 7 : 25,
    sizeBudgetMs: quick ? 4000 : 25000,
    targetSampleMs: where === 'browser' ? 5 : 2,
    maxCallsPerSample: 50,
    numBits: 8,
    narrowRange: false,
    packedVariants: true,
    readDxElement: false,
  };
}

/** The options a result's meta records, in this order (the scripts add their own after them). */
const RECORDED_OPTIONS = [
  'warmupMs', 'minWarmCalls', 'minRounds', 'maxRounds', 'sizeBudgetMs', 'targetSampleMs', 'numBits',
  'narrowRange',
] as const;

export function recordedOptions(opts: Omit<RunOptions, 'log'>): Record<string, number|boolean> {
  return Object.fromEntries(RECORDED_OPTIONS.map(k => [k, opts[k]]));
}

/** The range every case uses: [-1, 1], 8 bits -> nudged [-0.99607843, 1.00392163]. */
const RANGE_MIN = -1;
const RANGE_MAX = 1;

interface Case {
  id: string;
  label: string;
  group: Group;
  role: Role;
  main: boolean;
  /** One complete timed call: op, read-backs / barrier, dispose (async on webgpu). */
  run: () => void | Promise<void>;
  /** The op only, returning its outputs (for tf.profile); absent for JS loops. */
  op?: () => tf.Tensor[];
}

/** x and dy of one size. */
interface Arrays {
  x: Float32Array;
  dy: Float32Array;
}

/** x uniform in [-1.5, 1.5] (about a third outside [-1, 1]), dy uniform in [-1, 1]. */
function makeInputs(n: number): Arrays {
  const r = mulberry32(0x5eed + n);
  const x = new Float32Array(n);
  const dy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (r() * 2 - 1) * 1.5;
    dy[i] = r() * 2 - 1;
  }
  return {x, dy};
}

/** What the ops of a case take: x, dy, the min/max variables, bits and narrow range. */
interface OpInputs {
  x: tf.Tensor;
  dy: tf.Tensor;
  min: tf.Scalar;
  max: tf.Scalar;
  bits: number;
  narrow: boolean;
}

/** What the JS loops take: the same inputs as arrays, min/max as numbers. */
interface LoopInputs {
  x: Float32Array;
  dy: Float32Array;
  min: number;
  max: number;
  bits: number;
  narrow: boolean;
}

/** A JS loop writing its output (dx or y) into `out`; the gradient's returns its two sums. */
type Loop = (a: LoopInputs, out: Float32Array) => unknown;

/** One row of CASES: what one call computes, and where it runs. */
interface CaseSpec {
  id: string;
  label: string;
  group: Group;
  role: Role;
  /** In the main table (false: a variant, only in the table of every formulation). */
  main: boolean;
  /** webgl: also timed on x and dy stored packed (RunOptions.packedVariants). */
  packed?: boolean;
  /** Reads from the backend synchronously: not on webgpu. */
  syncRead?: boolean;
  /** The op: the forward's [y], the gradient's [dx, dMin, dMax], the floor's [sum]. */
  op?: (t: OpInputs) => tf.Tensor[];
  /** cpu only: a plain loop, into a fresh output array per call or a preallocated one. */
  loop?: {fn: Loop, prealloc: boolean};
}

/**
 * Every case, in the order they are timed (each round starts one further). The composites (helpers
 * below) compute the nudge on the backend from the min/max tensors, as a user without this package
 * would; they are not bit-exact in every corner, which does not change their cost.
 */
const CASES: CaseSpec[] = [
  {
    id: 'ours.grad', label: 'fakeQuantWithMinMaxVarsGradient', group: 'gradient', role: 'ours',
    main: true, packed: true,
    op: ({dy, x, min, max, bits, narrow}) => {
      const r = fakeQuantWithMinMaxVarsGradient(dy, x, min, max, bits, narrow);
      return [r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax];
    },
  },
  {
    // TF's own formulation: multiply by float masks (Inf/NaN and -0 behave as in TF).
    id: 'composite.grad.maskMul',
    label: 'composite grad (greaterEqual/lessEqual/logicalAnd, cast, mul, sum)', group: 'gradient',
    role: 'composite', main: true, packed: true,
    op: ({dy, x, min, max, bits, narrow}) => {
      const {nudgedMin, nudgedMax} = nudgeTensors(min, max, bits, narrow);
      const inRange = tf.logicalAnd(tf.greaterEqual(x, nudgedMin), tf.lessEqual(x, nudgedMax));
      return [
        tf.mul(dy, tf.cast(inRange, 'float32')),
        tf.sum(tf.mul(dy, tf.cast(tf.less(x, nudgedMin), 'float32'))),
        tf.sum(tf.mul(dy, tf.cast(tf.greater(x, nudgedMax), 'float32'))),
      ];
    },
  },
  {
    id: 'composite.grad.where', label: 'composite grad (where with zeros, sum)', group: 'gradient',
    role: 'composite', main: true,
    op: ({dy, x, min, max, bits, narrow}) => {
      const {nudgedMin, nudgedMax} = nudgeTensors(min, max, bits, narrow);
      const zeros = tf.zerosLike(dy);
      const inRange = tf.logicalAnd(tf.greaterEqual(x, nudgedMin), tf.lessEqual(x, nudgedMax));
      return [
        tf.where(inRange, dy, zeros),
        tf.sum(tf.where(tf.less(x, nudgedMin), dy, zeros)),
        tf.sum(tf.where(tf.greater(x, nudgedMax), dy, zeros)),
      ];
    },
  },
  {
    // Masks from step() of differences: no bool tensors and no casts.
    id: 'composite.grad.step', label: 'composite grad (step masks, 1 - below - above, mul, sum)',
    group: 'gradient', role: 'composite', main: true,
    op: ({dy, x, min, max, bits, narrow}) => {
      const {nudgedMin, nudgedMax} = nudgeTensors(min, max, bits, narrow);
      const below = tf.step(tf.sub(nudgedMin, x));
      const above = tf.step(tf.sub(x, nudgedMax));
      const dx = tf.mul(dy, tf.sub(tf.sub(1, below), above));
      return [dx, tf.sum(tf.mul(dy, below)), tf.sum(tf.mul(dy, above))];
    },
  },
  {
    id: 'floor.mulSum', label: 'floor: one mul + one sum', group: 'floor', role: 'floor', main: true,
    packed: true, op: ({dy, x}) => [tf.sum(tf.mul(dy, x))],
  },
  {
    id: 'ours.fwd', label: 'fakeQuantWithMinMaxVars', group: 'forward', role: 'ours', main: true,
    packed: true,
    op: ({x, min, max, bits, narrow}) => [fakeQuantWithMinMaxVars(x, min, max, bits, narrow)],
  },
  {
    id: 'composite.fwd.minMax', label: 'composite fwd (minimum/maximum with nudge tensors)',
    group: 'forward', role: 'composite', main: true, packed: true,
    op: ({x, min, max, bits, narrow}) => {
      const {nudgedMin, nudgedMax, scale} = nudgeTensors(min, max, bits, narrow);
      const quantZero = quantZeroTensor(min, max, nudgedMin, bits, narrow);
      const clamped = tf.maximum(tf.minimum(x, nudgedMax), nudgedMin);
      return [quantizeClamped(clamped, nudgedMin, scale, quantZero)];
    },
  },
  {
    id: 'composite.fwd.clipByValue', label: 'composite fwd (nudged bounds read back, clipByValue)',
    group: 'forward', role: 'composite', main: true, syncRead: true,
    op: ({x, min, max, bits, narrow}) => {
      const {nudgedMin, nudgedMax, scale} = nudgeTensors(min, max, bits, narrow);
      const quantZero = quantZeroTensor(min, max, nudgedMin, bits, narrow);
      // clipByValue only takes numbers: one read-back of both nudged bounds.
      const [lo, hi] = tf.stack([nudgedMin, nudgedMax]).dataSync();
      return [quantizeClamped(tf.clipByValue(x, lo, hi), nudgedMin, scale, quantZero)];
    },
  },
  {id: 'loop.grad', label: 'plain loop grad (fresh output array)', group: 'gradient', role: 'loop',
   main: true, loop: {fn: gradientLoop(loopGradient), prealloc: false}},
  {id: 'loop.grad.prealloc', label: 'plain loop grad (preallocated output)', group: 'gradient',
   role: 'loop', main: false, loop: {fn: gradientLoop(loopGradient), prealloc: true}},
  {id: 'loop.grad.branchless', label: 'plain loop grad, branchless masks (fresh output array)',
   group: 'gradient', role: 'loop', main: false,
   loop: {fn: gradientLoop(loopGradientBranchless), prealloc: false}},
  {id: 'loop.fwd', label: 'plain loop fwd (fresh output array)', group: 'forward', role: 'loop',
   main: true, loop: {fn: forwardLoop(loopForward), prealloc: false}},
  {id: 'loop.fwd.minMax', label: 'plain loop fwd, Math.min/max clamp (fresh output array)',
   group: 'forward', role: 'loop', main: false,
   loop: {fn: forwardLoop(loopForwardMinMax), prealloc: false}},
  {id: 'loop.fwd.prealloc', label: 'plain loop fwd (preallocated output)', group: 'forward',
   role: 'loop', main: false, loop: {fn: forwardLoop(loopForward), prealloc: true}},
];

/** The variants of the `packed` cases on packed x and dy (webgl). */
const PACKED_VARIANT = {suffix: '@packed', labelSuffix: ' [packed x, dy]'};

/** Whether a case runs on this backend: the loops on cpu only, no synchronous reads on webgpu. */
function runsOn(spec: CaseSpec, env: Env): boolean {
  if (spec.loop) return env.backend === 'cpu';
  return !(spec.syncRead && env.webgpu);
}

// ---------------------------------------------------------------------------------------------
// Composites: TF's formulas written with stock tfjs ops, the nudge computed from the min/max
// tensors on the backend (scalar ops), as a user without this package would.

interface NudgeTensors {
  nudgedMin: tf.Scalar;
  nudgedMax: tf.Scalar;
  scale: tf.Scalar;
}

function nudgeTensors(min: tf.Scalar, max: tf.Scalar, numBits: number, narrowRange: boolean):
    NudgeTensors {
  const qmin = narrowRange ? 1 : 0;
  const qmax = 2 ** numBits - 1;
  const width = tf.sub(max, min);
  const scale = tf.div(width, qmax - qmin) as tf.Scalar;
  const zeroPointFromMin = tf.sub(qmin, tf.div(min, scale));
  // std::round of a value clipped to [qmin, qmax] (never negative): floor(v + 0.5).
  const zeroPoint = tf.floor(tf.add(tf.clipByValue(zeroPointFromMin, qmin, qmax), 0.5));
  return {
    nudgedMin: tf.mul(tf.sub(qmin, zeroPoint), scale) as tf.Scalar,
    nudgedMax: tf.mul(tf.sub(qmax, zeroPoint), scale) as tf.Scalar,
    scale,
  };
}

/** quant_zero = floor(-nudgedMin * inv_scale + 0.5), inv_scale a division of its own. */
function quantZeroTensor(
    min: tf.Scalar, max: tf.Scalar, nudgedMin: tf.Scalar, numBits: number,
    narrowRange: boolean): tf.Scalar {
  const steps = 2 ** numBits - 1 - (narrowRange ? 1 : 0);
  const invScale = tf.div(steps, tf.sub(max, min));
  return tf.floor(tf.add(tf.mul(tf.neg(nudgedMin), invScale), 0.5)) as tf.Scalar;
}

/** out = floor(((c - nudgedMin) / scale - quantZero) + 0.5) * scale (TF's Vars form). */
function quantizeClamped(c: tf.Tensor, nudgedMin: tf.Tensor, scale: tf.Tensor, quantZero: tf.Tensor):
    tf.Tensor {
  const level = tf.floor(tf.add(tf.sub(tf.div(tf.sub(c, nudgedMin), scale), quantZero), 0.5));
  return tf.mul(level, scale);
}

// ---------------------------------------------------------------------------------------------
// Plain Float32Array loops (cpu only): the same TF-exact work, nudge computed once per call.

function loopGradient(
    dy: Float32Array, x: Float32Array, min: number, max: number, bits: number, narrow: boolean,
    dx: Float32Array): [number, number] {
  const {nudgedMin: lo, nudgedMax: hi} = nudge(min, max, quantRange(bits, narrow));
  let below = 0;
  let above = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const g = dy[i];
    dx[i] = g * (v >= lo && v <= hi ? 1 : 0);
    below = f32(below + g * (v < lo ? 1 : 0));
    above = f32(above + g * (v > hi ? 1 : 0));
  }
  return [below, above];
}

/**
 * The same work with the comparisons turned into numbers (`+(v < lo)`) instead of branches: no
 * branch mispredictions on data that is partly out of range. Bit-identical results (NaN, -0).
 * Written out, like loopForwardMinMax: the loop itself is what is timed.
 */
function loopGradientBranchless(
    dy: Float32Array, x: Float32Array, min: number, max: number, bits: number, narrow: boolean,
    dx: Float32Array): [number, number] {
  const {nudgedMin: lo, nudgedMax: hi} = nudge(min, max, quantRange(bits, narrow));
  let below = 0;
  let above = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const g = dy[i];
    dx[i] = g * (+(v >= lo) & +(v <= hi));
    below = f32(below + g * +(v < lo));
    above = f32(above + g * +(v > hi));
  }
  return [below, above];
}

/** The forward loop with the clamp as Math.max(Math.min(v, hi), lo) (NaN still propagates). */
function loopForwardMinMax(
    x: Float32Array, min: number, max: number, bits: number, narrow: boolean,
    out: Float32Array): void {
  const {nudgedMin: lo, nudgedMax: hi, scale, quantZero} = nudge(min, max, quantRange(bits, narrow));
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const c = Math.max(Math.min(x[i], hi), lo);
    const unrounded = f32(f32(c - lo) / scale);
    out[i] = Math.floor(f32(f32(unrounded - quantZero) + 0.5)) * scale;
  }
}

function loopForward(
    x: Float32Array, min: number, max: number, bits: number, narrow: boolean,
    out: Float32Array): void {
  const {nudgedMin: lo, nudgedMax: hi, scale, quantZero} = nudge(min, max, quantRange(bits, narrow));
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const c = (hi < v ? hi : v) < lo ? lo : (hi < v ? hi : v);
    const unrounded = f32(f32(c - lo) / scale);
    out[i] = Math.floor(f32(f32(unrounded - quantZero) + 0.5)) * scale;
  }
}

/** The loops as CASES calls them (they keep their plain arguments, as they have been timed). */
function gradientLoop(fn: typeof loopGradient): Loop {
  return (a, dx) => fn(a.dy, a.x, a.min, a.max, a.bits, a.narrow, dx);
}

function forwardLoop(fn: typeof loopForward): Loop {
  return (a, out) => fn(a.x, a.min, a.max, a.bits, a.narrow, out);
}

// ---------------------------------------------------------------------------------------------

function compare(a: ArrayLike<number>, b: ArrayLike<number>): {mismatches: number, maxAbs: number} {
  let mismatches = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) {
      mismatches++;
      maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
    }
  }
  return {mismatches, maxAbs};
}

interface Env {
  backend: BenchBackend;
  webgl?: MathBackendWebGL;
  webgpu?: WebGPUBackend;
  /** GPU programs run so far (webgl: runWebGLProgram calls; webgpu: compute dispatches). */
  programCount: () => number;
  /** webgl: while set, the class name of every program run is pushed here. */
  recorder: {names: string[]|null};
  now: () => number;
}

/** Counts every webgl program run (op kernels, pack/unpack, uploads of constants, decodes). */
function countWebGLPrograms(webgl: MathBackendWebGL, recorder: Env['recorder']): () => number {
  type RunProgram = MathBackendWebGL['runWebGLProgram'];
  const holder = webgl as unknown as
      {runWebGLProgram: RunProgram, __benchCount?: number, __benchRecorder?: typeof recorder};
  holder.__benchRecorder = recorder;
  if (holder.__benchCount === undefined) {
    holder.__benchCount = 0;
    const original = holder.runWebGLProgram;
    holder.runWebGLProgram = function(this: MathBackendWebGL, ...args: Parameters<RunProgram>) {
      holder.__benchCount!++;
      holder.__benchRecorder!.names?.push(args[0].constructor.name);
      return original.apply(this, args);
    } as RunProgram;
  }
  return () => holder.__benchCount!;
}

/** Counts every WebGPU compute dispatch (tfjs's programs and our multi-output passes). */
function countWebGPUDispatches(): () => number {
  const prototype = (globalThis as unknown as {GPUComputePassEncoder: {prototype: GPUComputePassEncoder}})
                        .GPUComputePassEncoder.prototype as GPUComputePassEncoder & {__benchCount?: number};
  if (prototype.__benchCount === undefined) {
    prototype.__benchCount = 0;
    const original = prototype.dispatchWorkgroups;
    prototype.dispatchWorkgroups = function(this: GPUComputePassEncoder, ...args) {
      prototype.__benchCount!++;
      return original.apply(this, args);
    };
  }
  return () => prototype.__benchCount!;
}

function setUpEnv(backend: BenchBackend): Env {
  const now = () => performance.now();
  const recorder: {names: string[]|null} = {names: null};
  if (!isGpuBackend(backend)) return {backend, programCount: () => 0, recorder, now};
  if (backend === 'webgpu') {
    const webgpu = tf.backend() as unknown as WebGPUBackend;
    return {backend, webgpu, programCount: countWebGPUDispatches(), recorder, now};
  }
  const webgl = tf.backend() as unknown as MathBackendWebGL;
  return {backend, webgl, programCount: countWebGLPrograms(webgl, recorder), recorder, now};
}

/** webgpu: submits the backend's recorded commands and waits until the GPU has run them. */
async function webgpuDone(webgpu: WebGPUBackend): Promise<void> {
  webgpu.ensureCommandEncoderReady();
  webgpu.endComputePassEncoder();
  webgpu.submitQueue();
  await webgpu.device.queue.onSubmittedWorkDone();
}

/** What a case's op returns: the gradient's [dx, dMin, dMax], the forward's [y], the floor's [sum]. */
type Compute = () => tf.Tensor[];

/** One timed call of an op on this backend, read back as the file comment says. */
function timedCall(env: Env, opts: RunOptions, group: Group, compute: Compute): Case['run'] {
  // Outputs whose values are read: every output on cpu, else the scalars (sums).
  const scalars = (outs: tf.Tensor[]) => (group === 'gradient' ? outs.slice(1) : group === 'floor' ? outs : []);
  if (env.webgpu) {
    const webgpu = env.webgpu;
    return async () => {
      const outs = tf.tidy(compute);
      if (group === 'forward') {
        await webgpuDone(webgpu);
      } else {
        await Promise.all(scalars(outs).map(t => t.data()));
      }
      tf.dispose(outs);
    };
  }
  const readOneElement = (y: tf.Tensor) => void tf.slice(tf.reshape(y, [-1]), [0], [1]).dataSync();
  return () => tf.tidy(() => {
    const outs = compute();
    if (env.backend === 'cpu') {
      for (const t of outs) t.dataSync();
      return;
    }
    for (const t of scalars(outs)) t.dataSync();
    if (env.webgl && (group === 'forward' || (group === 'gradient' && opts.readDxElement))) {
      readOneElement(outs[0]);
    }
  });
}

/** The timed cases of one size: those that run on this backend, then the packed variants. */
function buildCases(
    env: Env, opts: RunOptions, inputs: OpInputs, arrays: Arrays, packed?: OpInputs): Case[] {
  const specs = CASES.filter(s => runsOn(s, env));
  const cases = specs.map(s => toCase(env, opts, s, inputs, arrays));
  if (packed) {
    cases.push(...specs.filter(s => s.packed).map(s => ({
      ...toCase(env, opts, s, packed, arrays),
      id: s.id + PACKED_VARIANT.suffix, label: s.label + PACKED_VARIANT.labelSuffix, main: false,
    })));
  }
  return opts.filter ? cases.filter(c => opts.filter!.test(c.id)) : cases;
}

function toCase(env: Env, opts: RunOptions, spec: CaseSpec, inputs: OpInputs, arrays: Arrays): Case {
  const {id, label, group, role, main} = spec;
  if (spec.loop) return {id, label, group, role, main, run: loopCall(spec.loop, inputs, arrays)};
  const op = () => spec.op!(inputs);
  return {id, label, group, role, main, run: timedCall(env, opts, group, op), op};
}

/** One call of a loop, on min/max read once (the same values the ops read from the tensors). */
function loopCall({fn, prealloc}: NonNullable<CaseSpec['loop']>, t: OpInputs, arrays: Arrays):
    Case['run'] {
  const a: LoopInputs = {
    ...arrays, min: t.min.dataSync()[0], max: t.max.dataSync()[0], bits: t.bits, narrow: t.narrow,
  };
  const n = a.x.length;
  if (prealloc) {
    const out = new Float32Array(n);
    return () => void fn(a, out);
  }
  // A fresh output array per call, as an op must return one.
  return () => void fn(a, new Float32Array(n));
}

/** A float32 tensor uploaded now to the GPU (webgl: packed or not, as runWebGLProgram would). */
function uploaded(env: Env, values: Float32Array, packed: boolean): tf.Tensor {
  const t = tf.tensor1d(values);
  toGPU(env, t, packed);
  return t;
}

function toGPU(env: Env, t: tf.Tensor, packed: boolean): void {
  if (env.webgl) {
    env.webgl.texData.get(t.dataId).isPacked = packed;
    env.webgl.uploadToGPU(t.dataId);
  } else if (env.webgpu) {
    env.webgpu.uploadToGPU(t.dataId);
  }
}

/** Whether the tensor's data is on the GPU (always true on cpu). */
function onGPU(env: Env, t: tf.Tensor): boolean {
  if (env.webgl) return env.webgl.texData.get(t.dataId).texture != null;
  if (env.webgpu) return env.webgpu.tensorMap.get(t.dataId).resource != null;
  return true;
}

/** What every case must compute: the JS loops on the range as numbers. */
interface Reference {
  y: Float32Array;
  dx: Float32Array;
  dMin: number;
  dMax: number;
  /** The quantization step: a composite's forward may be off by one on a few elements. */
  scale: number;
  /** float32 sums in another order: allow 1e-5 of the sum of |dy|. */
  sumTol: number;
}

function reference(a: LoopInputs): Reference {
  const n = a.x.length;
  const y = new Float32Array(n);
  loopForward(a.x, a.min, a.max, a.bits, a.narrow, y);
  const dx = new Float32Array(n);
  const [dMin, dMax] = loopGradient(a.dy, a.x, a.min, a.max, a.bits, a.narrow, dx);
  let absSum = 0;
  for (let i = 0; i < n; i++) absSum += Math.abs(a.dy[i]);
  const {scale} = nudge(a.min, a.max, quantRange(a.bits, a.narrow));
  return {y, dx, dMin, dMax, scale, sumTol: 1e-5 * absSum};
}

/** The loop variants must compute exactly what the reference loops compute. */
function checkLoopVariants(a: LoopInputs, ref: Reference): Check {
  const n = a.x.length;
  const y = new Float32Array(n);
  loopForwardMinMax(a.x, a.min, a.max, a.bits, a.narrow, y);
  const fwd = compare(y, ref.y);
  const dx = new Float32Array(n);
  const [dMin, dMax] = loopGradientBranchless(a.dy, a.x, a.min, a.max, a.bits, a.narrow, dx);
  const grad = compare(dx, ref.dx);
  const sumsEqual = dMin === ref.dMin && dMax === ref.dMax;
  return {
    n, what: 'loop variants (branchless grad, min/max fwd)',
    ok: fwd.mismatches === 0 && grad.mismatches === 0 && sumsEqual,
    detail: `fwd ${fwd.mismatches} differ, dx ${grad.mismatches} differ, ` +
        `sums ${sumsEqual ? 'equal' : 'differ'}`,
  };
}

/** Runs an op in a tidy, reads its outputs back and disposes them. */
async function values(op: () => tf.Tensor[]): Promise<Array<ArrayLike<number>>> {
  const outs = tf.tidy(op);
  try {
    return await Promise.all(outs.map(o => o.data()));
  } finally {
    tf.dispose(outs);
  }
}

/**
 * A forward or gradient case against the reference: ours bit-exact; a composite within one step
 * on at most 1e-4 of the elements, its sums within `sumTol`.
 */
async function checkCase(
    spec: CaseSpec, t: OpInputs, what: string, ref: Reference, backend: BenchBackend):
    Promise<Check> {
  const exact = spec.role === 'ours';
  const outs = await values(() => spec.op!(t));
  const n = ref.y.length;
  if (spec.group === 'forward') {
    const {mismatches, maxAbs} = compare(outs[0], ref.y);
    const ok = exact ? mismatches === 0 : mismatches <= 1e-4 * n && maxAbs <= ref.scale * 1.01;
    const worst = `, max |diff| ${maxAbs.toPrecision(3)} (scale ${ref.scale.toPrecision(3)})`;
    return {n, what, ok, detail: `${mismatches} of ${n} differ from the JS loop${mismatches ? worst : ''}`};
  }
  const {mismatches} = compare(outs[0], ref.dx);
  const dMin = outs[1][0];
  const dMax = outs[2][0];
  // cpu runs the reference's float32 loop: its sums are exact too. wasm's SIMD kernels add in
  // lanes and blocks, the GPUs in trees: another order.
  const sumsOk = exact && backend === 'cpu' ?
      dMin === ref.dMin && dMax === ref.dMax :
      Math.abs(dMin - ref.dMin) <= ref.sumTol && Math.abs(dMax - ref.dMax) <= ref.sumTol;
  const sums = (lo: number, hi: number) => `${lo.toPrecision(7)}, ${hi.toPrecision(7)}`;
  return {
    n, what, ok: mismatches === 0 && sumsOk,
    detail: `dx: ${mismatches} of ${n} differ; sums ${sums(dMin, dMax)} vs loop ${sums(ref.dMin, ref.dMax)}`,
  };
}

/**
 * Untimed: every forward and gradient case must compute what the JS reference computes, and on
 * packed inputs our ops too (the composites' stock ops read packed textures as tfjs tests them).
 */
async function sanityChecks(
    env: Env, opts: RunOptions, inputs: OpInputs, arrays: Arrays, packed?: OpInputs):
    Promise<Check[]> {
  const a: LoopInputs =
      {...arrays, min: RANGE_MIN, max: RANGE_MAX, bits: opts.numBits, narrow: opts.narrowRange};
  const ref = reference(a);
  const checks = [checkLoopVariants(a, ref)];
  // Named after the case: 'composite.fwd.minMax' -> 'composite fwd minMax'.
  const name = (s: CaseSpec) => s.id.replace(/\./g, ' ');
  const specs = CASES.filter(s => s.op && s.group !== 'floor' && runsOn(s, env));
  for (const s of specs) checks.push(await checkCase(s, inputs, name(s), ref, opts.backend));
  if (packed) {
    for (const s of specs.filter(s => s.packed && s.role === 'ours')) {
      checks.push(await checkCase(s, packed, `${name(s)} ${PACKED_VARIANT.suffix}`, ref, opts.backend));
    }
  }
  return checks;
}

async function yieldToEventLoop(): Promise<void> {
  await new Promise<void>(resolve => setTimeout(resolve, 0));
}

/** Mean time per call of `calls` back-to-back calls (no await between sync calls). */
async function timeCalls(c: Case, calls: number, now: () => number): Promise<number> {
  const t0 = now();
  for (let i = 0; i < calls; i++) {
    const pending = c.run();
    if (pending) await pending;
  }
  return (now() - t0) / calls;
}

/** ['A', 'B', 'B'] -> 'A, B×2' (first-seen order). */
function countNames(names: string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, k]) => (k > 1 ? `${n}×${k}` : n)).join(', ');
}

/** Whether tf.time reports GPU time here (webgl timer queries, webgpu timestamp queries). */
function hasGpuTimer(env: Env): boolean {
  if (env.webgl) return true;
  return env.webgpu != null &&
      (env.webgpu as unknown as {supportTimestampQuery?: boolean}).supportTimestampQuery === true;
}

async function profileCase(c: Case, env: Env): Promise<{
  kernels: number|null, kernelNames?: string, peakExtraBytes: number|null, programs: number|null,
  programNames?: string, kernelMs: number|null,
}> {
  let kernels: number|null = null;
  let kernelNames: string|undefined;
  let peakExtraBytes: number|null = null;
  if (c.op) {
    const before = tf.memory().numBytes;
    const info = await tf.profile(() => tf.tidy(() => c.op!()));
    kernels = info.kernels.length;
    kernelNames = countNames(info.kernels.map(k => k.name));
    peakExtraBytes = info.kernels.length ? info.peakBytes - before : 0;
    tf.dispose(info.result as tf.Tensor[]);
  }
  let programs: number|null = null;
  let programNames: string|undefined;
  let kernelMs: number|null = null;
  if (isGpuBackend(env.backend) && c.op) {
    const p0 = env.programCount();
    if (env.webgl) env.recorder.names = [];
    await c.run();
    programs = env.programCount() - p0;
    if (env.webgl) programNames = countNames(env.recorder.names!);
    env.recorder.names = null;
    if (hasGpuTimer(env)) {
      const ms: number[] = [];
      for (let i = 0; i < 3; i++) {
        // The op alone (tf.time cannot await a read); its outputs are disposed afterwards.
        let outs: tf.Tensor[] = [];
        const info = await tf.time(() => {
          outs = tf.tidy(() => c.op!());
        });
        tf.dispose(outs);
        if (typeof info.kernelMs === 'number') ms.push(info.kernelMs);
      }
      kernelMs = ms.length ? median(ms) : null;
    }
  }
  return {kernels, kernelNames, peakExtraBytes, programs, programNames, kernelMs};
}

/**
 * Interleaved warm-up, at least warmupMs and minWarmCalls calls of each case; returns how many
 * calls each sample of a case batches (so that it lasts about targetSampleMs).
 */
async function warmUp(cases: Case[], env: Env, opts: RunOptions): Promise<Map<Case, number>> {
  const warm = new Map<Case, number[]>(cases.map(c => [c, []]));
  const start = env.now();
  const warmEnough = () =>
      env.now() - start >= opts.warmupMs && cases.every(c => warm.get(c)!.length >= opts.minWarmCalls);
  while (!warmEnough()) {
    for (const c of cases) warm.get(c)!.push(await timeCalls(c, 1, env.now));
    await yieldToEventLoop();
  }
  const calls = new Map<Case, number>();
  for (const c of cases) {
    const recent = median(warm.get(c)!.slice(-3));
    calls.set(c, Math.max(1, Math.min(opts.maxCallsPerSample,
                                      Math.ceil(opts.targetSampleMs / Math.max(recent, 1e-3)))));
  }
  return calls;
}

/** Timed rounds: every case once per round, the order rotated each round; the samples per case. */
async function timeRounds(cases: Case[], calls: Map<Case, number>, env: Env, opts: RunOptions):
    Promise<Map<Case, number[]>> {
  const samples = new Map<Case, number[]>(cases.map(c => [c, []]));
  const start = env.now();
  for (let round = 0; round < opts.maxRounds; round++) {
    if (round >= opts.minRounds && env.now() - start > opts.sizeBudgetMs) break;
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + round) % cases.length];
      samples.get(c)!.push(await timeCalls(c, calls.get(c)!, env.now));
    }
    await yieldToEventLoop();
  }
  return samples;
}

/** GPU backends: whether every input is on the GPU before timing (and webgl: how it is stored). */
function residencyCheck(env: Env, n: number, inputs: Array<[string, tf.Tensor]>): Check {
  const packing = (t: tf.Tensor) =>
      env.webgl ? (env.webgl.texData.get(t.dataId).isPacked ? 'packed' : 'unpacked') : 'buffer';
  return {
    n, what: 'inputs resident on the GPU', ok: inputs.every(([, t]) => onGPU(env, t)),
    detail: inputs.map(([name, t]) => `${name}: ${onGPU(env, t) ? packing(t) : 'not on GPU'}`)
                .join(', '),
  };
}

/** One size: inputs, sanity checks, warm-up, timed rounds, one result per case, a leak check. */
async function benchSize(
    env: Env, opts: RunOptions, n: number, min: tf.Scalar, max: tf.Scalar,
    addCheck: (c: Check) => void, addResult: (r: CaseResult) => void): Promise<void> {
  const arrays = makeInputs(n);
  const bits = opts.numBits;
  const narrow = opts.narrowRange;
  // x and dy on the GPU before timing, stored packed or not (webgl).
  const onDevice = (packing: boolean): OpInputs => ({
    x: uploaded(env, arrays.x, packing), dy: uploaded(env, arrays.dy, packing), min, max, bits, narrow,
  });
  const inputs = onDevice(false);
  const packed = env.webgl != null && opts.packedVariants ? onDevice(true) : undefined;
  const own = packed ? [inputs.x, inputs.dy, packed.x, packed.dy] : [inputs.x, inputs.dy];
  const tensorsBefore = tf.memory().numTensors;
  try {
    for (const c of await sanityChecks(env, opts, inputs, arrays, packed)) addCheck(c);
    const cases = buildCases(env, opts, inputs, arrays, packed);
    const start = env.now();
    const calls = await warmUp(cases, env, opts);
    if (isGpuBackend(env.backend)) {
      const named: Array<[string, tf.Tensor]> =
          [['x', inputs.x], ['dy', inputs.dy], ['min', min], ['max', max]];
      if (packed) named.push(['x@packed', packed.x], ['dy@packed', packed.dy]);
      addCheck(residencyCheck(env, n, named));
    }
    const samples = await timeRounds(cases, calls, env, opts);
    for (const c of cases) {
      const s = samples.get(c)!;
      addResult({
        id: c.id, label: c.label, group: c.group, role: c.role, main: c.main, n,
        samplesMs: s.map(v => Number(v.toPrecision(5))), callsPerSample: calls.get(c)!,
        ...summarize(s), ...await profileCase(c, env),
      });
    }
    opts.log(`n=${sizeLabel(n)}: ${cases.length} cases, ${samples.get(cases[0])!.length} rounds, ` +
             `${((env.now() - start) / 1000).toFixed(1)} s`);
  } finally {
    tf.dispose(own);
  }
  const leaked = tf.memory().numTensors - (tensorsBefore - own.length);
  addCheck({n, what: 'no leaked tensors', ok: leaked === 0, detail: `${leaked} left`});
}

export async function runBench(opts: RunOptions): Promise<{results: CaseResult[], checks: Check[]}> {
  const env = setUpEnv(opts.backend);
  const results: CaseResult[] = [];
  const checks: Check[] = [];
  const addCheck = (c: Check) => {
    checks.push(c);
    opts.onCheck?.(c);
  };
  const addResult = (r: CaseResult) => {
    results.push(r);
    opts.onResult?.(r);
  };
  const initial = [tf.scalar(RANGE_MIN), tf.scalar(RANGE_MAX)];
  const min = tf.variable(initial[0], false, `benchMin${Date.now()}`);
  const max = tf.variable(initial[1], false, `benchMax${Date.now()}`);
  // On the GPU (webgl: packed, what an optimizer's update, packed binary ops, leaves in a variable).
  for (const v of [min, max]) toGPU(env, v, true);
  try {
    for (const n of opts.sizes) await benchSize(env, opts, n, min, max, addCheck, addResult);
  } finally {
    min.dispose();
    max.dispose();
    tf.dispose(initial);
  }
  return {results, checks};
}
