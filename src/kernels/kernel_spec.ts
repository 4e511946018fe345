/**
 * What each fake-quant kernel is, written once and backend-neutral. Every backend's kernel file
 * reads its spec (level form, per-tensor or per-channel, where the range comes from, which
 * gradients) instead of restating TF's choices, and every backend reads the range through
 * `kernelRange`, the one range type.
 */
import type {KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';

import {type FakeQuantAttrs, FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxArgsGradient, FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsGradient, FakeQuantWithMinMaxVarsPerChannel, FakeQuantWithMinMaxVarsPerChannelGradient} from '../kernel_names';
import type {LevelForm} from '../quant/fake_quant_impl';

/** Which outputs a kernel has: the forward, the input gradient alone, or also the range's. */
export type KernelOutputs = 'forward'|'inputGradient'|'inputAndRangeGradients';

export interface FakeQuantKernelSpec {
  kernelName: string;
  /** TF's quirk: Vars divides by the scale; Args and PerChannel multiply by its inverse. */
  form: LevelForm;
  /** One range per innermost-axis channel (PerChannel), or one for the whole tensor. */
  perChannel: boolean;
  /** min/max input tensors (Vars, PerChannel) or TF's float attributes `min`/`max` (Args). */
  rangeFrom: 'tensors'|'attributes';
  outputs: KernelOutputs;
}

function spec(
    kernelName: string, op: 'Vars'|'Args'|'PerChannel', outputs: KernelOutputs): FakeQuantKernelSpec {
  return {
    kernelName,
    form: op === 'Vars' ? 'divide' : 'multiply',
    perChannel: op === 'PerChannel',
    rangeFrom: op === 'Args' ? 'attributes' : 'tensors',
    outputs,
  };
}

export const FAKE_QUANT_KERNEL_SPECS = {
  [FakeQuantWithMinMaxVars]: spec(FakeQuantWithMinMaxVars, 'Vars', 'forward'),
  [FakeQuantWithMinMaxVarsGradient]:
      spec(FakeQuantWithMinMaxVarsGradient, 'Vars', 'inputAndRangeGradients'),
  [FakeQuantWithMinMaxArgs]: spec(FakeQuantWithMinMaxArgs, 'Args', 'forward'),
  [FakeQuantWithMinMaxArgsGradient]: spec(FakeQuantWithMinMaxArgsGradient, 'Args', 'inputGradient'),
  [FakeQuantWithMinMaxVarsPerChannel]:
      spec(FakeQuantWithMinMaxVarsPerChannel, 'PerChannel', 'forward'),
  [FakeQuantWithMinMaxVarsPerChannelGradient]:
      spec(FakeQuantWithMinMaxVarsPerChannelGradient, 'PerChannel', 'inputAndRangeGradients'),
} as const satisfies Record<string, FakeQuantKernelSpec>;

/**
 * A kernel's range, whichever op: min/max tensors or attribute numbers, with its channel count
 * (1 for the per-tensor ops). `shape` is the shape of each range gradient (that of `min`).
 */
export type KernelRange =
    {from: 'tensors', min: TensorInfo, max: TensorInfo, channels: number, shape: number[]}|
    {from: 'attributes', min: number, max: number, channels: 1, shape: []};

/** The range values on the CPU, one entry per channel: what the cpu loops take. */
export interface RangeValues {
  mins: ArrayLike<number>;
  maxs: ArrayLike<number>;
}

/** A kernel's inputs and attributes, read as its spec says (`dy` only for the gradients). */
export interface KernelArgs {
  x: TensorInfo;
  dy: TensorInfo|null;
  range: KernelRange;
  attrs: FakeQuantAttrs;
}

export function kernelArgs(
    kernelSpec: FakeQuantKernelSpec, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): KernelArgs {
  // The ops have checked every input and attribute before the kernel runs.
  const {inputs: x, gradients, min, max} = inputs as Record<string, TensorInfo>;
  const quantAttrs = attrs as unknown as FakeQuantAttrs & {min: number, max: number};
  return {
    x,
    dy: kernelSpec.outputs === 'forward' ? null : gradients,
    range: kernelSpec.rangeFrom === 'attributes' ?
        {from: 'attributes', min: quantAttrs.min, max: quantAttrs.max, channels: 1, shape: []} :
        {
          from: 'tensors', min, max, shape: min.shape,
          channels: kernelSpec.perChannel ? min.shape[0] : 1,
        },
    attrs: {numBits: quantAttrs.numBits, narrowRange: quantAttrs.narrowRange},
  };
}

/** Each output's shape in the spec's order: the input's, then the range's for dMin and dMax. */
export function outputShapes({outputs}: FakeQuantKernelSpec, {x, range}: KernelArgs): number[][] {
  return outputs === 'inputAndRangeGradients' ? [x.shape, range.shape, range.shape] : [x.shape];
}

/** The range's tensors (none for Args), e.g. to ask a backend where its inputs live. */
export function rangeTensors(range: KernelRange): TensorInfo[] {
  return range.from === 'tensors' ? [range.min, range.max] : [];
}

/** The range values on the CPU; `read` gives a CPU-resident tensor's values. */
export function rangeValues(
    range: KernelRange, read: (info: TensorInfo) => ArrayLike<number>): RangeValues {
  return range.from === 'tensors' ? {mins: read(range.min), maxs: read(range.max)} :
                                    {mins: [range.min], maxs: [range.max]};
}

/** A backend's body of every kernel: the outputs in the spec's order. */
export type KernelBody<B extends KernelBackend> =
    (backend: B, args: KernelArgs, spec: FakeQuantKernelSpec) => TensorInfo[];

/** The tfjs kernel config of `spec` on a backend; single-output kernels return the tensor itself. */
export function kernelConfig<B extends KernelBackend>(
    spec: FakeQuantKernelSpec, backendName: string, body: KernelBody<B>): KernelConfig {
  const kernelFunc: KernelFunc = ({inputs, backend, attrs}) => {
    const outputs = body(backend as B, kernelArgs(spec, inputs, attrs ?? {}), spec);
    return spec.outputs === 'inputAndRangeGradients' ? outputs : outputs[0];
  };
  return {kernelName: spec.kernelName, backendName, kernelFunc};
}
