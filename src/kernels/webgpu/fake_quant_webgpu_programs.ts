/**
 * The WGSL programs of the webgpu kernels.
 *
 * - FakeQuantProgram (forward) and FakeQuantInputGradientProgram (Args' gradient, which has no
 *   range gradients) are WebGPUPrograms run by the backend's runWebGPUProgram: one output, one
 *   dispatch each.
 * - The Vars/PerChannel gradient writes three outputs, which runWebGPUProgram cannot bind: its
 *   fused program and the combine program are whole WGSL modules run by runMultiOutput
 *   (webgpu_util.ts). The fused program reads every gradient and input once, writes the input
 *   gradient and reduces both range sums per workgroup; with one row chunk it writes the final
 *   sums itself (one dispatch), otherwise per-chunk partial sums that the combine program adds up
 *   (two dispatches).
 *
 * Every program uses the tile layout of webgpu_util.ts: each thread owns one channel and loops over
 * its rows; the nudge of each channel is computed once per workgroup on the GPU from the range
 * (tensors or uniforms) and shared through workgroup memory.
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import type {FakeQuantAttrs} from '../../kernel_names';
import type {LevelForm} from '../../quant/fake_quant_impl';
import {quantRange} from '../../quant/nudge';
import {fakeQuantWgsl} from '../../quant/nudge_wgsl';
import {INT_TO_FLOAT_WGSL, readF32Wgsl, type StoredType, TILE_WGSL, type TileLayout, WORKGROUP_SIZE} from './webgpu_util';

/** Where a program reads the range: [channels] tensors (Vars, PerChannel) or uniforms (Args). */
export type RangeSource = 'tensors'|'uniforms';

/**
 * runWebGPUProgram's program-defined uniforms: the tile layout, the quantization range (so one
 * pipeline serves every bit width), the opaque zero, and Args' range attributes.
 */
export function programUniforms(
    layout: TileLayout, attrs: FakeQuantAttrs,
    argsRange?: {min: number, max: number}): Array<{type: string, data: number[]}> {
  const u32 = (v: number) => ({type: 'uint32', data: [v]});
  const f32 = (v: number) => ({type: 'float32', data: [v]});
  const {quantMin, quantMax} = quantRange(attrs.numBits, attrs.narrowRange);
  const uniforms = [
    u32(layout.channels), u32(layout.rows), u32(layout.tileChannels), u32(layout.tilesX),
    u32(layout.tilesY), u32(0), f32(quantMin), f32(quantMax),
  ];
  if (argsRange != null) uniforms.push(f32(argsRange.min), f32(argsRange.max));
  return uniforms;
}

function programUniformDeclarations(rangeSource: RangeSource): string {
  return 'channels : u32, rows : u32, tileChannels : u32, tilesX : u32, tilesY : u32, ' +
      'opaqueZero : u32, quantMin : f32, quantMax : f32, ' +
      (rangeSource === 'uniforms' ? 'rangeMinValue : f32, rangeMaxValue : f32, ' : '');
}

const PROGRAM_WGSL_INPUTS = {
  quantMin: 'uniforms.quantMin',
  quantMax: 'uniforms.quantMax',
  opaqueZeroBits: 'uniforms.opaqueZero',
};

/**
 * Shared shape of the two runWebGPUProgram programs. runWebGPUProgram declares each input buffer
 * with the element type it holds (i32 for int32 and bool data, whatever the tensor's dtype says),
 * so the programs read every input through readF32Wgsl with those types.
 */
abstract class TiledProgram implements WebGPUProgram {
  shaderKey: string;
  outputShape: number[];
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP_SIZE, 1, 1];
  uniforms: string;
  size = false;
  private readonly types: Map<string, StoredType>;

  /** @param types the stored type of each of `variableNames`, in order. */
  constructor(
      size: number, layout: TileLayout, protected readonly rangeSource: RangeSource,
      readonly variableNames: string[], types: StoredType[], key: string) {
    this.outputShape = [size];
    this.dispatch = layout.dispatch;
    this.uniforms = programUniformDeclarations(rangeSource);
    this.types = new Map(variableNames.map((name, i) => [name, types[i]]));
    this.shaderKey = `${key}_${rangeSource}_${types.join('')}`;
  }

  /** Element `index` of input `name` as f32. */
  protected read(name: string, index: string): string {
    return readF32Wgsl(name, index, this.types.get(name)!);
  }

  /** The body run for each element `i` of the thread's rows, with `r` its channel's nudge. */
  protected abstract elementWgsl(): {zeroRange: string, nudged: string};

  getUserCode(): string {
    const {lo, hi} = this.rangeSource === 'uniforms' ?
        {lo: 'uniforms.rangeMinValue', hi: 'uniforms.rangeMaxValue'} :
        {lo: this.read('rangeMin', 'tile.channel'), hi: this.read('rangeMax', 'tile.channel')};
    const body = this.elementWgsl();
    return `
      ${fakeQuantWgsl(PROGRAM_WGSL_INPUTS)}
      ${INT_TO_FLOAT_WGSL}
      ${TILE_WGSL}
      fn main(index : i32) {
        let tile = fqTile(workgroupId.x + workgroupId.y * numWorkgroups.x, localIndex,
                          uniforms.channels, uniforms.tileChannels, uniforms.tilesX,
                          uniforms.tilesY);
        if (tile.valid && tile.channelValid && tile.ly == 0u) {
          let lo = ${lo};
          let hi = ${hi};
          fqChannelRanges[tile.lx] =
              FqChannelRange(nudge(lo, hi), select(0u, 1u, fqIsZeroRange(lo, hi)));
        }
        workgroupBarrier();
        if (!tile.valid || !tile.channelValid) { return; }
        let r = fqChannelRanges[tile.lx].r;
        let zeroRange = fqChannelRanges[tile.lx].zeroRange == 1u;
        let forwardRangeIsNan = fqForwardRangeIsNan(r);
        let boundsAreNan = fqBoundsAreNan(r);
        for (var row = tile.firstRow; row < uniforms.rows; row = row + tile.rowStride) {
          let i = row * uniforms.channels + tile.channel;
          if (zeroRange) {
            ${body.zeroRange}
          } else {
            ${body.nudged}
          }
        }
      }
    `;
  }
}

