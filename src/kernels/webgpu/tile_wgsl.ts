/**
 * What every webgpu program here shares, written once:
 *   - the uniform layout, named: the WGSL declarations, runWebGPUProgram's uniform list and the
 *     packed uniform buffer of the gradient's own pass are all generated from one field list, so
 *     a field cannot be read from the wrong offset;
 *   - the WGSL of the tile layout (webgpu_util.ts tileLayout) as parts: the tile of a workgroup,
 *     the channel nudge handed to the workgroup through workgroup memory, the tree sum over a
 *     workgroup's rows, the sum of the per-chunk partial sums.
 *
 * Each part names the parts it uses and `wgsl()` emits every part once, after those it needs: no
 * part relies on a declaration that a program must remember to include. The parts read the
 * uniforms as `uniforms.<field>` of TILE_UNIFORMS: runWebGPUProgram names its uniform block so,
 * and the gradient's own modules declare it with uniformBlockWgsl.
 */
import type {FakeQuantAttrs} from '../../kernel_names';
import {quantRange} from '../../quant/nudge';
import {fakeQuantWgsl} from './nudge_wgsl';
import {MAX_TILE_CHANNELS, type StoredType, type TileLayout, WORKGROUP_SIZE} from './webgpu_util';

// ---------------------------------------------------------------------------------------------
// Uniform layouts
// ---------------------------------------------------------------------------------------------

/** One 4-byte uniform field. */
export interface UniformField {
  readonly name: string;
  readonly type: 'u32'|'f32';
}

/** Every program's uniforms: the tile layout, the opaque zero (nudge_wgsl.ts), the quant range. */
export const TILE_UNIFORMS = [
  {name: 'channels', type: 'u32'},
  {name: 'rows', type: 'u32'},
  {name: 'tileChannels', type: 'u32'},
  {name: 'tilesX', type: 'u32'},
  {name: 'tilesY', type: 'u32'},
  {name: 'opaqueZero', type: 'u32'},
  {name: 'quantMin', type: 'f32'},
  {name: 'quantMax', type: 'f32'},
] as const satisfies readonly UniformField[];

/** Args' range attributes, read from uniforms instead of tensors. */
export const ARGS_RANGE_UNIFORMS = [
  {name: 'rangeMinValue', type: 'f32'},
  {name: 'rangeMaxValue', type: 'f32'},
] as const satisfies readonly UniformField[];

/** Which sum of the (below, above) pairs a public-path combine program adds up: 0 or 1. */
export const SUM_INDEX_UNIFORMS = [{name: 'sumIndex', type: 'u32'}] as const satisfies readonly UniformField[];

/** A value for each field of a layout, by name. */
export type UniformValues<F extends readonly UniformField[]> = {[K in F[number]['name']]: number};

type UniformName = typeof TILE_UNIFORMS[number]['name']|typeof ARGS_RANGE_UNIFORMS[number]['name']|
    typeof SUM_INDEX_UNIFORMS[number]['name'];

/** WGSL reading a uniform field (a typo is a type error here, not a shader compilation error). */
export function uniform(name: UniformName): string {
  return `uniforms.${name}`;
}

export function tileUniformValues(
    layout: TileLayout, attrs: FakeQuantAttrs): UniformValues<typeof TILE_UNIFORMS> {
  const {quantMin, quantMax} = quantRange(attrs.numBits, attrs.narrowRange);
  const {channels, rows, tileChannels, tilesX, tilesY} = layout;
  return {channels, rows, tileChannels, tilesX, tilesY, opaqueZero: 0, quantMin, quantMax};
}

/** runWebGPUProgram's `uniforms`: the fields it appends to its own uniform block. */
export function programUniformDeclarations(fields: readonly UniformField[]): string {
  return fields.map(({name, type}) => `${name} : ${type}, `).join('');
}

/** runWebGPUProgram's program-defined uniforms, in the declarations' order. */
export function programUniforms<F extends readonly UniformField[]>(
    fields: F, values: UniformValues<F>): Array<{type: string, data: number[]}> {
  const byName = values as Record<string, number>;
  return fields.map(({name, type}) => ({type: type === 'u32' ? 'uint32' : 'float32', data: [byName[name]]}));
}

