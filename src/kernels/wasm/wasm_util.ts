/**
 * The wasm backend's body of every kernel: our own WebAssembly (wasm_modules.ts; SIMD, else
 * scalar) reading the inputs and writing the outputs in place on the backend's heap, with the
 * range nudged here once per channel (float32 steps, quant/nudge.ts) and passed in. Where no
 * module instantiates, the cpu loops (cpu_compute.ts) run on views of the heap. Bit-exact with the cpu backend;
 * the SIMD range sums add in another order (see assembly/simd.ts). The backend is only imported
 * as a type, so this package never loads @tensorflow/tfjs-backend-wasm (an optional peer) itself.
 */
import {type TensorInfo, util} from '@tensorflow/tfjs-core';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import type {FakeQuantAttrs} from '../../kernel_names';
import type {LevelForm} from '../../quant/fake_quant_impl';
import {isZeroRange, nudge, type NudgedRange, quantRange} from '../../quant/nudge';
import {computeOnCpu} from '../cpu_compute';
import {type FakeQuantKernelSpec, type KernelArgs, kernelConfig, outputShapes, rangeValues} from '../kernel_spec';
import {type WasmKernels, wasmKernels} from './wasm_modules';

/** One kernel call: its inputs and freshly allocated outputs (dx or the forward, then dMin, dMax). */
interface HeapCall {
  backend: BackendWasm;
  x: TensorInfo;
  dy: TensorInfo|null;
  outputs: TensorInfo[];
  mins: ArrayLike<number>;
  maxs: ArrayLike<number>;
  attrs: FakeQuantAttrs;
  form: LevelForm;
}

/** Per-channel parameter arrays (assembly/steps.ts PARAM_*), each `period` float32 entries. */
const PARAM_ARRAYS = 5;
/** Per-channel sums scratch in float32 slots: float64 below/above, float32 below/above lanes. */
const SUM_SLOTS = 6;

function heapView(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

function offsetOf(backend: BackendWasm, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}

function isForward(call: HeapCall): boolean {
  return call.dy == null;
}

function hasRangeGradients(call: HeapCall): boolean {
  return call.outputs.length === 3;
}

/** The nudged range of each channel; null where TF skips Nudge (min == max == 0). */
function nudgedChannels({mins, maxs, attrs}: HeapCall): Array<NudgedRange|null> {
  const range = quantRange(attrs.numBits, attrs.narrowRange);
  return Array.from(mins, (min, c) => isZeroRange(min, maxs[c]) ? null : nudge(min, maxs[c], range));
}

/** The divide form's scale or the multiply form's inverse: what the level step applies. */
function scaling(r: NudgedRange, form: LevelForm): number {
  return form === 'divide' ? r.scale : r.invScale;
}

function runPerTensor({exports}: WasmKernels, call: HeapCall, r: NudgedRange): void {
  const {backend, x, dy, outputs, form} = call;
  const n = util.sizeFromShape(x.shape);
  const [out, dMin, dMax] = outputs.map(t => offsetOf(backend, t));
  if (isForward(call)) {
    exports.forward(offsetOf(backend, x), out, n, r.nudgedMin, r.nudgedMax, scaling(r, form),
                    r.quantZero, r.scale, +(form === 'divide'));
  } else if (hasRangeGradients(call)) {
    exports.gradient(offsetOf(backend, dy!), offsetOf(backend, x), out, n, r.nudgedMin,
                     r.nudgedMax, dMin, dMax);
  } else {
    exports.inputGradient(offsetOf(backend, dy!), offsetOf(backend, x), out, n, r.nudgedMin,
                          r.nudgedMax);
  }
}

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}

/** Entries per parameter array: the channels, or with lanes a multiple of both (lanes never wrap). */
function channelPeriod(channels: number, lanes: number): number {
  return channels * lanes / greatestCommonDivisor(channels, lanes);
}

/**
 * Writes the parameter arrays; zero-range channels get zeros (their outputs are set after). The
 * per-channel loops multiply by inv_scale (PER_CHANNEL_DIVIDES in assembly/steps.ts): PerChannel,
 * TF's one per-channel op, does; wasmKernelConfig refuses a spec that says otherwise.
 */
