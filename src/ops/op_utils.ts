/**
 * Argument conversion and TF's validation rules, shared by every op. Each error names the op, the
 * argument and what to pass instead; ops run these before any kernel.
 */
import {cast, engine, NamedAttrMap, NamedTensorMap, Rank, Tensor, tensor, TensorLike} from '@tensorflow/tfjs-core';

import {FakeQuantAttrs, FakeQuantWithMinMaxVarsGradientInputs} from '../kernel_names';
import {MAX_NUM_BITS, MIN_NUM_BITS} from '../quant/nudge';

export function assertQuantAttrs(numBits: number, narrowRange: boolean, opName: string): void {
  if (!Number.isInteger(numBits) || numBits < MIN_NUM_BITS || numBits > MAX_NUM_BITS) {
    throw new Error(
        `${opName}: \`numBits\` must be an integer between ${MIN_NUM_BITS} and ${MAX_NUM_BITS} ` +
        `(inclusive), as in TensorFlow, but got ${String(numBits)}.`);
  }
  if (typeof narrowRange !== 'boolean') {
    throw new Error(
        `${opName}: \`narrowRange\` must be a boolean (true quantizes to [1, 2^numBits - 1]), ` +
        `but got ${String(narrowRange)}.`);
  }
}

/**
 * Converts a Tensor or TensorLike to float32, the only dtype TF's fake-quant ops take. int32 and
 * bool are cast (the cast tensor belongs to the calling op's scope); string and complex64 throw.
 */
export function toFloat32Tensor<R extends Rank = Rank>(
    x: Tensor|TensorLike, argName: string, opName: string): Tensor<R> {
  if (x == null) {
    throw new Error(`${opName}: \`${argName}\` is required, but got ${String(x)}.`);
  }
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
        `${opName}: \`min\` has to be smaller than \`max\` (both numbers), as in TensorFlow, but ` +
        `got min ${String(min)} and max ${String(max)}.`);
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
