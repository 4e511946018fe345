/**
 * Kernel bodies shared by the wasm kernels: the cpu kernels' loops (quant/fake_quant_impl.ts) run
 * on views of the wasm heap, and the results are written into outputs allocated on that heap;
 * large forward ops instead run TF's elementwise steps as the backend's own native (SIMD)
 * kernels. Bit-exact with the cpu backend. The backend is only imported as a type, so this
 * package never loads @tensorflow/tfjs-backend-wasm (an optional peer) itself.
 */
import {Add, ClipByValue, Floor, getKernel, Multiply, type NamedAttrMap, type NamedTensorInfoMap, RealDiv, Sub, type TensorInfo, util} from '@tensorflow/tfjs-core';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import type {FakeQuantAttrs} from '../../kernel_names';
import {fakeQuantForwardImpl, fakeQuantGradientImpl, type LevelForm} from '../../quant/fake_quant_impl';
import {isZeroRange, nudge, type NudgedRange, quantRange} from '../../quant/nudge';

/** The range of a kernel: min/max tensors (Vars, PerChannel) or attributes (Args). */
export interface WasmRange {
  mins: ArrayLike<number>;
  maxs: ArrayLike<number>;
}

/** A new heap tensor holding `values`. Heap views are taken after the allocation (it may grow). */
function heapOutput(backend: BackendWasm, shape: number[], values: Float32Array): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  (backend.typedArrayFromHeap(out) as Float32Array).set(values);
  return out;
}

/**
 * New heap tensors of these shapes, and views of them and of `inputs`, all taken after the last
 * allocation (an allocation may grow the heap, which detaches earlier views): the loops then read
 * and write the heap directly.
 */
function withHeapOutputs(
    backend: BackendWasm, shapes: number[][], inputs: TensorInfo[]):
    {outputs: TensorInfo[], outputViews: Float32Array[], inputViews: Float32Array[]} {
  const outputs = shapes.map(shape => backend.makeOutput(shape, 'float32'));
  const view = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  return {outputs, outputViews: outputs.map(view), inputViews: inputs.map(view)};
}

export function tensorRange(backend: BackendWasm, min: TensorInfo, max: TensorInfo): WasmRange {
  // Copies: the views would be detached if the heap grew while the loops allocate.
  return {
    mins: Float32Array.from(backend.typedArrayFromHeap(min)),
    maxs: Float32Array.from(backend.typedArrayFromHeap(max)),
  };
}

export function attrRange(attrs: {min: number, max: number}): WasmRange {
  return {mins: [attrs.min], maxs: [attrs.max]};
}

/**
 * From this many elements a per-tensor forward op runs as native kernels (one SIMD pass each),
 * which beat the single JS loop there (about 5x at 1e6); below, the loop avoids their per-call
 * cost. PerChannel keeps the loop: the native clamp takes scalar bounds only, and the broadcasting
 * Minimum/Maximum kernels are slower than the loop.
 */
export const NATIVE_FORWARD_MIN_SIZE = 1 << 15;

export function wasmFakeQuant(
    backend: BackendWasm, x: TensorInfo, range: WasmRange, attrs: FakeQuantAttrs,
    form: LevelForm): TensorInfo {
  const [min, max] = [range.mins[0], range.maxs[0]];
  if (range.mins.length === 1 && util.sizeFromShape(x.shape) >= NATIVE_FORWARD_MIN_SIZE &&
      !isZeroRange(min, max)) {
    const r = nudge(min, max, quantRange(attrs.numBits, attrs.narrowRange));
    if (suitsNativeClamp(r)) return nativeForward(backend, x, r, form);
  }
  const {outputs: [out], outputViews: [outView], inputViews: [xView]} =
      withHeapOutputs(backend, [x.shape], [x]);
  fakeQuantForwardImpl(xView, range.mins, range.maxs, attrs, form, outView);
  return out;
}

/**
 * The native chain needs finite constants and a proper clamp: XNNPACK rejects a clamp whose lower
 * bound is not below its upper one (min > max nudges to such bounds) and outputs zeros. Every
 * other range keeps the loop, which handles all of them as TF does.
 */
