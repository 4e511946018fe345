/**
 * Kernel bodies shared by the webgpu kernels: each kernel file only picks its range and form.
 *
 * The range (min/max tensors, or Args' attributes as uniforms) is read by the GPU programs, which
 * compute the nudge themselves: nothing is read back to the CPU. Small CPU-resident inputs follow
 * tfjs's WEBGPU_CPU_FORWARD convention and run the cpu loops instead (no GPU work at all).
 */
import {type TensorInfo, util} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import type {FakeQuantAttrs} from '../../kernel_names';
import {fakeQuantForwardImpl, fakeQuantGradientImpl, type LevelForm} from '../../quant/fake_quant_impl';
import {COMBINE_GRADIENT_WGSL, FakeQuantInputGradientProgram, FakeQuantProgram, fusedGradientWgsl, gradientUniformFields, programUniforms} from './fake_quant_webgpu_programs';
import {cpuValues, flat, foldDispatch, packUniforms, runMultiOutput, storedType, type StoredType, targetWorkgroups, tensorBuffer, tileLayout, withShape} from './webgpu_util';

/** A range from [channels] (or scalar) tensors, or from Args' float attributes. */
export type WebGPURange =
    {kind: 'tensors', min: TensorInfo, max: TensorInfo, channels: number}|
    {kind: 'attrs', min: number, max: number};

export function tensorRange(min: TensorInfo, max: TensorInfo, perChannel: boolean): WebGPURange {
  return {kind: 'tensors', min, max, channels: perChannel ? min.shape[0] : 1};
}

function channelsOf(range: WebGPURange): number {
  return range.kind === 'tensors' ? range.channels : 1;
}

function rangeTensors(range: WebGPURange): TensorInfo[] {
  return range.kind === 'tensors' ? [range.min, range.max] : [];
}

/** The range's values on the CPU (only called when CPU forwarding applies). */
function cpuRange(backend: WebGPUBackend, range: WebGPURange): {mins: ArrayLike<number>, maxs: ArrayLike<number>} {
  return range.kind === 'tensors' ?
      {mins: cpuValues(backend, range.min), maxs: cpuValues(backend, range.max)} :
      {mins: [range.min], maxs: [range.max]};
}

function argsUniforms(range: WebGPURange): {min: number, max: number}|undefined {
  return range.kind === 'attrs' ? {min: range.min, max: range.max} : undefined;
}

/** Forward: one dispatch (runWebGPUProgram), whatever the size and channel count. */
export function webgpuFakeQuant(
    backend: WebGPUBackend, x: TensorInfo, range: WebGPURange, attrs: FakeQuantAttrs,
    form: LevelForm): TensorInfo {
  const size = util.sizeFromShape(x.shape);
  if (size === 0) return backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0));
  if (backend.shouldExecuteOnCPU([x, ...rangeTensors(range)])) {
    const {mins, maxs} = cpuRange(backend, range);
    const values = fakeQuantForwardImpl(cpuValues(backend, x), mins, maxs, attrs, form);
    return backend.makeTensorInfo(x.shape, 'float32', values);
  }
  const layout = tileLayout(size, channelsOf(range), targetWorkgroups(backend));
  const rangeSource = range.kind === 'tensors' ? 'tensors' : 'uniforms';
  const inputs = [flat(x), ...rangeTensors(range)];
  const program = new FakeQuantProgram(
      size, layout, form, rangeSource, inputs.map(info => storedType(backend, info)));
  const out = backend.runWebGPUProgram(
      program, inputs, 'float32', programUniforms(layout, attrs, argsUniforms(range)));
  return withShape(out, x.shape);
}

function cpuGradient(
    backend: WebGPUBackend, gradients: TensorInfo, x: TensorInfo, range: WebGPURange,
    attrs: FakeQuantAttrs, rangeShape: number[]): TensorInfo[] {
  const {mins, maxs} = cpuRange(backend, range);
  const grads = fakeQuantGradientImpl(
      cpuValues(backend, gradients), cpuValues(backend, x), mins, maxs, attrs);
  return [
    backend.makeTensorInfo(x.shape, 'float32', grads.backpropsWrtInput),
    backend.makeTensorInfo(rangeShape, 'float32', grads.backpropWrtMin),
    backend.makeTensorInfo(rangeShape, 'float32', grads.backpropWrtMax),
  ];
}

