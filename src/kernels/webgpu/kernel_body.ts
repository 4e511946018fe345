/**
 * The webgpu backend's body of every kernel (each kernel file passes its spec).
 *
 * The range (min/max tensors, or Args' attributes as uniforms) is read by the GPU programs, which
 * compute the nudge themselves: nothing is read back to the CPU. Small CPU-resident inputs follow
 * tfjs's WEBGPU_CPU_FORWARD convention and run the cpu loops instead (no GPU work at all).
 */
import {type TensorInfo, util} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import type {LevelForm} from '../../quant/fake_quant_impl';
import {emptyOutputs, runOnCpu} from '../cpu_compute';
import {type FakeQuantKernelSpec, type KernelArgs, kernelConfig, type KernelRange, rangeTensors} from '../kernel_spec';
import {canRecordOwnPass, recordOwnPass, tensorBuffer} from './backend_adapter';
import {FakeQuantInputGradientProgram, FakeQuantProgram, type RangeSource, rangeUniformFields} from './fake_quant_elementwise_webgpu';
import {COMBINE_GRADIENT_WGSL, CombineSumsProgram, fusedGradientWgsl, OWN_PASS_UNIFORMS, RangeSumsProgram} from './fake_quant_grad_webgpu';
import {packUniforms, programUniforms, SUM_INDEX_UNIFORMS, TILE_UNIFORMS, tileUniformValues} from './tile_wgsl';
import {cpuValues, flat, foldDispatch, storedType, type StoredType, targetWorkgroups, type TileLayout, tileLayout, withShape} from './webgpu_util';

export function webgpuKernelConfig(spec: FakeQuantKernelSpec) {
  return kernelConfig<WebGPUBackend>(spec, 'webgpu', fakeQuantWebGPU);
}

function fakeQuantWebGPU(
    backend: WebGPUBackend, args: KernelArgs, spec: FakeQuantKernelSpec): TensorInfo[] {
  const {x, dy, range} = args;
  if (util.sizeFromShape(x.shape) === 0) return emptyOutputs(backend, spec, args);
  if (backend.shouldExecuteOnCPU([x, ...(dy == null ? [] : [dy]), ...rangeTensors(range)])) {
    return runOnCpu(backend, spec, args, info => cpuValues(backend, info));
  }
  const layout = tileLayout(util.sizeFromShape(x.shape), range.channels, targetWorkgroups(backend));
  switch (spec.outputs) {
    case 'forward':
      return [forward(backend, args, layout, spec.form)];
    case 'inputGradient':
      return [inputGradient(backend, args, layout)];
    case 'inputAndRangeGradients':
      return canRecordOwnPass(backend) ? fusedGradient(backend, args, layout) :
                                         gradientThroughPrograms(backend, args, layout);
  }
}

function rangeSource(range: KernelRange): RangeSource {
  return range.from === 'tensors' ? 'tensors' : 'uniforms';
}

/** runWebGPUProgram's uniforms of the elementwise programs (Args' range among them). */
function elementwiseUniforms(layout: TileLayout, {range, attrs}: KernelArgs) {
  const values: Record<string, number> = tileUniformValues(layout, attrs);
  if (range.from === 'attributes') Object.assign(values, {rangeMinValue: range.min, rangeMaxValue: range.max});
  return programUniforms(rangeUniformFields(rangeSource(range)), values);
}

function storedTypes(backend: WebGPUBackend, infos: TensorInfo[]): StoredType[] {
  return infos.map(info => storedType(backend, info));
}

/** One dispatch, whatever the size and channel count. */
function forward(
    backend: WebGPUBackend, args: KernelArgs, layout: TileLayout, form: LevelForm): TensorInfo {
  const {x, range} = args;
  const inputs = [flat(x), ...rangeTensors(range)];
  const program = new FakeQuantProgram(
      util.sizeFromShape(x.shape), layout, form, rangeSource(range), storedTypes(backend, inputs));
  const out = backend.runWebGPUProgram(
      program, inputs, 'float32', elementwiseUniforms(layout, args));
  return withShape(out, x.shape);
}

