/**
 * The programs of the Vars/PerChannel gradient: [backpropsWrtInput, backpropWrtMin,
 * backpropWrtMax].
 *
 * - Its own pass (backend_adapter.ts recordOwnPass), whole WGSL modules: the fused program reads
 *   every gradient and input once, writes the input gradient and reduces both range sums per
 *   workgroup; with one row chunk it writes the final sums itself (one dispatch), otherwise
 *   per-chunk partial sums that the combine program adds up (two dispatches).
 * - The public path (runWebGPUProgram, one output a program), when the backend's internals are
 *   not what that pass needs: FakeQuantInputGradientProgram for the input gradient, then
 *   RangeSumsProgram (the same per-chunk partial sums) and CombineSumsProgram once per range
 *   gradient (four dispatches). Both paths add the same terms in the same order.
 */
import {TiledProgram} from './fake_quant_elementwise_webgpu';
import {channelRangePart, COMBINE_CHUNKS_PART, COMBINE_WORKGROUP_SIZE, forEachTileElementWgsl, INT_TO_FLOAT_PART, readF32Wgsl, SUM_INDEX_UNIFORMS, SUM_ROWS_PART, TILE_UNIFORMS, uniform, uniformBlockWgsl, wgsl, wgslPart, type WgslPart} from './tile_wgsl';
import {foldDispatch, type StoredType, type TileLayout, WORKGROUP_SIZE} from './webgpu_util';

/** The gradient's inputs, in binding order. */
const GRADIENT_INPUTS = ['gradients', 'x', 'rangeMin', 'rangeMax'] as const;

/** WGSL writing a chunk's totals to `buffer` [tilesY, channels, 2] (below, above per channel). */
function writePartialsWgsl(buffer: string): string {
  return `let o = ((w / ${uniform('tilesX')}) * ${uniform('channels')} + tile.channel) * 2u;
    ${buffer}[o] = totals.x;
    ${buffer}[o + 1u] = totals.y;`;
}

/**
 * `fqGradientTile(w, li)`: thread `li` of workgroup `w` masks its elements, stores their input
 * gradient with `writeDx(v)` (WGSL storing the expression v as element i's; null: dx is computed
 * by another program), adds up the gradients below and above the range, and the threads with
 * ly == 0 write their channel's totals with `writeTotals` (WGSL of `totals`, `w` and `tile`).
 */
function gradientTilePart(
    types: readonly StoredType[], writeDx: ((v: string) => string)|null, writeTotals: string): WgslPart {
  const [gradientsType, xType, minType, maxType] = types;
  const g = readF32Wgsl('gradients', 'i', gradientsType);
  const zeroRangeLoop = writeDx == null ? '' : `
      ${forEachTileElementWgsl(writeDx(g))}`;
  return wgslPart(`
fn fqGradientTile(w: u32, li: u32) {
  let tile = fqTile(w, li);
  let range = fqChannelRange(tile);
  var below = 0.0;
  var above = 0.0;
  // No early return for the padding workgroups of a folded dispatch: every thread reaches the
  // barriers (w may come from a private variable, which WGSL counts as non-uniform).
  if (tile.valid && tile.channelValid) {
    if (range.zeroRange == 1u) {
      // TF: the gradient passes through and the range gradients are 0.${zeroRangeLoop}
    } else {
      let r = range.r;
      let boundsAreNan = fqBoundsAreNan(r);
      ${forEachTileElementWgsl(`
        let g = ${g};
        let masks = fqMasks(${readF32Wgsl('x', 'i', xType)}, r, boundsAreNan);
        // TF multiplies by the 0/1 masks: masked-out Inf/NaN gradients give NaN (also in sums).
        let gTimesZero = fqTimesZero(g);
        ${writeDx == null ? '' : writeDx('select(gTimesZero, g, masks.inRange)')}
        below = below + select(gTimesZero, g, masks.below);
        above = above + select(gTimesZero, g, masks.above);`)}
    }
  }
  let totals = fqSumRows(li, ${uniform('tileChannels')}, ${WORKGROUP_SIZE}u / ${uniform('tileChannels')},
                         vec2<f32>(below, above));
  if (tile.valid && tile.channelValid && tile.ly == 0u) {
    ${writeTotals}
  }
}
`, [INT_TO_FLOAT_PART, SUM_ROWS_PART, channelRangePart({
    lo: readF32Wgsl('rangeMin', 'channel', minType),
    hi: readF32Wgsl('rangeMax', 'channel', maxType),
  })]);
}