/** Args' gradient (no range gradients): one elementwise dispatch. */
export function webgpuFakeQuantInputGradient(
    backend: WebGPUBackend, gradients: TensorInfo, x: TensorInfo, range: WebGPURange,
    attrs: FakeQuantAttrs): TensorInfo {
  const size = util.sizeFromShape(x.shape);
  if (size === 0) return backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0));
  if (backend.shouldExecuteOnCPU([gradients, x, ...rangeTensors(range)])) {
    const [dx, ...rest] = cpuGradient(backend, gradients, x, range, attrs, []);
    rest.forEach(info => backend.disposeData(info.dataId));
    return dx;
  }
  const layout = tileLayout(size, channelsOf(range), targetWorkgroups(backend));
  const rangeSource = range.kind === 'tensors' ? 'tensors' : 'uniforms';
  const inputs = [flat(gradients), flat(x), ...rangeTensors(range)];
  const program = new FakeQuantInputGradientProgram(
      size, layout, rangeSource, inputs.map(info => storedType(backend, info)));
  const out = backend.runWebGPUProgram(
      program, inputs, 'float32', programUniforms(layout, attrs, argsUniforms(range)));
  return withShape(out, x.shape);
}

/**
 * The fused gradient programs, generated once per form and input types (the strings also key
 * the pipeline cache).
 */
const fusedGradientPrograms = new Map<string, string>();
function fusedGradientProgram(final: boolean, types: StoredType[]): string {
  const key = `${final}_${types.join('')}`;
  let code = fusedGradientPrograms.get(key);
  if (code == null) {
    code = fusedGradientWgsl(final, types);
    fusedGradientPrograms.set(key, code);
  }
  return code;
}

/**
 * [backpropsWrtInput, backpropWrtMin, backpropWrtMax] (Vars: scalar range gradients; PerChannel:
 * [channels]): one fused dispatch that reads gradients and inputs once, writes the input gradient
 * and reduces both sums per workgroup, plus one small dispatch adding up the per-chunk sums when
 * the rows were split over several workgroups.
 */
export function webgpuFakeQuantGradient(
    backend: WebGPUBackend, gradients: TensorInfo, x: TensorInfo, min: TensorInfo, max: TensorInfo,
    perChannel: boolean, attrs: FakeQuantAttrs): TensorInfo[] {
  const range = tensorRange(min, max, perChannel);
  const channels = channelsOf(range);
  const size = util.sizeFromShape(x.shape);
  if (size === 0) {
    return [
      backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0)),
      backend.makeTensorInfo(min.shape, 'float32', new Float32Array(channels)),
      backend.makeTensorInfo(max.shape, 'float32', new Float32Array(channels)),
    ];
  }
  if (backend.shouldExecuteOnCPU([gradients, x, min, max])) {
    return cpuGradient(backend, gradients, x, range, attrs, min.shape);
  }
  const layout = tileLayout(size, channels, targetWorkgroups(backend));
  const final = layout.tilesY === 1;
  const inputInfos = [gradients, x, min, max];
  const inputs = inputInfos.map(info => tensorBuffer(backend, info));
  const types = inputInfos.map(info => storedType(backend, info));
  const outputs = [
    backend.makeTensorInfo(x.shape, 'float32'),
    backend.makeTensorInfo(min.shape, 'float32'),
    backend.makeTensorInfo(max.shape, 'float32'),
  ];
  const [dx, dMin, dMax] = outputs.map(info => tensorBuffer(backend, info));
  const partialBytes = final ? [] : [layout.tilesY * channels * 2 * 4];
  runMultiOutput(
      backend, 'FakeQuantGradient', [gradients, x, min, max, ...outputs],
      packUniforms(gradientUniformFields(layout, attrs)), partialBytes, ([partials]) => {
    const fused = {
      label: 'FakeQuantFusedGradient',
      code: fusedGradientProgram(final, types),
      buffers: [...inputs, dx, ...(final ? [dMin, dMax] : [partials])],
      workgroups: layout.dispatch,
    };
    if (final) return [fused];
    return [fused, {
      label: 'FakeQuantCombineGradient',
      code: COMBINE_GRADIENT_WGSL,
      buffers: [partials, dMin, dMax],
      workgroups: foldDispatch(channels),
    }];
  });
  return outputs;
}
