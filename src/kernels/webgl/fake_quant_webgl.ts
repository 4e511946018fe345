/** Kernel bodies shared by the webgl kernels: each kernel file only picks its range and form. */
import {TensorInfo, util} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantAttrs} from '../../kernel_names';
import {fakeQuantForwardImpl, fakeQuantGradientImpl, LevelForm} from '../../quant/fake_quant_impl';
import {FakeQuantProgram} from './fake_quant_gpu';
import {FakeQuantInputGradientProgram, FakeQuantRangeGradientPartialsProgram, FakeQuantRangeGradientTotalProgram} from './fake_quant_grad_gpu';
import {cpuValues, disposeAll, flatUnpacked, warnOnceIfHalfFloat, webglVersion, withShape} from './webgl_util';

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
  const temps: TensorInfo[] = [];
  const program = new FakeQuantProgram(size, range.channels, attrs, form, webglVersion());
  const out = backend.runWebGLProgram(
      program, [flatUnpacked(backend, x, temps), ...rangeInputs(range)], 'float32');
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

/** Windows of about sqrt(rows) rows balance the two reduction passes. */
function reductionWindowRows(rows: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(rows)));
}

/**
 * Both range gradients from one fused pass over the data (partial sums of both masks) and one
 * tiny pass per total.
 */
function rangeGradients(
    backend: MathBackendWebGL, programInputs: TensorInfo[], size: number, range: WebGLRange,
    attrs: FakeQuantAttrs): TensorInfo[] {
  const channels = range.channels ?? 1;
  const rows = size / channels;
  const windowRows = reductionWindowRows(rows);
  const partials = backend.runWebGLProgram(
      new FakeQuantRangeGradientPartialsProgram(
          rows, range.channels, windowRows, attrs, webglVersion()),
      programInputs, 'float32', undefined, /* preventEagerUnpackingOfOutput */ true);
  const windows = Math.ceil(rows / windowRows);
  const totals = ([0, 1] as const).map(
      row => backend.runWebGLProgram(
          new FakeQuantRangeGradientTotalProgram(windows, channels, row), [partials], 'float32'));
  backend.disposeIntermediateTensorInfo(partials);
  return [withShape(totals[0], range.min.shape), withShape(totals[1], range.max.shape)];
}

/**
 * [backpropsWrtInput, backpropWrtMin, backpropWrtMax] in four programs whatever the size, or only
 * [backpropsWrtInput] (one program) when `withRangeGradients` is false (Args).
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
  const temps: TensorInfo[] = [];
  const programInputs = [
    flatUnpacked(backend, gradients, temps), flatUnpacked(backend, x, temps),
    ...rangeInputs(range),
  ];
  const dx = backend.runWebGLProgram(
      new FakeQuantInputGradientProgram(size, range.channels, attrs, webglVersion()),
      programInputs, 'float32');
  const outputs = [withShape(dx, x.shape)];
  if (withRangeGradients) outputs.push(...rangeGradients(backend, programInputs, size, range, attrs));
  disposeAll(backend, temps);
  return outputs;
}
