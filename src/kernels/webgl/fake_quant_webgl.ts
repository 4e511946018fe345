/** Kernel bodies shared by the webgl kernels: each kernel file only picks its range and form. */
import {env, getKernel, type TensorInfo, util} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import type {FakeQuantAttrs} from '../../kernel_names';
import {fakeQuantForwardImpl, fakeQuantGradientImpl, type LevelForm} from '../../quant/fake_quant_impl';
import {type ElementLayout, FakeQuantProgram, NudgeProgram} from './fake_quant_gpu';
import {FakeQuantInputGradientProgram, FakeQuantRangeGradientPartialsProgram, FakeQuantRangeGradientTotalsProgram} from './fake_quant_grad_gpu';
import {cpuValues, disposeAll, flatUnpacked, MAX_PACKED_RANK, packedView, shapeAs3D, storage, warnOnceIfHalfFloat, webglVersion, withShape} from './webgl_util';

/** Range tensors: scalars (channels null) or [channels] vectors for PerChannel. */
export interface WebGLRange {
  min: TensorInfo;
  max: TensorInfo;
  channels: number|null;
}

/** Args' attribute range as two CPU scalars (uploaded as uniforms); the caller disposes them. */
export function attrRange(
    backend: MathBackendWebGL, attrs: {min: number, max: number}): WebGLRange {
  return {
    min: backend.makeTensorInfo([], 'float32', Float32Array.of(attrs.min)),
    max: backend.makeTensorInfo([], 'float32', Float32Array.of(attrs.max)),
    channels: null,
  };
}

function rangeInputs(range: WebGLRange): TensorInfo[] {
  return [range.min, range.max];
}

/**
 * One program: TF's nudge of every channel, as a [channels, 6] parameter texture, packed for the
 * packed programs.
 */
function nudgeParams(
    backend: MathBackendWebGL, range: WebGLRange, attrs: FakeQuantAttrs,
    layout: ElementLayout): TensorInfo {
  const packedRange = rangeInputs(range).every(t => backend.texData.get(t.dataId).isPacked);
  return backend.runWebGLProgram(
      new NudgeProgram(range.channels, attrs, webglVersion(), packedRange, layout.packed),
      rangeInputs(range), 'float32', undefined, /* preventEagerUnpackingOfOutput */ layout.packed);
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
export function webglFakeQuant(
    backend: MathBackendWebGL, x: TensorInfo, range: WebGLRange, attrs: FakeQuantAttrs,
    form: LevelForm): TensorInfo {
  const size = util.sizeFromShape(x.shape);
  if (size === 0) return backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0));
  if (backend.shouldExecuteOnCPU([x, ...rangeInputs(range)])) {
    const values = fakeQuantForwardImpl(
        cpuValues(backend, x), cpuValues(backend, range.min), cpuValues(backend, range.max), attrs,
        form);
    return backend.makeTensorInfo(x.shape, 'float32', values);
  }
  warnOnceIfHalfFloat();
  const layout = elementLayout(backend, [x], x.shape);
  const temps: TensorInfo[] = [nudgeParams(backend, range, attrs, layout)];
  const out = backend.runWebGLProgram(
      new FakeQuantProgram(layout, range.channels, form, webglVersion()),
      [asLayout(backend, x, layout, temps), temps[0]], 'float32');
  disposeAll(backend, temps);
  return withShape(out, x.shape);
}

function cpuGradient(
    backend: MathBackendWebGL, gradients: TensorInfo, x: TensorInfo, range: WebGLRange,
    attrs: FakeQuantAttrs): TensorInfo[] {
  const grads = fakeQuantGradientImpl(
      cpuValues(backend, gradients), cpuValues(backend, x), cpuValues(backend, range.min),
      cpuValues(backend, range.max), attrs);
  return [
    backend.makeTensorInfo(x.shape, 'float32', grads.backpropsWrtInput),
    backend.makeTensorInfo(range.min.shape, 'float32', grads.backpropWrtMin),
    backend.makeTensorInfo(range.max.shape, 'float32', grads.backpropWrtMax),
  ];
}

function emptyGradient(
    backend: MathBackendWebGL, x: TensorInfo, range: WebGLRange): TensorInfo[] {
  const zeros = () => new Float32Array(util.sizeFromShape(range.min.shape));
  return [
    backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0)),
    backend.makeTensorInfo(range.min.shape, 'float32', zeros()),
    backend.makeTensorInfo(range.max.shape, 'float32', zeros()),
  ];
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
    range: WebGLRange): TensorInfo[] {
  const channels = range.channels ?? 1;
  const program = new FakeQuantRangeGradientPartialsProgram(layout, range.channels, webglVersion());
  const partials = backend.runWebGLProgram(
      program, programInputs, 'float32', undefined, /* preventEagerUnpackingOfOutput */ true);
  const totals = backend.runWebGLProgram(
      new FakeQuantRangeGradientTotalsProgram(program.partials, channels), [partials], 'float32');
  const below = shallowSlice(backend, totals, 0, channels);
  const above = shallowSlice(backend, totals, channels, channels);
  disposeAll(backend, [partials, totals]);
  return [withShape(below, range.min.shape), withShape(above, range.max.shape)];
}

/**
 * [backpropsWrtInput, backpropWrtMin, backpropWrtMax] in four programs whatever the size (nudge,
 * input gradient, partial sums, totals), or only [backpropsWrtInput] (two programs) when
 * `withRangeGradients` is false (Args).
 */
export function webglFakeQuantGradient(
    backend: MathBackendWebGL, gradients: TensorInfo, x: TensorInfo, range: WebGLRange,
    attrs: FakeQuantAttrs, withRangeGradients: boolean): TensorInfo[] {
  const size = util.sizeFromShape(x.shape);
  const all = size === 0 ? emptyGradient(backend, x, range) :
      backend.shouldExecuteOnCPU([gradients, x, ...rangeInputs(range)]) ?
                           cpuGradient(backend, gradients, x, range, attrs) :
                           null;
  if (all != null) {
    if (!withRangeGradients) disposeAll(backend, all.splice(1));
    return all;
  }
  warnOnceIfHalfFloat();
  const layout = elementLayout(backend, [gradients, x], x.shape);
  const temps: TensorInfo[] = [nudgeParams(backend, range, attrs, layout)];
  const programInputs = [
    asLayout(backend, gradients, layout, temps), asLayout(backend, x, layout, temps), temps[0],
  ];
  const dx = backend.runWebGLProgram(
      new FakeQuantInputGradientProgram(layout, range.channels, webglVersion()), programInputs,
      'float32');
  const outputs = [withShape(dx, x.shape)];
  if (withRangeGradients) outputs.push(...rangeGradients(backend, programInputs, layout, range));
  disposeAll(backend, temps);
  return outputs;
}
