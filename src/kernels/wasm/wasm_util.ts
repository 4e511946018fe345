/**
 * Kernel bodies shared by the wasm kernels: the cpu kernels' loops (quant/fake_quant_impl.ts) run
 * on views of the wasm heap, and the results are written into outputs allocated on that heap.
 * Bit-exact with the cpu backend. The backend is only imported as a type, so this package never
 * loads @tensorflow/tfjs-backend-wasm (an optional peer) itself.
 */
import {TensorInfo} from '@tensorflow/tfjs-core';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {FakeQuantAttrs} from '../../kernel_names';
import {fakeQuantForwardImpl, fakeQuantGradientImpl, LevelForm} from '../../quant/fake_quant_impl';

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

export function wasmFakeQuant(
    backend: BackendWasm, x: TensorInfo, range: WasmRange, attrs: FakeQuantAttrs,
    form: LevelForm): TensorInfo {
  const values =
      fakeQuantForwardImpl(backend.typedArrayFromHeap(x), range.mins, range.maxs, attrs, form);
  return heapOutput(backend, x.shape, values);
}

/** [backpropsWrtInput, backpropWrtMin, backpropWrtMax]; min/max gradients of `rangeShape`. */
export function wasmFakeQuantGradient(
    backend: BackendWasm, gradients: TensorInfo, x: TensorInfo, range: WasmRange,
    rangeShape: number[], attrs: FakeQuantAttrs): TensorInfo[] {
  const grads = fakeQuantGradientImpl(
      backend.typedArrayFromHeap(gradients), backend.typedArrayFromHeap(x), range.mins, range.maxs,
      attrs);
  return [
    heapOutput(backend, x.shape, grads.backpropsWrtInput),
    heapOutput(backend, rangeShape, grads.backpropWrtMin),
    heapOutput(backend, rangeShape, grads.backpropWrtMax),
  ];
}

/** Args' gradient: only the input gradient (the loop's range sums are dropped, never allocated). */
export function wasmFakeQuantInputGradient(
    backend: BackendWasm, gradients: TensorInfo, x: TensorInfo, range: WasmRange,
    attrs: FakeQuantAttrs): TensorInfo {
  const grads = fakeQuantGradientImpl(
      backend.typedArrayFromHeap(gradients), backend.typedArrayFromHeap(x), range.mins, range.maxs,
      attrs);
  return heapOutput(backend, x.shape, grads.backpropsWrtInput);
}
