/**
 * Kernel names (TensorFlow's op names) and the input/attr types of each kernel, after tfjs-core's
 * own `kernel_names.ts`. Kernels, ops, gradients and the converter all refer to these.
 */
import type {NamedTensorInfoMap} from '@tensorflow/tfjs-core';

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

export const FakeQuantWithMinMaxArgs = 'FakeQuantWithMinMaxArgs';
export type FakeQuantWithMinMaxArgsInputs = Pick<NamedTensorInfoMap, 'inputs'>;
/** Args takes its range as float attributes (TF's `min` and `max`). */
export interface FakeQuantWithMinMaxArgsAttrs extends FakeQuantAttrs {
  min: number;
  max: number;
}

export const FakeQuantWithMinMaxArgsGradient = 'FakeQuantWithMinMaxArgsGradient';
export type FakeQuantWithMinMaxArgsGradientInputs = Pick<NamedTensorInfoMap, 'gradients'|'inputs'>;
export type FakeQuantWithMinMaxArgsGradientAttrs = FakeQuantWithMinMaxArgsAttrs;

export const FakeQuantWithMinMaxVarsPerChannel = 'FakeQuantWithMinMaxVarsPerChannel';
export type FakeQuantWithMinMaxVarsPerChannelInputs = FakeQuantWithMinMaxVarsInputs;
export type FakeQuantWithMinMaxVarsPerChannelAttrs = FakeQuantAttrs;

export const FakeQuantWithMinMaxVarsPerChannelGradient = 'FakeQuantWithMinMaxVarsPerChannelGradient';
export type FakeQuantWithMinMaxVarsPerChannelGradientInputs = FakeQuantWithMinMaxVarsGradientInputs;
export type FakeQuantWithMinMaxVarsPerChannelGradientAttrs = FakeQuantAttrs;
