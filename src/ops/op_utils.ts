/**
 * Argument conversion and TF's validation rules, shared by every op. Each error names the op, the
 * argument and what to pass instead; ops run these before any kernel.
 */
import {cast, engine, type NamedAttrMap, type NamedTensorMap, type Rank, Tensor, tensor, type TensorLike} from '@tensorflow/tfjs-core';

import type {FakeQuantAttrs, FakeQuantWithMinMaxVarsGradientInputs} from '../kernel_names';
import {MAX_NUM_BITS, MIN_NUM_BITS} from '../quant/defaults';

/**
 * A user's value as an error message shows it: strings quoted, so that '8' does not read as 8;
 * objects by their class (not `[object Object]`).
 */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value === 'object' && value !== null ? describeValue(value) : String(value);
}

export function assertQuantAttrs(numBits: number, narrowRange: boolean, opName: string): void {
  if (!Number.isInteger(numBits) || numBits < MIN_NUM_BITS || numBits > MAX_NUM_BITS) {
    throw new Error(
        `${opName}: \`numBits\` must be an integer between ${MIN_NUM_BITS} and ${MAX_NUM_BITS} ` +
        `(inclusive), as in TensorFlow, but got ${shown(numBits)}.`);
  }
  if (typeof narrowRange !== 'boolean') {
    throw new Error(
        `${opName}: \`narrowRange\` must be a boolean (true quantizes to [1, 2^numBits - 1]), ` +
        `but got ${shown(narrowRange)}.`);
  }
}

/** What a value is, for error messages: `an instance of Object`, `a bigint (1)`, `null`. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return `a ${typeof value} (${String(value)})`;
  return `an instance of ${value.constructor?.name ?? 'Object'}`;
}

function isTypedArray(value: unknown): value is ArrayLike<number> {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function isNested(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || isTypedArray(value);
}

/** The shape tf.tensor infers: the length of the first element at each nesting level. */
function firstElementShape(value: unknown): number[] {
  const shape: number[] = [];
  for (let v = value; isNested(v); v = v[0]) {
    shape.push(v.length);
    if (isTypedArray(v) || v.length === 0) break;
  }
  return shape;
}

/**
 * Checks that a TensorLike is a number, boolean, string, TypedArray or a rectangular nested array
 * of them, as tfjs's convertToTensor does in debug mode (TENSORLIKE_CHECK_SHAPE_CONSISTENCY):
 * tf.tensor takes the shape from the first element of each level and silently misreads the rest
 * (`[[1, 2, 3], [4, 5]]` becomes a [2, 3] tensor of 5 values).
 */
function assertTensorLike(value: unknown, argName: string, opName: string): void {
  const problem = tensorLikeProblem(value, argName, firstElementShape(value), '', 0);
  if (problem != null) {
    throw new Error(
        `${opName}: \`${argName}\` must be a Tensor or a TensorLike (a number, boolean, ` +
        `TypedArray or rectangular nested array of numbers), but ${problem}.`);
  }
}

/** What is wrong with element `path` (at `depth`) of a TensorLike of `shape`, or null. */
function tensorLikeProblem(
    v: unknown, argName: string, shape: number[], path: string, depth: number): string|null {
  const here = `${argName}${path}`;
  const first = `${argName}${'[0]'.repeat(depth)}`;
  if (depth === shape.length) {
    if (['number', 'boolean', 'string'].includes(typeof v)) return null;
    return isNested(v) ? `it is ragged: ${here} is nested deeper than ${first}` :
                         `${here} is ${describeValue(v)}`;
  }
  if (!isNested(v)) {
    return `it is ragged: ${here} is ${describeValue(v)}, but ${first} is an array of ` +
        `${shape[depth]}`;
  }
  if (v.length !== shape[depth]) {
    return `it is ragged: ${here} has ${v.length} element(s), but ${first} has ${shape[depth]}`;
  }
  if (isTypedArray(v)) {
    if (depth + 1 === shape.length) return null;
    return `it is ragged: ${here} is a TypedArray, but ${first} is nested deeper`;
  }
  for (let i = 0; i < v.length; i++) {
    const problem = tensorLikeProblem(v[i], argName, shape, `${path}[${i}]`, depth + 1);
    if (problem != null) return problem;
  }
  return null;
}

/**
 * Converts a Tensor or TensorLike to float32, the only dtype TF's fake-quant ops take. int32 and
 * bool are cast (the cast tensor belongs to the calling op's scope); string and complex64 throw,
 * and so do disposed tensors and values that are not TensorLikes (objects, ragged arrays).
 */