/** Elementwise fake-quant of a flat [size] input; TF's zero range (min == max == 0) gives 0. */
export class FakeQuantProgram extends TiledProgram {
  /** @param types the stored types of x (and rangeMin, rangeMax when read from tensors). */
  constructor(
      size: number, layout: TileLayout, private readonly form: LevelForm,
      rangeSource: RangeSource, types: StoredType[]) {
    super(
        size, layout, rangeSource,
        rangeSource === 'tensors' ? ['x', 'rangeMin', 'rangeMax'] : ['x'], types,
        `fakeQuant_${form}`);
  }

  protected elementWgsl() {
    const quantize = this.form === 'divide' ? 'fakeQuantDivide' : 'fakeQuantMultiply';
    return {
      zeroRange: 'result[i] = 0.0;',
      nudged: `result[i] = ${quantize}(${this.read('x', 'i')}, r, forwardRangeIsNan);`,
    };
  }
}

/** backprops = gradients * inRange(x) (Args: no range gradients); zero range passes through. */
export class FakeQuantInputGradientProgram extends TiledProgram {
  /** @param types the stored types of gradients, x (and rangeMin, rangeMax from tensors). */
  constructor(size: number, layout: TileLayout, rangeSource: RangeSource, types: StoredType[]) {
    super(
        size, layout, rangeSource,
        rangeSource === 'tensors' ? ['gradients', 'x', 'rangeMin', 'rangeMax'] : ['gradients', 'x'],
        types, 'fakeQuantInputGradient');
  }

