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

/** x uniform in [-1.5, 1.5] (about a third outside [-1, 1]), dy uniform in [-1, 1]. */
function makeInputs(n: number): {x: Float32Array, dy: Float32Array} {
  const r = mulberry32(0x5eed + n);
  const x = new Float32Array(n);
  const dy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (r() * 2 - 1) * 1.5;
    dy[i] = r() * 2 - 1;
  }
  return {x, dy};
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

type Forward = (x: tf.Tensor, min: tf.Scalar, max: tf.Scalar, bits: number, narrow: boolean) =>
    tf.Tensor;

/** syncRead: the formulation reads from the backend synchronously (not possible on webgpu). */
const FORWARD_COMPOSITES: Array<{id: string, label: string, fn: Forward, syncRead?: boolean}> = [
  {
    id: 'minMax',
    label: 'composite fwd (minimum/maximum with nudge tensors)',
    fn: (x, min, max, bits, narrow) => {
      const {nudgedMin, nudgedMax, scale} = nudgeTensors(min, max, bits, narrow);
      const quantZero = quantZeroTensor(min, max, nudgedMin, bits, narrow);
      const clamped = tf.maximum(tf.minimum(x, nudgedMax), nudgedMin);
      return quantizeClamped(clamped, nudgedMin, scale, quantZero);
    },
  },
  {
    id: 'clipByValue',
    label: 'composite fwd (nudged bounds read back, clipByValue)',
    syncRead: true,
    fn: (x, min, max, bits, narrow) => {
      const {nudgedMin, nudgedMax, scale} = nudgeTensors(min, max, bits, narrow);
      const quantZero = quantZeroTensor(min, max, nudgedMin, bits, narrow);
      // clipByValue only takes numbers: one read-back of both nudged bounds.
      const [lo, hi] = tf.stack([nudgedMin, nudgedMax]).dataSync();
      return quantizeClamped(tf.clipByValue(x, lo, hi), nudgedMin, scale, quantZero);
    },
  },
];

interface Grads {
  dx: tf.Tensor;
  dMin: tf.Scalar;
  dMax: tf.Scalar;
}
type Gradient = (dy: tf.Tensor, x: tf.Tensor, min: tf.Scalar, max: tf.Scalar, bits: number,
                 narrow: boolean) => Grads;

const GRADIENT_COMPOSITES: Array<{id: string, label: string, fn: Gradient}> = [
  {
    // TF's own formulation: multiply by float masks (Inf/NaN and -0 behave as in TF).
    id: 'maskMul',
    label: 'composite grad (greaterEqual/lessEqual/logicalAnd, cast, mul, sum)',
    fn: (dy, x, min, max, bits, narrow) => {
      const {nudgedMin, nudgedMax} = nudgeTensors(min, max, bits, narrow);
      const inRange = tf.logicalAnd(tf.greaterEqual(x, nudgedMin), tf.lessEqual(x, nudgedMax));
      return {
        dx: tf.mul(dy, tf.cast(inRange, 'float32')),
        dMin: tf.sum(tf.mul(dy, tf.cast(tf.less(x, nudgedMin), 'float32'))),
        dMax: tf.sum(tf.mul(dy, tf.cast(tf.greater(x, nudgedMax), 'float32'))),
      };
    },
  },
  {
    id: 'where',
    label: 'composite grad (where with zeros, sum)',
    fn: (dy, x, min, max, bits, narrow) => {
      const {nudgedMin, nudgedMax} = nudgeTensors(min, max, bits, narrow);
      const zeros = tf.zerosLike(dy);
      const inRange = tf.logicalAnd(tf.greaterEqual(x, nudgedMin), tf.lessEqual(x, nudgedMax));
      return {
        dx: tf.where(inRange, dy, zeros),
        dMin: tf.sum(tf.where(tf.less(x, nudgedMin), dy, zeros)),
        dMax: tf.sum(tf.where(tf.greater(x, nudgedMax), dy, zeros)),
      };
    },
  },
  {
    // Masks from step() of differences: no bool tensors and no casts.
    id: 'step',
    label: 'composite grad (step masks, 1 - below - above, mul, sum)',
    fn: (dy, x, min, max, bits, narrow) => {
      const {nudgedMin, nudgedMax} = nudgeTensors(min, max, bits, narrow);
      const below = tf.step(tf.sub(nudgedMin, x));
      const above = tf.step(tf.sub(x, nudgedMax));
      return {
        dx: tf.mul(dy, tf.sub(tf.sub(1, below), above)),
        dMin: tf.sum(tf.mul(dy, below)),
        dMax: tf.sum(tf.mul(dy, above)),
      };
    },
  },
];

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