export function toFloat32Tensor<R extends Rank = Rank>(
    x: Tensor|TensorLike, argName: string, opName: string): Tensor<R> {
  if (x == null) {
    throw new Error(`${opName}: \`${argName}\` is required, but got ${String(x)}.`);
  }
  if (x instanceof Tensor && x.isDisposed) {
    throw new Error(
        `${opName}: \`${argName}\` is a disposed tensor (shape [${x.shape.join(', ')}]): pass a ` +
        `live tensor (was it disposed, or created inside a tf.tidy that has ended?).`);
  }
  if (!(x instanceof Tensor)) assertTensorLike(x, argName, opName);
  const t = x instanceof Tensor ? x : tensor(x as TensorLike);
  if (t.dtype === 'string' || t.dtype === 'complex64') {
    throw new Error(
        `${opName}: \`${argName}\` must be a float32 tensor (int32 and bool are cast), ` +
        `but got a ${t.dtype} tensor.`);
  }
  return (t.dtype === 'float32' ? t : cast(t, 'float32')) as Tensor<R>;
}

function shapeText(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

export function assertScalar(t: Tensor, argName: string, opName: string, hint = ''): void {
  if (t.rank !== 0) {
    throw new Error(
        `${opName}: \`${argName}\` must be a scalar (rank 0), but has rank ${t.rank} ` +
        `(shape ${shapeText(t)}). Pass a number or a tf.scalar.${hint}`);
  }
}

export function assertSameShape(
    a: Tensor, b: Tensor, aName: string, bName: string, opName: string): void {
  const same = a.rank === b.rank && a.shape.every((d, i) => d === b.shape[i]);
  if (!same) {
    throw new Error(
        `${opName}: \`${aName}\` and \`${bName}\` must have the same shape, but got ` +
        `${shapeText(a)} and ${shapeText(b)}.`);
  }
}

/** Args takes its range as float attributes, and TF rejects min >= max (as float32) for it. */
export function assertArgsRange(min: number, max: number, opName: string): void {
  if (typeof min !== 'number' || typeof max !== 'number' || !(Math.fround(min) < Math.fround(max))) {
    throw new Error(
        `${opName}: \`min\` has to be smaller than \`max\` (both numbers, in that order after the ` +
        `input), as in TensorFlow, but got min ${shown(min)} and max ${shown(max)}.`);
  }
}

/** TF's PerChannel rules: inputs of rank >= 1, min/max 1-D of the last dimension's size. */
export function assertPerChannelRange(
    inputs: Tensor, min: Tensor, max: Tensor, opName: string): void {
  if (inputs.rank < 1) {
    throw new Error(
        `${opName}: \`inputs\` must be at least rank 1 (channels are its last dimension), but ` +
        `is a scalar. Use the per-tensor ops (fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient) for a scalar.`);
  }
  const channels = inputs.shape[inputs.rank - 1];
  for (const [name, t] of [['min', min], ['max', max]] as const) {
    if (t.rank !== 1 || t.shape[0] !== channels) {
      throw new Error(
          `${opName}: \`${name}\` must be 1-D with one value per channel (the last dimension of ` +
          `\`inputs\`, ${channels}), but has shape ${shapeText(t)}.`);
    }
  }
}

/** The four arguments of a range-tensor gradient op (Vars, PerChannel), converted and checked. */
export function toGradientKernelInputs(
    gradients: Tensor|TensorLike, inputs: Tensor|TensorLike, min: Tensor|TensorLike,
    max: Tensor|TensorLike,
    opName: string): {gradients: Tensor, inputs: Tensor, min: Tensor, max: Tensor} {
  const $gradients = toFloat32Tensor(gradients, 'gradients', opName);
  const $inputs = toFloat32Tensor(inputs, 'inputs', opName);
  assertSameShape($gradients, $inputs, 'gradients', 'inputs', opName);
  return {
    gradients: $gradients,
    inputs: $inputs,
    min: toFloat32Tensor(min, 'min', opName),
    max: toFloat32Tensor(max, 'max', opName),
  };
}

/** Runs a range-tensor gradient kernel and names its three outputs as TF does. */
export function runRangeGradientKernel<T extends Tensor, R extends Tensor>(
    kernelName: string, kernelInputs: FakeQuantWithMinMaxVarsGradientInputs,
    attrs: FakeQuantAttrs): {backpropsWrtInput: T, backpropWrtMin: R, backpropWrtMax: R} {
  const [backpropsWrtInput, backpropWrtMin, backpropWrtMax] = engine().runKernel<Tensor[]>(
      kernelName, kernelInputs as unknown as NamedTensorMap, attrs as unknown as NamedAttrMap);
  return {
    backpropsWrtInput: backpropsWrtInput as T,
    backpropWrtMin: backpropWrtMin as R,
    backpropWrtMax: backpropWrtMax as R,
  };
}
