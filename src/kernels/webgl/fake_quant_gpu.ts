/**
 * The fake-quant programs. Each takes the kernel's range as `channels` (range.channels: 1 per
 * tensor) and `perChannel` (the spec's): per channel, the range tensors are [channels] vectors;
 * per tensor, scalars, and the programs specialize (whole texels with one range, reduction windows
 * along all texels). PerChannel with one channel keeps the per-channel programs.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import type {FakeQuantAttrs} from '../../kernel_names';
import type {LevelForm} from '../../quant/fake_quant_impl';
import {fakeQuantGlsl, NUDGE_PARAMS, nudgeGlsl} from './nudge_glsl';

/**
 * How the elementwise and reduction programs see x (and dy): an unpacked flat [size] tensor
 * indexed by flat position, or a packed texture viewed as tfjs's [batch, rows, cols] layout
 * (webgl_util.shapeAs3D), read and written 4 elements (one texel) at a time.
 */
export type ElementLayout = {packed: false, size: number}|{packed: true, shape: [number, number, number]};

export function layoutShape(layout: ElementLayout): number[] {
  return layout.packed ? layout.shape : [layout.size];
}

/**
 * TF's Nudge per channel: a [channels, NUDGE_PARAMS.length] texture from the range tensors,
 * computed on the GPU so the range never leaves it. Range tensors left packed by an optimizer
 * update are read packed, saving the unpack passes. With `packedOutput` the texture is written
 * packed, for the packed programs (which would otherwise pack it in a pass of its own).
 */
export class NudgeProgram implements GPGPUProgram {
  variableNames = ['rangeMin', 'rangeMax'];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;
  packedOutput: boolean;

  constructor(
      channels: number, perChannel: boolean, attrs: FakeQuantAttrs, webglVersion: number,
      packedRange: boolean, packedOutput = false) {
    this.outputShape = [channels, NUDGE_PARAMS.length];
    this.packedInputs = packedRange;
    this.packedOutput = packedOutput;
    const read = (name: string) => !perChannel ?
        (packedRange ? `${name}().x` : `${name}()`) :
        (packedRange ? `laneOf(${name}(channel), channel)` : `${name}(channel)`);
    this.userCode = `
      ${nudgeGlsl(attrs.numBits, attrs.narrowRange, webglVersion)}
      // A packed 1-D texel holds elements 2k (x) and 2k + 1 (y).
      float laneOf(vec4 texel, int index) {
        return index - (index / 2) * 2 == 0 ? texel.x : texel.y;
      }
      float param(int channel, int index) {
        if (channel >= ${channels}) return 0.0;  // the padding row of a packed output
        return nudgeParam(${read('getRangeMin')}, ${read('getRangeMax')}, index);
      }
      void main() {
        ivec2 rc = getOutputCoords();
        ${packedOutput ?
          'setOutput(vec4(param(rc.x, rc.y), param(rc.x, rc.y + 1), param(rc.x + 1, rc.y), ' +
              'param(rc.x + 1, rc.y + 1)));' :
          'setOutput(param(rc.x, rc.y));'}
      }
    `;
  }
}

/** GLSL for the channel of flat element `index` (TF's flat_inner_dims view), or 0 per tensor. */
export function channelGlsl(channels: number, perChannel: boolean): string {
  return !perChannel ? 'int channelOf(int index) { return 0; }' :
                       `int channelOf(int index) { return index - (index / ${channels}) * ${channels}; }`;
}

/**
 * GLSL booleans telling whether the lanes of the packed texel at (row, col) of a [batch, rows, cols]
 * layout past the first row / column exist: false only at an odd edge, constant where the shape
 * decides (a 1-D tensor's texels hold 2 elements: its lanes z, w are never read).
 */
export function nextLanesGlsl(
    shape: [number, number, number], row: string, col: string): {nextRow: string, nextCol: string} {
  const next = (index: string, size: number) =>
      size === 1 ? 'false' : size % 2 === 0 ? 'true' : `${index} + 1 < ${size}`;
  return {nextRow: next(row, shape[1]), nextCol: next(col, shape[2])};
}