function writeParams(params: Float32Array, nudged: Array<NudgedRange|null>, period: number): void {
  for (let entry = 0; entry < period; entry++) {
    const r = nudged[entry % nudged.length];
    if (r == null) continue;
    const values = [r.nudgedMin, r.nudgedMax, r.invScale, r.quantZero, r.scale];
    values.forEach((value, which) => params[which * period + entry] = value);
  }
}

/** Channel c's sums: the float64 entry sums c, c + channels, ... added and rounded once. */
function foldSums(
    wide: Float64Array, period: number, channels: number, dMin: Float32Array,
    dMax: Float32Array): void {
  for (let c = 0; c < channels; c++) {
    let below = 0;
    let above = 0;
    for (let entry = c; entry < period; entry += channels) {
      below += wide[entry];
      above += wide[period + entry];
    }
    dMin[c] = below;
    dMax[c] = above;
  }
}

function runPerChannel(
    {exports, lanes}: WasmKernels, call: HeapCall, nudged: Array<NudgedRange|null>): void {
  const {backend, x, dy, outputs} = call;
  const n = util.sizeFromShape(x.shape);
  const period = channelPeriod(nudged.length, lanes);
  const sumSlots = isForward(call) ? 0 : SUM_SLOTS * period;
  // Sums first: the scratch is 8-byte aligned, as their float64 view needs.
  const scratch = backend.makeOutput([sumSlots + PARAM_ARRAYS * period], 'float32');
  const scratchView = heapView(backend, scratch);
  scratchView.fill(0);
  writeParams(scratchView.subarray(sumSlots), nudged, period);
  const sums = offsetOf(backend, scratch);
  const params = sums + sumSlots * 4;
  const out = offsetOf(backend, outputs[0]);
  if (isForward(call)) {
    exports.forwardChannels(offsetOf(backend, x), out, n, params, period);
  } else {
    exports.gradientChannels(offsetOf(backend, dy!), offsetOf(backend, x), out, n, params, period,
                             sums);
    const wide = new Float64Array(scratchView.buffer, sums, 2 * period);
    foldSums(wide, period, nudged.length, heapView(backend, outputs[1]),
             heapView(backend, outputs[2]));
  }
  backend.disposeData(scratch.dataId);
}

/** TF skips Nudge for min == max == 0: the forward is 0, dy passes through, the sums are 0. */
function writeZeroRanges(call: HeapCall, nudged: Array<NudgedRange|null>): void {
  const channels = nudged.length;
  const [out, dMin, dMax] = call.outputs.map(t => heapView(call.backend, t));
  const dy = call.dy == null ? null : heapView(call.backend, call.dy);
  nudged.forEach((r, c) => {
    if (r != null) return;
    for (let i = c; i < out.length; i += channels) out[i] = dy == null ? 0 : dy[i];
    if (dMin != null) dMin[c] = dMax[c] = 0;
  });
}

function runOnModule(kernels: WasmKernels, call: HeapCall): void {
  const nudged = nudgedChannels(call);
  if (nudged.length > 1) {
    runPerChannel(kernels, call, nudged);
  } else if (nudged[0] != null) {
    runPerTensor(kernels, call, nudged[0]);
  }
  writeZeroRanges(call, nudged);
}

function wasmBody(backend: BackendWasm, args: KernelArgs, spec: FakeQuantKernelSpec): TensorInfo[] {
  const outputs = outputShapes(spec, args).map(shape => backend.makeOutput(shape, 'float32'));
  const kernels = wasmKernels(backend);
  // Views are taken after the last allocation: a later one may grow the heap and detach them.
  const view = (info: TensorInfo) => heapView(backend, info);
  if (kernels == null) {
    computeOnCpu(spec, args, view, outputs.map(view));
    return outputs;
  }
  // Copies: the per-channel scratch is allocated after the range is read.
  const {mins, maxs} = rangeValues(args.range, info => Float32Array.from(view(info)));
  runOnModule(kernels, {
    backend, x: args.x, dy: args.dy, outputs, mins, maxs, attrs: args.attrs, form: spec.form,
  });
  return outputs;
}

export function wasmKernelConfig(spec: FakeQuantKernelSpec) {
  util.assert(!spec.perChannel || spec.form === 'multiply',
              () => `${spec.kernelName}: the wasm per-channel loops multiply; its spec says ${spec.form}`);
  return kernelConfig<BackendWasm>(spec, 'wasm', wasmBody);
}
