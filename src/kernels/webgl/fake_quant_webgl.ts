/**
 * The webgl body of every kernel: its spec (kernel_spec.ts) says the form, per-tensor or
 * per-channel, and which outputs; the programs are fake_quant_gpu.ts and fake_quant_grad_gpu.ts.
 */
import {env, getKernel, type TensorInfo, util} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import type {FakeQuantAttrs} from '../../kernel_names';
import {emptyOutputs, runOnCpu} from '../cpu_compute';
import {type FakeQuantKernelSpec, type KernelArgs, kernelConfig, type KernelRange, rangeTensors} from '../kernel_spec';
import {type ElementLayout, FakeQuantProgram, NudgeProgram} from './fake_quant_gpu';
import {FakeQuantInputGradientProgram, FakeQuantRangeGradientPartialsProgram, FakeQuantRangeGradientTotalsProgram} from './fake_quant_grad_gpu';
import {cpuValues, disposeAll, flatUnpacked, MAX_PACKED_RANK, packedView, shapeAs3D, storage, warnOnceIfHalfFloat, webglVersion, withShape} from './webgl_util';

/** The kernel `spec` on the webgl backend. */
export function webglKernelConfig(spec: FakeQuantKernelSpec) {
  return kernelConfig<MathBackendWebGL>(spec, 'webgl', webglKernel);
}

function webglKernel(
    backend: MathBackendWebGL, args: KernelArgs, spec: FakeQuantKernelSpec): TensorInfo[] {
  const {x, dy, range} = args;
  if (util.sizeFromShape(x.shape) === 0) return emptyOutputs(backend, spec, args);
  const inputs = [...(dy != null ? [dy] : []), x, ...rangeTensors(range)];
  if (backend.shouldExecuteOnCPU(inputs)) {
    return runOnCpu(backend, spec, args, info => cpuValues(backend, info));
  }
  warnOnceIfHalfFloat();
  const {min, max, uploaded} = rangeTextures(backend, range);
  const outputs = dy == null ?
      [webglFakeQuant(backend, x, min, max, args, spec)] :
      webglFakeQuantGradient(backend, dy, x, min, max, args, spec);
  disposeAll(backend, uploaded);
  return outputs;
}

/**
 * The range as the NudgeProgram's two inputs: the min/max tensors, or Args' attributes as two CPU
 * scalars (uploaded as uniforms), which the caller disposes (`uploaded`).
 */
function rangeTextures(backend: MathBackendWebGL, range: KernelRange):
    {min: TensorInfo, max: TensorInfo, uploaded: TensorInfo[]} {
  if (range.from === 'tensors') return {min: range.min, max: range.max, uploaded: []};
  const min = backend.makeTensorInfo([], 'float32', Float32Array.of(range.min));
  const max = backend.makeTensorInfo([], 'float32', Float32Array.of(range.max));
  return {min, max, uploaded: [min, max]};
}

/**
 * One program: TF's nudge of every channel, as a [channels, 6] parameter texture, packed for the
 * packed programs.
 */
function nudgeParams(
    backend: MathBackendWebGL, min: TensorInfo, max: TensorInfo, channels: number,
    perChannel: boolean, attrs: FakeQuantAttrs, layout: ElementLayout): TensorInfo {
  const packedRange = [min, max].every(t => backend.texData.get(t.dataId).isPacked);
  return backend.runWebGLProgram(
      new NudgeProgram(channels, perChannel, attrs, webglVersion(), packedRange, layout.packed),
      [min, max], 'float32', undefined, /* preventEagerUnpackingOfOutput */ layout.packed);
}

/**
 * How the programs read x (and dy), picked to run no conversion pass where possible:
 * - packed (4 elements per fragment, packed output in the same layout) when one of them is a
 *   packed texture and none an unpacked one (data still on the CPU uploads packed as cheaply as
 *   unpacked), under WEBGL_PACK, up to rank 6 (tfjs's packed shaders and unpacking stop there:
 *   a packed rank-7 output could not be unpacked later);
 * - otherwise unpacked, flat: packed inputs are unpacked first, one pass each. With one packed and
 *   one unpacked texture (gradient), either choice costs one conversion; this one keeps the
 *   unpacked output.
 */