  protected elementWgsl() {
    const g = this.read('gradients', 'i');
    return {
      zeroRange: `result[i] = ${g};`,
      nudged: `let g = ${g};
               result[i] = select(fqTimesZero(g), g,
                                  fqMasks(${this.read('x', 'i')}, r, boundsAreNan).inRange);`,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Fused gradient (runMultiOutput)
// ---------------------------------------------------------------------------------------------

/** Uniform block shared by the fused and combine programs (the Params struct below). */
export function gradientUniformFields(
    layout: TileLayout, attrs: FakeQuantAttrs): Array<{u32: number}|{f32: number}> {
  const {quantMin, quantMax} = quantRange(attrs.numBits, attrs.narrowRange);
  return [
    ...[layout.channels, layout.rows, layout.tileChannels, layout.tilesX, layout.tilesY, 0].map(
        u32 => ({u32})),
    {f32: quantMin}, {f32: quantMax},
  ];
}

const GRADIENT_PARAMS_WGSL = `
struct Params {
  channels: u32,
  rows: u32,
  tileChannels: u32,
  tilesX: u32,
  tilesY: u32,
  opaqueZero: u32,
  quantMin: f32,
  quantMax: f32,
}
@group(0) @binding(0) var<uniform> params: Params;
`;

/** The fused gradient's inputs, in binding order (1..4). */
const FUSED_GRADIENT_INPUTS = ['gradients', 'x', 'rangeMin', 'rangeMax'] as const;

/**
 * Bindings: 1 gradients, 2 x, 3 rangeMin, 4 rangeMax (read, declared with `types`: what their
 * buffers hold); 5 dx; then either 6 partials [tilesY, channels, 2] (`final` false) or
 * 6 backpropWrtMin and 7 backpropWrtMax [channels].
 */
export function fusedGradientWgsl(final: boolean, types: StoredType[]): string {
  const [gradientsType, xType, minType, maxType] = types;
  const inputDeclarations = FUSED_GRADIENT_INPUTS.map(
      (name, i) => `@group(0) @binding(${i + 1}) var<storage, read> ${name}: array<${types[i]}>;`);
  const sumOutputs = final ?
      `@group(0) @binding(6) var<storage, read_write> backpropWrtMin: array<f32>;
       @group(0) @binding(7) var<storage, read_write> backpropWrtMax: array<f32>;` :
      `@group(0) @binding(6) var<storage, read_write> partials: array<f32>;`;
  const writeSums = final ?
      `backpropWrtMin[tile.channel] = sumsBelow[li];
       backpropWrtMax[tile.channel] = sumsAbove[li];` :
      `let o = ((w / params.tilesX) * params.channels + tile.channel) * 2u;
       partials[o] = sumsBelow[li];
       partials[o + 1u] = sumsAbove[li];`;
  return `
${GRADIENT_PARAMS_WGSL}
${inputDeclarations.join('\n')}
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
${sumOutputs}
${fakeQuantWgsl({
  quantMin: 'params.quantMin', quantMax: 'params.quantMax', opaqueZeroBits: 'params.opaqueZero'})}
${INT_TO_FLOAT_WGSL}
${TILE_WGSL}

var<workgroup> sumsBelow: array<f32, ${WORKGROUP_SIZE}>;
var<workgroup> sumsAbove: array<f32, ${WORKGROUP_SIZE}>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wid.x + wid.y * nwg.x;
  if (w / params.tilesX >= params.tilesY) { return; }  // padding of a folded dispatch
  let tile = fqTile(w, li, params.channels, params.tileChannels, params.tilesX, params.tilesY);
  if (tile.channelValid && tile.ly == 0u) {
    let lo = ${readF32Wgsl('rangeMin', 'tile.channel', minType)};
    let hi = ${readF32Wgsl('rangeMax', 'tile.channel', maxType)};
    fqChannelRanges[tile.lx] = FqChannelRange(nudge(lo, hi), select(0u, 1u, fqIsZeroRange(lo, hi)));
  }
  workgroupBarrier();
  var below = 0.0;
  var above = 0.0;
  if (tile.channelValid) {
    if (fqChannelRanges[tile.lx].zeroRange == 1u) {
      // TF: the gradient passes through and the range gradients are 0.
      for (var row = tile.firstRow; row < params.rows; row = row + tile.rowStride) {
        let i = row * params.channels + tile.channel;
        dx[i] = ${readF32Wgsl('gradients', 'i', gradientsType)};
      }
    } else {
      let r = fqChannelRanges[tile.lx].r;
      let boundsAreNan = fqBoundsAreNan(r);
      for (var row = tile.firstRow; row < params.rows; row = row + tile.rowStride) {
        let i = row * params.channels + tile.channel;
        let g = ${readF32Wgsl('gradients', 'i', gradientsType)};
        let masks = fqMasks(${readF32Wgsl('x', 'i', xType)}, r, boundsAreNan);
        // TF multiplies by the 0/1 masks: masked-out Inf/NaN gradients give NaN (also in sums).
        let gTimesZero = fqTimesZero(g);
        dx[i] = select(gTimesZero, g, masks.inRange);
        below = below + select(gTimesZero, g, masks.below);
        above = above + select(gTimesZero, g, masks.above);
      }
    }
  }
  sumsBelow[li] = below;
  sumsAbove[li] = above;
  workgroupBarrier();
  for (var s = (${WORKGROUP_SIZE}u / params.tileChannels) / 2u; s > 0u; s = s >> 1u) {
    if (tile.ly < s) {
      let other = li + s * params.tileChannels;
      sumsBelow[li] = sumsBelow[li] + sumsBelow[other];
      sumsAbove[li] = sumsAbove[li] + sumsAbove[other];
    }
    workgroupBarrier();
  }
  if (tile.ly == 0u && tile.channelValid) {
    ${writeSums}
  }
}
`;
}

const COMBINE_WORKGROUP_SIZE = 64;

/** Bindings: 1 partials [tilesY, channels, 2] (read); 2 backpropWrtMin, 3 backpropWrtMax. */
export const COMBINE_GRADIENT_WGSL = `
${GRADIENT_PARAMS_WGSL}
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> backpropWrtMin: array<f32>;
@group(0) @binding(3) var<storage, read_write> backpropWrtMax: array<f32>;

var<workgroup> sumsBelow: array<f32, ${COMBINE_WORKGROUP_SIZE}>;
var<workgroup> sumsAbove: array<f32, ${COMBINE_WORKGROUP_SIZE}>;

@compute @workgroup_size(${COMBINE_WORKGROUP_SIZE})
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let channel = wid.x + wid.y * nwg.x;
  if (channel >= params.channels) { return; }
  var below = 0.0;
  var above = 0.0;
  for (var chunk = li; chunk < params.tilesY; chunk = chunk + ${COMBINE_WORKGROUP_SIZE}u) {
    let o = (chunk * params.channels + channel) * 2u;
    below = below + partials[o];
    above = above + partials[o + 1u];
  }
  sumsBelow[li] = below;
  sumsAbove[li] = above;
  workgroupBarrier();
  for (var s = ${COMBINE_WORKGROUP_SIZE / 2}u; s > 0u; s = s >> 1u) {
    if (li < s) {
      sumsBelow[li] = sumsBelow[li] + sumsBelow[li + s];
      sumsAbove[li] = sumsAbove[li] + sumsAbove[li + s];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    backpropWrtMin[channel] = sumsBelow[0];
    backpropWrtMax[channel] = sumsAbove[0];
  }
}
`;