/** The input gradient alone (Args; and the public path's dx): one elementwise dispatch. */
function inputGradient(backend: WebGPUBackend, args: KernelArgs, layout: TileLayout): TensorInfo {
  const {x, dy, range} = args;
  const inputs = [flat(dy!), flat(x), ...rangeTensors(range)];
  const program = new FakeQuantInputGradientProgram(
      util.sizeFromShape(x.shape), layout, rangeSource(range), storedTypes(backend, inputs));
  const out = backend.runWebGPUProgram(
      program, inputs, 'float32', elementwiseUniforms(layout, args));
  return withShape(out, x.shape);
}

/** The gradient's inputs in binding order (Vars and PerChannel: the range is tensors). */
function gradientInputs({x, dy, range}: KernelArgs): TensorInfo[] {
  return [dy!, x, ...rangeTensors(range)];
}

/**
 * The fused gradient modules, generated once per form and input types (the strings also key the
 * pipeline cache).
 */
const fusedGradientModules = new Map<string, string>();
function fusedGradientModule(final: boolean, types: StoredType[]): string {
  const key = `${final}_${types.join('')}`;
  let code = fusedGradientModules.get(key);
  if (code == null) {
    code = fusedGradientWgsl(final, types);
    fusedGradientModules.set(key, code);
  }
  return code;
}

/**
 * [backpropsWrtInput, backpropWrtMin, backpropWrtMax] (Vars: scalar range gradients; PerChannel:
 * [channels]) in the gradient's own pass: one fused dispatch that reads gradients and inputs once,
 * writes the input gradient and reduces both sums per workgroup, plus one small dispatch adding
 * up the per-chunk sums when the rows were split over several workgroups.
 */
function fusedGradient(backend: WebGPUBackend, args: KernelArgs, layout: TileLayout): TensorInfo[] {
  const {x, range} = args;
  const final = layout.tilesY === 1;
  const inputInfos = gradientInputs(args);
  const inputs = inputInfos.map(info => tensorBuffer(backend, info));
  const types = storedTypes(backend, inputInfos);
  const outputs = [x.shape, range.shape, range.shape].map(
      shape => backend.makeTensorInfo(shape, 'float32'));
  const [dx, dMin, dMax] = outputs.map(info => tensorBuffer(backend, info));
  const partialBytes = final ? [] : [layout.tilesY * layout.channels * 2 * 4];
  const uniforms = packUniforms(OWN_PASS_UNIFORMS, tileUniformValues(layout, args.attrs));
  recordOwnPass(
      backend, 'FakeQuantGradient', [...inputInfos, ...outputs], uniforms, partialBytes,
      ([partials]) => {
        const fused = {
          label: 'FakeQuantFusedGradient',
          code: fusedGradientModule(final, types),
          buffers: [...inputs, dx, ...(final ? [dMin, dMax] : [partials])],
          workgroups: layout.dispatch,
        };
        if (final) return [fused];
        return [fused, {
          label: 'FakeQuantCombineGradient',
          code: COMBINE_GRADIENT_WGSL,
          buffers: [partials, dMin, dMax],
          workgroups: foldDispatch(layout.channels),
        }];
      });
  return outputs;
}

/**
 * The same outputs through runWebGPUProgram only (for a backend whose internals the own pass
 * cannot use): the input gradient, the per-chunk partial sums, then one combine per range
 * gradient. Four dispatches, the inputs read twice; the same values.
 */
function gradientThroughPrograms(
    backend: WebGPUBackend, args: KernelArgs, layout: TileLayout): TensorInfo[] {
  const {range} = args;
  const dx = inputGradient(backend, args, layout);
  const inputs = gradientInputs(args).map(flat);
  const tileUniforms = tileUniformValues(layout, args.attrs);
  const partials = backend.runWebGPUProgram(
      new RangeSumsProgram(layout, storedTypes(backend, inputs)), inputs, 'float32',
      programUniforms(TILE_UNIFORMS, tileUniforms));
  const [dMin, dMax] = [0, 1].map(sumIndex => withShape(backend.runWebGPUProgram(
      new CombineSumsProgram(layout.channels), [partials], 'float32',
      programUniforms([...TILE_UNIFORMS, ...SUM_INDEX_UNIFORMS], {...tileUniforms, sumIndex})),
      range.shape));
  backend.disposeData(partials.dataId);
  return [dx, dMin, dMax];
}