/** A module's uniform block at binding 0, named as runWebGPUProgram names its own. */
export function uniformBlockWgsl(fields: readonly UniformField[]): string {
  return `struct Uniforms {\n${fields.map(({name, type}) => `  ${name}: ${type},\n`).join('')}}
@group(0) @binding(0) var<uniform> uniforms: Uniforms;
`;
}

/** The contents of uniformBlockWgsl(fields)'s buffer (4 bytes a field, padded to 16 bytes). */
export function packUniforms<F extends readonly UniformField[]>(
    fields: F, values: UniformValues<F>): ArrayBuffer {
  const byName = values as Record<string, number>;
  const buffer = new ArrayBuffer(Math.max(16, Math.ceil(fields.length * 4 / 16) * 16));
  const u32 = new Uint32Array(buffer);
  const f32 = new Float32Array(buffer);
  fields.forEach(({name, type}, i) => {
    (type === 'u32' ? u32 : f32)[i] = byName[name];
  });
  return buffer;
}

// ---------------------------------------------------------------------------------------------
// WGSL parts
// ---------------------------------------------------------------------------------------------

/** A piece of WGSL and the parts it uses. */
export interface WgslPart {
  readonly code: string;
  readonly needs: readonly WgslPart[];
}

export function wgslPart(code: string, needs: readonly WgslPart[] = []): WgslPart {
  return {code, needs};
}

/** The parts and everything they need, each once, every part after the parts it uses. */
export function wgsl(...parts: WgslPart[]): string {
  const emitted = new Set<WgslPart>();
  const code: string[] = [];
  const emit = (part: WgslPart) => {
    if (emitted.has(part)) return;
    emitted.add(part);
    part.needs.forEach(emit);
    code.push(part.code);
  };
  parts.forEach(emit);
  return code.join('\n');
}

/**
 * i32 to f32 rounded to nearest even, as tfjs's cpu Cast (WGSL's f32(i32) may round either way
 * above 2^24): both halves convert exactly, and one f32 addition rounds.
 */
export const INT_TO_FLOAT_PART = wgslPart(`
fn fqIntToF32(v: i32) -> f32 { return f32(v >> 16u) * 65536.0 + f32(v & 0xffff); }
`);

/** A WGSL expression reading element `index` of `buffer` (holding `type`) as f32. */
export function readF32Wgsl(buffer: string, index: string, type: StoredType): string {
  return type === 'f32' ? `${buffer}[${index}]` : `fqIntToF32(${buffer}[${index}])`;
}

/** The nudge and quantization steps (nudge_wgsl.ts) with the quant range of the uniforms. */
export const NUDGE_PART = wgslPart(fakeQuantWgsl({
  quantMin: uniform('quantMin'),
  quantMax: uniform('quantMax'),
  opaqueZeroBits: uniform('opaqueZero'),
}));

/**
 * The tile of linear workgroup `w` and thread `li` (webgpu_util.ts TileLayout): `valid` is false
 * for the padding workgroups of a folded dispatch.
 */
export const TILE_PART = wgslPart(`
struct FqTile {
  valid: bool,
  channel: u32,
  channelValid: bool,
  firstRow: u32,
  rowStride: u32,
  ly: u32,
  lx: u32,
}
fn fqTile(w: u32, li: u32) -> FqTile {
  let tileChannels = ${uniform('tileChannels')};
  let tileRows = ${WORKGROUP_SIZE}u / tileChannels;
  let tx = w % ${uniform('tilesX')};
  let ty = w / ${uniform('tilesX')};
  let lx = li % tileChannels;
  let ly = li / tileChannels;
  let channel = tx * tileChannels + lx;
  return FqTile(ty < ${uniform('tilesY')}, channel, channel < ${uniform('channels')},
                ty * tileRows + ly, ${uniform('tilesY')} * tileRows, ly, lx);
}
`);