/**
 * GLSL declaring the ranges of a packed texel's columns: r0 for lanes x, z (column `col`, even),
 * r1 for lanes y, w (column col + 1); both the one range when per tensor.
 */
export function packedRangesGlsl(perChannel: boolean, col: string): string {
  return `NudgedRange r0;
        NudgedRange r1;
        nudgedRangePair(${perChannel ? col : '0'}, r0, r1);
        ${perChannel ? '' : 'r1 = r0;'}`;
}

/**
 * main() of an elementwise program over the textures `inputs` (x-shaped) and the parameters:
 * `element(values, range)` is the GLSL float of one element from its inputs' values and its
 * channel's NudgedRange. Unpacked: one element per fragment. Packed: one texel per fragment of a
 * packed output in the same layout, lanes x, z in column c and y, w in column c + 1 (the channels
 * of PerChannel), or `texel(texels, range)`, a vec4 for all lanes, if given (per tensor only);
 * lanes past an odd edge are written 0, as tfjs's packed programs keep them.
 */
export function elementwiseMainGlsl(
    layout: ElementLayout, channels: number, perChannel: boolean, inputs: string[],
    element: (values: string[], range: string) => string,
    texel?: (texels: string[], range: string) => string): string {
  const getter = (name: string) => `get${name.charAt(0).toUpperCase()}${name.slice(1)}`;
  if (!layout.packed) {
    return `
      ${channelGlsl(channels, perChannel)}
      void main() {
        int index = getOutputCoords();
        NudgedRange r = nudgedRange(channelOf(index));
        setOutput(${element(inputs.map(name => `${getter(name)}(index)`), 'r')});
      }
    `;
  }
  if (texel != null && perChannel) throw new Error('a texel function is per tensor only');
  const texels = inputs.map(name => `${name}Texel`);
  const lanes = ['x', 'y', 'z', 'w'].map(
      (l, i) => element(texels.map(t => `${t}.${l}`), i % 2 === 0 ? 'r0' : 'r1'));
  const {nextRow, nextCol} = nextLanesGlsl(layout.shape, 'rc.y', 'rc.z');
  return `
      void main() {
        ivec3 rc = getOutputCoords();
        ${inputs.map(name => `vec4 ${name}Texel = ${getter(name)}(rc.x, rc.y, rc.z);`).join('\n')}
        ${packedRangesGlsl(perChannel, 'rc.z')}
        bool nextRow = ${nextRow};
        bool nextCol = ${nextCol};
        ${texel != null ?
          `vec4 result = ${texel(texels, 'r0')};
        setOutput(vec4(result.x, nextCol ? result.y : 0.0, nextRow ? result.z : 0.0,
                       nextRow && nextCol ? result.w : 0.0));` :
          `setOutput(vec4(${lanes[0]}, nextCol ? ${lanes[1]} : 0.0, nextRow ? ${lanes[2]} : 0.0,
                       nextRow && nextCol ? ${lanes[3]} : 0.0));`}
      }
    `;
}

/** Elementwise fake-quant of x with the parameters of NudgeProgram. */
export class FakeQuantProgram implements GPGPUProgram {
  variableNames = ['x', 'params'];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;
  packedOutput: boolean;

  constructor(
      layout: ElementLayout, channels: number, perChannel: boolean, form: LevelForm,
      webglVersion: number) {
    this.outputShape = layoutShape(layout);
    this.packedInputs = this.packedOutput = layout.packed;
    const quantize = form === 'divide' ? 'fakeQuantDivideElement' : 'fakeQuantMultiplyElement';
    // Vars (divide, per tensor) quantizes a texel at once: see fakeQuantDivideTexel.
    const texel = form === 'divide' && !perChannel ?
        ([x]: string[], r: string) => `fakeQuantDivideTexel(${x}, ${r})` :
        undefined;
    this.userCode = `
      ${fakeQuantGlsl(webglVersion, layout.packed)}
      ${elementwiseMainGlsl(layout, channels, perChannel, ['x'],
                            ([x], r) => `${quantize}(${x}, ${r})`, texel)}
    `;
  }
}