/** The cases that also run on packed x and dy (webgl, RunOptions.packedVariants). */
const PACKED_VARIANT_IDS = new Set(
    ['ours.grad', 'composite.grad.maskMul', 'floor.mulSum', 'ours.fwd', 'composite.fwd.minMax']);

interface Tensors {
  x: tf.Tensor;
  dy: tf.Tensor;
  min: tf.Variable;
  max: tf.Variable;
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

function buildCases(
    env: Env, opts: RunOptions, t: Tensors, arrays: {x: Float32Array, dy: Float32Array},
    variant?: {suffix: string, labelSuffix: string, ids: Set<string>}): Case[] {
  const {x, dy} = t;
  const min = t.min as unknown as tf.Scalar;
  const max = t.max as unknown as tf.Scalar;
  const bits = opts.numBits;
  const narrow = opts.narrowRange;
  const isCpu = env.backend === 'cpu';
  const opCase = (id: string, label: string, group: Group, role: Role, op: Compute): Case =>
      ({id, label, group, role, main: true, run: timedCall(env, opts, group, op), op});
  const gradients = (g: Grads) => [g.dx, g.dMin, g.dMax];

  const cases: Case[] = [];
  cases.push(opCase('ours.grad', 'fakeQuantWithMinMaxVarsGradient', 'gradient', 'ours', () => {
    const r = fakeQuantWithMinMaxVarsGradient(dy, x, min, max, bits, narrow);
    return [r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax];
  }));
  for (const c of GRADIENT_COMPOSITES) {
    cases.push(opCase(`composite.grad.${c.id}`, c.label, 'gradient', 'composite',
                      () => gradients(c.fn(dy, x, min, max, bits, narrow))));
  }
  cases.push(opCase('floor.mulSum', 'floor: one mul + one sum', 'floor', 'floor',
                    () => [tf.sum(tf.mul(dy, x))]));
  cases.push(opCase('ours.fwd', 'fakeQuantWithMinMaxVars', 'forward', 'ours',
                    () => [fakeQuantWithMinMaxVars(x, min, max, bits, narrow)]));
  for (const c of forwardComposites(env)) {
    cases.push(opCase(`composite.fwd.${c.id}`, c.label, 'forward', 'composite',
                      () => [c.fn(x, min, max, bits, narrow)]));
  }
  if (isCpu) {
    // min/max as numbers, read once (the loops get the same values the ops read from the tensors).
    const minV = t.min.dataSync()[0];
    const maxV = t.max.dataSync()[0];
    const n = arrays.x.length;
    const dxPre = new Float32Array(n);
    const yPre = new Float32Array(n);
    cases.push({
      id: 'loop.grad', label: 'plain loop grad (fresh output array)', group: 'gradient',
      role: 'loop', main: true,
      run: () => void loopGradient(arrays.dy, arrays.x, minV, maxV, bits, narrow, new Float32Array(n)),
    });
    cases.push({
      id: 'loop.grad.prealloc', label: 'plain loop grad (preallocated output)', group: 'gradient',
      role: 'loop', main: false,
      run: () => void loopGradient(arrays.dy, arrays.x, minV, maxV, bits, narrow, dxPre),
    });
    cases.push({
      id: 'loop.grad.branchless', label: 'plain loop grad, branchless masks (fresh output array)',
      group: 'gradient', role: 'loop', main: false,
      run: () => void loopGradientBranchless(
          arrays.dy, arrays.x, minV, maxV, bits, narrow, new Float32Array(n)),
    });
    cases.push({
      id: 'loop.fwd', label: 'plain loop fwd (fresh output array)', group: 'forward', role: 'loop',
      main: true,
      run: () => loopForward(arrays.x, minV, maxV, bits, narrow, new Float32Array(n)),
    });
    cases.push({
      id: 'loop.fwd.minMax', label: 'plain loop fwd, Math.min/max clamp (fresh output array)',
      group: 'forward', role: 'loop', main: false,
      run: () => loopForwardMinMax(arrays.x, minV, maxV, bits, narrow, new Float32Array(n)),
    });
    cases.push({
      id: 'loop.fwd.prealloc', label: 'plain loop fwd (preallocated output)', group: 'forward',
      role: 'loop', main: false,
      run: () => loopForward(arrays.x, minV, maxV, bits, narrow, yPre),
    });
  }
  let chosen = cases;
  if (variant) {
    chosen = cases.filter(c => variant.ids.has(c.id)).map(c => ({
      ...c, id: c.id + variant.suffix, label: c.label + variant.labelSuffix, main: false,
    }));
  }
  return opts.filter ? chosen.filter(c => opts.filter!.test(c.id)) : chosen;
}

/** The forward composites this backend can run (no synchronous reads on webgpu). */
function forwardComposites(env: Env): typeof FORWARD_COMPOSITES {
  return FORWARD_COMPOSITES.filter(c => !(c.syncRead && env.webgpu));
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

/** Untimed: every case must compute what the JS reference computes. */
async function sanityChecks(
    env: Env, n: number, opts: RunOptions, t: Tensors, arrays: {x: Float32Array, dy: Float32Array},
    packed?: Tensors): Promise<Check[]> {
  const checks: Check[] = [];
  const bits = opts.numBits;
  const narrow = opts.narrowRange;
  const min = t.min as unknown as tf.Scalar;
  const max = t.max as unknown as tf.Scalar;
  const {scale} = nudge(RANGE_MIN, RANGE_MAX, quantRange(bits, narrow));
  const refY = new Float32Array(n);
  loopForward(arrays.x, RANGE_MIN, RANGE_MAX, bits, narrow, refY);
  const refDx = new Float32Array(n);
  const [refMin, refMax] = loopGradient(arrays.dy, arrays.x, RANGE_MIN, RANGE_MAX, bits, narrow, refDx);
  let absSum = 0;
  for (let i = 0; i < n; i++) absSum += Math.abs(arrays.dy[i]);
  // float32 sums in another order: allow 1e-5 of the sum of |dy|.
  const sumTol = 1e-5 * absSum;

  /** Runs `compute` in a tidy, reads its outputs back and disposes them. */
  const values = async (compute: Compute) => {
    const outs = tf.tidy(compute);
    try {
      return await Promise.all(outs.map(o => o.data()));
    } finally {
      tf.dispose(outs);
    }
  };
  const checkForward = async (what: string, compute: Compute, exact: boolean) => {
    const [y] = await values(compute);
    const {mismatches, maxAbs} = compare(y, refY);
    const ok = exact ? mismatches === 0 : mismatches <= 1e-4 * n && maxAbs <= scale * 1.01;
    checks.push({n, what, ok, detail: `${mismatches} of ${n} differ from the JS loop` +
        (mismatches ? `, max |diff| ${maxAbs.toPrecision(3)} (scale ${scale.toPrecision(3)})` : '')});
  };
  const checkGrads = async (what: string, compute: Compute, exact: boolean) => {
    const [dx, dMinV, dMaxV] = await values(compute);
    const {mismatches} = compare(dx, refDx);
    const dMin = dMinV[0];
    const dMax = dMaxV[0];
    // cpu and wasm run the same float32 loops as the reference: their sums are exact too.
    const sumsOk = exact && !isGpuBackend(opts.backend) ?
        dMin === refMin && dMax === refMax :
        Math.abs(dMin - refMin) <= sumTol && Math.abs(dMax - refMax) <= sumTol;
    const ok = mismatches === 0 && sumsOk;
    checks.push({n, what, ok, detail: `dx: ${mismatches} of ${n} differ; sums ${dMin.toPrecision(7)}, ` +
        `${dMax.toPrecision(7)} vs loop ${refMin.toPrecision(7)}, ${refMax.toPrecision(7)}`});
  };
  {
    const y = new Float32Array(n);
    loopForwardMinMax(arrays.x, RANGE_MIN, RANGE_MAX, bits, narrow, y);
    const fwd = compare(y, refY);
    const dx = new Float32Array(n);
    const [b, a] = loopGradientBranchless(arrays.dy, arrays.x, RANGE_MIN, RANGE_MAX, bits, narrow, dx);
    const grad = compare(dx, refDx);
    checks.push({
      n, what: 'loop variants (branchless grad, min/max fwd)',
      ok: fwd.mismatches === 0 && grad.mismatches === 0 && b === refMin && a === refMax,
      detail: `fwd ${fwd.mismatches} differ, dx ${grad.mismatches} differ, sums ${
          b === refMin && a === refMax ? 'equal' : 'differ'}`,
    });
  }
  const ours = (s: Tensors) => () => {
    const r = fakeQuantWithMinMaxVarsGradient(s.dy, s.x, min, max, bits, narrow);
    return [r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax];
  };
  await checkForward('ours fwd', () => [fakeQuantWithMinMaxVars(t.x, min, max, bits, narrow)], true);
  await checkGrads('ours grad', ours(t), true);
  for (const c of forwardComposites(env)) {
    await checkForward(`composite fwd ${c.id}`, () => [c.fn(t.x, min, max, bits, narrow)], false);
  }
  for (const c of GRADIENT_COMPOSITES) {
    await checkGrads(`composite grad ${c.id}`, () => {
      const g = c.fn(t.dy, t.x, min, max, bits, narrow);
      return [g.dx, g.dMin, g.dMax];
    }, false);
  }
  if (packed) {
    await checkForward(
        'ours fwd @packed', () => [fakeQuantWithMinMaxVars(packed.x, min, max, bits, narrow)], true);
    await checkGrads('ours grad @packed', ours(packed), true);
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

export async function runBench(opts: RunOptions): Promise<{results: CaseResult[], checks: Check[]}> {
  const env = setUpEnv(opts.backend);
  const results: CaseResult[] = [];
  const checks: Check[] = [];
  const addCheck = (c: Check) => {
    checks.push(c);
    opts.onCheck?.(c);
  };
  const initial = [tf.scalar(RANGE_MIN), tf.scalar(RANGE_MAX)];
  const min = tf.variable(initial[0], false, `benchMin${Date.now()}`);
  const max = tf.variable(initial[1], false, `benchMax${Date.now()}`);
  // On the GPU (webgl: packed, what an optimizer's update, packed binary ops, leaves in a variable).
  for (const v of [min, max]) toGPU(env, v, true);
  try {
    for (const n of opts.sizes) {
      const arrays = makeInputs(n);
      const x = uploaded(env, arrays.x, false);
      const dy = uploaded(env, arrays.dy, false);
      const tensors: Tensors = {x, dy, min, max};
      const withPacked = env.webgl != null && opts.packedVariants;
      const packed: Tensors|undefined = withPacked ?
          {x: uploaded(env, arrays.x, true), dy: uploaded(env, arrays.dy, true), min, max} :
          undefined;
      const own = packed ? [x, dy, packed.x, packed.dy] : [x, dy];
      const tensorsBefore = tf.memory().numTensors;
      try {
        for (const c of await sanityChecks(env, n, opts, tensors, arrays, packed)) addCheck(c);
        const cases = buildCases(env, opts, tensors, arrays);
        if (packed) {
          cases.push(...buildCases(
              env, opts, packed, arrays,
              {suffix: '@packed', labelSuffix: ' [packed x, dy]', ids: PACKED_VARIANT_IDS}));
        }

        // Warm-up: interleaved, at least warmupMs and minWarmCalls calls of each case.
        const warm = new Map<Case, number[]>(cases.map(c => [c, []]));
        const warmStart = env.now();
        while (env.now() - warmStart < opts.warmupMs ||
               cases.some(c => warm.get(c)!.length < opts.minWarmCalls)) {
          for (const c of cases) warm.get(c)!.push(await timeCalls(c, 1, env.now));
          await yieldToEventLoop();
        }
        const calls = new Map<Case, number>();
        for (const c of cases) {
          const recent = median(warm.get(c)!.slice(-3));
          calls.set(c, Math.max(1, Math.min(opts.maxCallsPerSample,
                                            Math.ceil(opts.targetSampleMs / Math.max(recent, 1e-3)))));
        }
        if (isGpuBackend(env.backend)) {
          const names = ['x', 'dy', 'min', 'max', 'x@packed', 'dy@packed'];
          const all = [...own.slice(0, 2), min, max, ...own.slice(2)];
          const packing = (t: tf.Tensor) =>
              env.webgl ? (env.webgl.texData.get(t.dataId).isPacked ? 'packed' : 'unpacked') : 'buffer';
          addCheck({
            n, what: 'inputs resident on the GPU', ok: all.every(t => onGPU(env, t)),
            detail: all.map((t, i) => `${names[i]}: ${onGPU(env, t) ? packing(t) : 'not on GPU'}`)
                        .join(', '),
          });
        }

        // Timed rounds: every case once per round, the order rotated each round.
        const samples = new Map<Case, number[]>(cases.map(c => [c, []]));
        const roundsStart = env.now();
        for (let round = 0; round < opts.maxRounds; round++) {
          if (round >= opts.minRounds && env.now() - roundsStart > opts.sizeBudgetMs) break;
          for (let k = 0; k < cases.length; k++) {
            const c = cases[(k + round) % cases.length];
            samples.get(c)!.push(await timeCalls(c, calls.get(c)!, env.now));
          }
          await yieldToEventLoop();
        }

        for (const c of cases) {
          const s = samples.get(c)!;
          const prof = await profileCase(c, env);
          const r: CaseResult = {
            id: c.id, label: c.label, group: c.group, role: c.role, main: c.main, n,
            samplesMs: s.map(v => Number(v.toPrecision(5))), callsPerSample: calls.get(c)!,
            ...summarize(s), ...prof,
          };
          results.push(r);
          opts.onResult?.(r);
        }
        opts.log(`n=${sizeLabel(n)}: ${cases.length} cases, ${samples.get(cases[0])!.length} rounds, ` +
                 `${((env.now() - warmStart) / 1000).toFixed(1)} s`);
      } finally {
        tf.dispose(own);
      }
      const leaked = tf.memory().numTensors - (tensorsBefore - own.length);
      addCheck({n, what: 'no leaked tensors', ok: leaked === 0, detail: `${leaked} left`});
    }
  } finally {
    min.dispose();
    max.dispose();
    tf.dispose(initial);
  }
  return {results, checks};
}