/** WGSL running `body` for each element `i` of the rows of `tile` (an FqTile) in its channel. */
export function forEachTileElementWgsl(body: string): string {
  return `for (var row = tile.firstRow; row < ${uniform('rows')}; row = row + tile.rowStride) {
    let i = row * ${uniform('channels')} + tile.channel;
    ${body}
  }`;
}

/**
 * `fqChannelRange(tile)`: the nudged range of the thread's channel, computed once per channel and
 * workgroup (by the thread with ly == 0, from `lo` and `hi`: WGSL expressions of `channel`) and
 * handed to the column through workgroup memory. Every thread of the workgroup calls it (it has a
 * barrier).
 */
export function channelRangePart(bounds: {lo: string, hi: string}): WgslPart {
  return wgslPart(`
struct FqChannelRange {
  r: NudgedRange,
  zeroRange: u32,
}
var<workgroup> fqChannelRanges: array<FqChannelRange, ${MAX_TILE_CHANNELS}>;

fn fqChannelRange(tile: FqTile) -> FqChannelRange {
  if (tile.valid && tile.channelValid && tile.ly == 0u) {
    let channel = tile.channel;
    let lo = ${bounds.lo};
    let hi = ${bounds.hi};
    fqChannelRanges[tile.lx] = FqChannelRange(nudge(lo, hi), select(0u, 1u, fqIsZeroRange(lo, hi)));
  }
  workgroupBarrier();
  return fqChannelRanges[tile.lx];
}
`, [NUDGE_PART, TILE_PART]);
}

/**
 * `fqSumRows(li, lanes, rows, sums)`: the (below, above) sums of a workgroup's `rows` rows (a
 * power of two) of `lanes` threads each, thread li in row li / lanes, added up pairwise (a tree):
 * the threads of row 0 get their lane's totals. Every thread of the workgroup calls it.
 */
export const SUM_ROWS_PART = wgslPart(`
// Two f32 arrays, as before this was shared (one array of vec2 measured slower on SwiftShader).
var<workgroup> fqSumsBelow: array<f32, ${WORKGROUP_SIZE}>;
var<workgroup> fqSumsAbove: array<f32, ${WORKGROUP_SIZE}>;

fn fqSumRows(li: u32, lanes: u32, rows: u32, sums: vec2<f32>) -> vec2<f32> {
  fqSumsBelow[li] = sums.x;
  fqSumsAbove[li] = sums.y;
  workgroupBarrier();
  for (var s = rows / 2u; s > 0u; s = s >> 1u) {
    if (li / lanes < s) {
      let other = li + s * lanes;
      fqSumsBelow[li] = fqSumsBelow[li] + fqSumsBelow[other];
      fqSumsAbove[li] = fqSumsAbove[li] + fqSumsAbove[other];
    }
    workgroupBarrier();
  }
  return vec2<f32>(fqSumsBelow[li], fqSumsAbove[li]);
}
`);

/** Threads per workgroup of the programs adding up the per-chunk partial sums. */
export const COMBINE_WORKGROUP_SIZE = 64;

/**
 * `fqCombineChunks(channel, li)`: the totals of `channel` over the (below, above) pairs of
 * `partials` [tilesY, channels, 2], one workgroup per channel: thread li adds every
 * COMBINE_WORKGROUP_SIZE-th chunk, then the tree; thread 0 gets the totals (the caller declares
 * `partials`, an f32 array). Every thread of the workgroup calls it, also in workgroups past the
 * last channel (padding of a folded dispatch), whose totals are 0.
 */
export const COMBINE_CHUNKS_PART = wgslPart(`
fn fqCombineChunks(channel: u32, li: u32) -> vec2<f32> {
  var below = 0.0;
  var above = 0.0;
  if (channel < ${uniform('channels')}) {
    for (var chunk = li; chunk < ${uniform('tilesY')}; chunk = chunk + ${COMBINE_WORKGROUP_SIZE}u) {
      let o = (chunk * ${uniform('channels')} + channel) * 2u;
      below = below + partials[o];
      above = above + partials[o + 1u];
    }
  }
  return fqSumRows(li, 1u, ${COMBINE_WORKGROUP_SIZE}u, vec2<f32>(below, above));
}
`, [SUM_ROWS_PART]);
