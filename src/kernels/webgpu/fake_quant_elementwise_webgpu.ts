/**
 * The webgpu programs with one output, run by the backend's runWebGPUProgram (one dispatch each):
 * the forward (FakeQuantProgram) and the input gradient alone (FakeQuantInputGradientProgram:
 * Args' gradient, and the Vars/PerChannel gradient's dx when it runs through the public path).
 *
 * Every program uses the tile layout of webgpu_util.ts: each thread owns one channel and loops over
 * its rows; the nudge of each channel is computed once per workgroup on the GPU from the range
 * (tensors or uniforms) and shared through workgroup memory (tile_wgsl.ts).
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import type {LevelForm} from '../../quant/fake_quant_impl';
import {ARGS_RANGE_UNIFORMS, channelRangePart, forEachTileElementWgsl, INT_TO_FLOAT_PART, programUniformDeclarations, readF32Wgsl, TILE_UNIFORMS, type UniformField, uniform, wgsl, type WgslPart} from './tile_wgsl';
import type {StoredType, TileLayout} from './webgpu_util';
import {WORKGROUP_SIZE} from './webgpu_util';

/** Where a program reads the range: [channels] tensors (Vars, PerChannel) or uniforms (Args). */
export type RangeSource = 'tensors'|'uniforms';

/** The uniforms of a program reading its range from `rangeSource`. */
export function rangeUniformFields(rangeSource: RangeSource): readonly UniformField[] {
  return rangeSource === 'uniforms' ? [...TILE_UNIFORMS, ...ARGS_RANGE_UNIFORMS] : TILE_UNIFORMS;
}

/**
 * A runWebGPUProgram program over the tile layout. runWebGPUProgram declares each input buffer
 * with the element type it holds (i32 for int32 and bool data, whatever the tensor's dtype says),
 * so the programs read every input through `read` with those types.
 */
export abstract class TiledProgram implements WebGPUProgram {
  shaderKey: string;
  outputShape: number[];
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms: string;
  size = false;
  protected readonly types: Map<string, StoredType>;

  /** @param types the stored type of each of `variableNames`, in order. */
  constructor(
      outputShape: number[], dispatch: [number, number, number], workgroupSize: number,
      uniformFields: readonly UniformField[], readonly variableNames: string[], types: StoredType[],
      key: string) {
    this.outputShape = outputShape;
    this.dispatch = dispatch;
    this.workgroupSize = [workgroupSize, 1, 1];
    this.uniforms = programUniformDeclarations(uniformFields);
    this.types = new Map(variableNames.map((name, i) => [name, types[i]]));
    this.shaderKey = `${key}_${types.join('')}`;
  }

  /** Element `index` of input `name` as f32. */
  protected read(name: string, index: string): string {
    return readF32Wgsl(name, index, this.types.get(name)!);
  }

  /** The WGSL parts the program's main uses, then its main. */
  protected abstract parts(): WgslPart[];
  protected abstract mainWgsl(): string;

  getUserCode(): string {
    return `${wgsl(...this.parts())}\n${this.mainWgsl()}`;
  }
}

/** An elementwise program: the nudge of the thread's channel, then a body per element `i`. */
abstract class ElementwiseProgram extends TiledProgram {
  constructor(
      size: number, layout: TileLayout, private readonly rangeSource: RangeSource,
      variableNames: string[], types: StoredType[], key: string) {
    super([size], layout.dispatch, WORKGROUP_SIZE, rangeUniformFields(rangeSource), variableNames,
          types, `${key}_${rangeSource}`);
  }

  /** The body run for each element `i` of the thread's rows, with `r` its channel's nudge. */
  protected abstract elementWgsl(): {zeroRange: string, nudged: string};

  protected parts(): WgslPart[] {
    return [INT_TO_FLOAT_PART, channelRangePart(this.rangeSource === 'uniforms' ?
        {lo: uniform('rangeMinValue'), hi: uniform('rangeMaxValue')} :
        {lo: this.read('rangeMin', 'channel'), hi: this.read('rangeMax', 'channel')})];
  }

  protected mainWgsl(): string {
    const body = this.elementWgsl();
    return `
      fn main(index : i32) {
        let tile = fqTile(workgroupId.x + workgroupId.y * numWorkgroups.x, localIndex);
        let range = fqChannelRange(tile);
        if (!tile.valid || !tile.channelValid) { return; }
        let r = range.r;
        let zeroRange = range.zeroRange == 1u;
        let forwardRangeIsNan = fqForwardRangeIsNan(r);
        let boundsAreNan = fqBoundsAreNan(r);
        ${forEachTileElementWgsl(`
          if (zeroRange) {
            ${body.zeroRange}
          } else {
            ${body.nudged}
          }`)}
      }
    `;
  }
}

/** Elementwise fake-quant of a flat [size] input; TF's zero range (min == max == 0) gives 0. */
export class FakeQuantProgram extends ElementwiseProgram {
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

/** backprops = gradients * inRange(x) (no range gradients); zero range passes through. */
export class FakeQuantInputGradientProgram extends ElementwiseProgram {
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