// ---------------------------------------------------------------------------------------------
// The gradient's own pass (recordOwnPass)
// ---------------------------------------------------------------------------------------------

/** The uniforms of the fused and combine modules (one buffer for both). */
export const OWN_PASS_UNIFORMS = TILE_UNIFORMS;

/**
 * Bindings: 1 gradients, 2 x, 3 rangeMin, 4 rangeMax (read, declared with `types`: what their
 * buffers hold); 5 dx; then either 6 partials [tilesY, channels, 2] (`final` false) or
 * 6 backpropWrtMin and 7 backpropWrtMax [channels].
 */
export function fusedGradientWgsl(final: boolean, types: readonly StoredType[]): string {
  const inputDeclarations = GRADIENT_INPUTS.map(
      (name, i) => `@group(0) @binding(${i + 1}) var<storage, read> ${name}: array<${types[i]}>;`);
  const sumOutputs = final ?
      `@group(0) @binding(6) var<storage, read_write> backpropWrtMin: array<f32>;
       @group(0) @binding(7) var<storage, read_write> backpropWrtMax: array<f32>;` :
      `@group(0) @binding(6) var<storage, read_write> partials: array<f32>;`;
  const writeTotals = final ?
      `backpropWrtMin[tile.channel] = totals.x;
       backpropWrtMax[tile.channel] = totals.y;` :
      writePartialsWgsl('partials');
  return `
${uniformBlockWgsl(OWN_PASS_UNIFORMS)}
${inputDeclarations.join('\n')}
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
${sumOutputs}
${wgsl(gradientTilePart(types, v => `dx[i] = ${v};`, writeTotals))}

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  fqGradientTile(wid.x + wid.y * nwg.x, li);
}
`;
}

/** Bindings: 1 partials [tilesY, channels, 2] (read); 2 backpropWrtMin, 3 backpropWrtMax. */
export const COMBINE_GRADIENT_WGSL = `
${uniformBlockWgsl(OWN_PASS_UNIFORMS)}
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> backpropWrtMin: array<f32>;
@group(0) @binding(3) var<storage, read_write> backpropWrtMax: array<f32>;
${wgsl(COMBINE_CHUNKS_PART)}

@compute @workgroup_size(${COMBINE_WORKGROUP_SIZE})
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let channel = wid.x + wid.y * nwg.x;
  let totals = fqCombineChunks(channel, li);
  if (li == 0u && channel < ${uniform('channels')}) {
    backpropWrtMin[channel] = totals.x;
    backpropWrtMax[channel] = totals.y;
  }
}
`;

// ---------------------------------------------------------------------------------------------
// The public path (runWebGPUProgram)
// ---------------------------------------------------------------------------------------------

/** The partial sums [tilesY, channels, 2] of the fused program, as a program's one output. */
export class RangeSumsProgram extends TiledProgram {
  /** @param types the stored types of gradients, x, rangeMin, rangeMax. */
  constructor(layout: TileLayout, types: StoredType[]) {
    super([layout.tilesY * layout.channels * 2], layout.dispatch, WORKGROUP_SIZE, TILE_UNIFORMS,
          [...GRADIENT_INPUTS], types, 'fakeQuantRangeSums');
  }

  protected parts(): WgslPart[] {
    return [gradientTilePart(
        GRADIENT_INPUTS.map(name => this.types.get(name)!), null, writePartialsWgsl('result'))];
  }

  protected mainWgsl(): string {
    return `
      fn main(index : i32) {
        fqGradientTile(workgroupId.x + workgroupId.y * numWorkgroups.x, localIndex);
      }
    `;
  }
}

/** One range gradient [channels]: sum `sumIndex` (0 below, 1 above) of RangeSumsProgram's pairs. */
export class CombineSumsProgram extends TiledProgram {
  constructor(channels: number) {
    super([channels], foldDispatch(channels), COMBINE_WORKGROUP_SIZE,
          [...TILE_UNIFORMS, ...SUM_INDEX_UNIFORMS], ['partials'], ['f32'], 'fakeQuantCombineSums');
  }

  protected parts(): WgslPart[] {
    return [COMBINE_CHUNKS_PART];
  }

  protected mainWgsl(): string {
    return `
      fn main(index : i32) {
        let channel = workgroupId.x + workgroupId.y * numWorkgroups.x;
        let totals = fqCombineChunks(channel, localIndex);
        if (localIndex == 0u && channel < ${uniform('channels')}) {
          result[channel] = select(totals.x, totals.y, ${uniform('sumIndex')} == 1u);
        }
      }
    `;
  }
}