function elementLayout(
    backend: MathBackendWebGL, inputs: TensorInfo[], shape: number[]): ElementLayout {
  const where = inputs.map(t => storage(backend, t));
  const packed = env().getBool('WEBGL_PACK') && shape.length <= MAX_PACKED_RANK &&
      where.includes('packed') && !where.includes('unpacked');
  return packed ? {packed: true, shape: shapeAs3D(shape)} :
                  {packed: false, size: util.sizeFromShape(shape)};
}

/** An x-shaped input as the layout reads it; an unpacking pass's output goes into `temps`. */
function asLayout(
    backend: MathBackendWebGL, info: TensorInfo, layout: ElementLayout,
    temps: TensorInfo[]): TensorInfo {
  return layout.packed ? packedView(info) : flatUnpacked(backend, info, temps);
}

/** Two programs: the nudge, then the elementwise quantization. */
function webglFakeQuant(
    backend: MathBackendWebGL, x: TensorInfo, min: TensorInfo, max: TensorInfo,
    {range, attrs}: KernelArgs, spec: FakeQuantKernelSpec): TensorInfo {
  const layout = elementLayout(backend, [x], x.shape);
  const temps = [nudgeParams(backend, min, max, range.channels, spec.perChannel, attrs, layout)];
  const out = backend.runWebGLProgram(
      new FakeQuantProgram(layout, range.channels, spec.perChannel, spec.form, webglVersion()),
      [asLayout(backend, x, layout, temps), temps[0]], 'float32');
  disposeAll(backend, temps);
  return withShape(out, x.shape);
}

/** Elements [begin, begin + size) of an unpacked flat tensor: tfjs's Slice shares the texture. */
function shallowSlice(
    backend: MathBackendWebGL, x: TensorInfo, begin: number, size: number): TensorInfo {
  return getKernel('Slice', 'webgl')!.kernelFunc(
             {inputs: {x}, backend, attrs: {begin: [begin], size: [size]}}) as TensorInfo;
}

/**
 * Both range gradients in two programs: partial sums of both masks from one pass that reads the
 * data once, then both totals, split into the two outputs without a copy.
 */
function rangeGradients(
    backend: MathBackendWebGL, programInputs: TensorInfo[], layout: ElementLayout,
    range: KernelRange, perChannel: boolean): TensorInfo[] {
  const {channels} = range;
  const program =
      new FakeQuantRangeGradientPartialsProgram(layout, channels, perChannel, webglVersion());
  const partials = backend.runWebGLProgram(
      program, programInputs, 'float32', undefined, /* preventEagerUnpackingOfOutput */ true);
  const totals = backend.runWebGLProgram(
      new FakeQuantRangeGradientTotalsProgram(program.partials, channels), [partials], 'float32');
  const below = shallowSlice(backend, totals, 0, channels);
  const above = shallowSlice(backend, totals, channels, channels);
  disposeAll(backend, [partials, totals]);
  return [withShape(below, range.shape), withShape(above, range.shape)];
}

/**
 * The spec's gradients: [backpropsWrtInput, backpropWrtMin, backpropWrtMax] in four programs
 * whatever the size (nudge, input gradient, partial sums, totals), or [backpropsWrtInput] alone in
 * two (Args).
 */
function webglFakeQuantGradient(
    backend: MathBackendWebGL, dy: TensorInfo, x: TensorInfo, min: TensorInfo, max: TensorInfo,
    {range, attrs}: KernelArgs, spec: FakeQuantKernelSpec): TensorInfo[] {
  const layout = elementLayout(backend, [dy, x], x.shape);
  const temps = [nudgeParams(backend, min, max, range.channels, spec.perChannel, attrs, layout)];
  const programInputs = [
    asLayout(backend, dy, layout, temps), asLayout(backend, x, layout, temps), temps[0],
  ];
  const dx = backend.runWebGLProgram(
      new FakeQuantInputGradientProgram(layout, range.channels, spec.perChannel, webglVersion()),
      programInputs, 'float32');
  const outputs = [withShape(dx, x.shape)];
  if (spec.outputs === 'inputAndRangeGradients') {
    outputs.push(...rangeGradients(backend, programInputs, layout, range, spec.perChannel));
  }
  disposeAll(backend, temps);
  return outputs;
}
