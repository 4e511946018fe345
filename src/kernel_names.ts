/**
 * Kernel names (TensorFlow's op names) and the input/attr types of each kernel, after tfjs-core's
 * own `kernel_names.ts`. Kernels, ops, gradients and the converter all refer to these.
 */
import {NamedTensorInfoMap} from '@tensorflow/tfjs-core';

/** Attributes shared by every fake-quant kernel (TF's `num_bits` and `narrow_range`). */
export interface FakeQuantAttrs {
  numBits: number;
  narrowRange: boolean;
}

export const FakeQuantWithMinMaxVars = 'FakeQuantWithMinMaxVars';
export type FakeQuantWithMinMaxVarsInputs = Pick<NamedTensorInfoMap, 'inputs'|'min'|'max'>;
export type FakeQuantWithMinMaxVarsAttrs = FakeQuantAttrs;

export const FakeQuantWithMinMaxVarsGradient = 'FakeQuantWithMinMaxVarsGradient';
export type FakeQuantWithMinMaxVarsGradientInputs =
    Pick<NamedTensorInfoMap, 'gradients'|'inputs'|'min'|'max'>;
export type FakeQuantWithMinMaxVarsGradientAttrs = FakeQuantAttrs;