function suitsNativeClamp(r: NudgedRange): boolean {
  return Object.values(r).every(Number.isFinite) && r.nudgedMin < r.nudgedMax;
}

function runNative(
    backend: BackendWasm, kernelName: string, inputs: NamedTensorInfoMap,
    attrs: NamedAttrMap = {}): TensorInfo {
  return getKernel(kernelName, 'wasm')!.kernelFunc({inputs, backend, attrs}) as TensorInfo;
}

/**
 * TF's per-element steps, each one float32 operation as in TF's functor and so each one native
 * kernel: clamp to the nudged range (NaN stays NaN), subtract the nudged minimum, divide by the
 * scale (Vars) or multiply by its inverse (Args), subtract the zero point, add 0.5, floor,
 * multiply by the scale.
 */
function nativeForward(
    backend: BackendWasm, x: TensorInfo, r: NudgedRange, form: LevelForm): TensorInfo {
  const scalar = (value: number) => heapOutput(backend, [], Float32Array.of(value));
  const constants = {
    lo: scalar(r.nudgedMin),
    scaling: scalar(form === 'divide' ? r.scale : r.invScale),
    quantZero: scalar(r.quantZero),
    half: scalar(0.5),
    scale: scalar(r.scale),
  };
  const steps: Array<(t: TensorInfo) => TensorInfo> = [
    t => runNative(backend, ClipByValue, {x: t}, {clipValueMin: r.nudgedMin, clipValueMax: r.nudgedMax}),
    t => runNative(backend, Sub, {a: t, b: constants.lo}),
    t => runNative(backend, form === 'divide' ? RealDiv : Multiply, {a: t, b: constants.scaling}),
    t => runNative(backend, Sub, {a: t, b: constants.quantZero}),
    t => runNative(backend, Add, {a: t, b: constants.half}),
    t => runNative(backend, Floor, {x: t}),
    t => runNative(backend, Multiply, {a: t, b: constants.scale}),
  ];
  let current = x;
  for (const step of steps) {
    const next = step(current);
    if (current !== x) backend.disposeData(current.dataId);
    current = next;
  }
  for (const t of Object.values(constants)) backend.disposeData(t.dataId);
  // The native clamp maps NaN to a bound where TF's std::min / std::max keep it: put NaN back.
  const input = backend.typedArrayFromHeap(x);
  const output = backend.typedArrayFromHeap(current);
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== input[i]) output[i] = NaN;
  }
  return current;
}

/** [backpropsWrtInput, backpropWrtMin, backpropWrtMax]; min/max gradients of `rangeShape`. */
export function wasmFakeQuantGradient(
    backend: BackendWasm, gradients: TensorInfo, x: TensorInfo, range: WasmRange,
    rangeShape: number[], attrs: FakeQuantAttrs): TensorInfo[] {
  const {outputs, outputViews: [dx, dMin, dMax], inputViews: [dyView, xView]} =
      withHeapOutputs(backend, [x.shape, rangeShape, rangeShape], [gradients, x]);
  fakeQuantGradientImpl(dyView, xView, range.mins, range.maxs, attrs,
                        {backpropsWrtInput: dx, backpropWrtMin: dMin, backpropWrtMax: dMax});
  return outputs;
}

/** Args' gradient: only the input gradient (the loop's range sums go to scratch arrays). */
export function wasmFakeQuantInputGradient(
    backend: BackendWasm, gradients: TensorInfo, x: TensorInfo, range: WasmRange,
    attrs: FakeQuantAttrs): TensorInfo {
  const {outputs: [out], outputViews: [dx], inputViews: [dyView, xView]} =
      withHeapOutputs(backend, [x.shape], [gradients, x]);
  const channels = range.mins.length;
  fakeQuantGradientImpl(dyView, xView, range.mins, range.maxs, attrs, {
    backpropsWrtInput: dx, backpropWrtMin: new Float32Array(channels),
    backpropWrtMax: new Float32Array(channels),
  });
  return out;
}
