import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantAttrs} from '../../kernel_names';
import {fakeQuantGlsl, NUDGE_PARAMS, nudgeGlsl} from '../../quant/nudge_glsl';
import {LevelForm} from '../../quant/fake_quant_impl';

/**
 * TF's Nudge per channel: a [channels, NUDGE_PARAMS.length] texture from the range tensors (scalars
 * or [channels]), computed on the GPU so the range never leaves it. Range tensors left packed by
 * an optimizer update are read packed, saving the unpack passes.
 */
export class NudgeProgram implements GPGPUProgram {
  variableNames = ['rangeMin', 'rangeMax'];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;

  constructor(
      channels: number|null, attrs: FakeQuantAttrs, webglVersion: number, packedRange: boolean) {
    this.outputShape = [channels ?? 1, NUDGE_PARAMS.length];
    this.packedInputs = packedRange;
    const read = (name: string) => channels == null ?
        (packedRange ? `${name}().x` : `${name}()`) :
        (packedRange ? `laneOf(${name}(channel), channel)` : `${name}(channel)`);
    this.userCode = `
      ${nudgeGlsl(attrs.numBits, attrs.narrowRange, webglVersion)}
      // A packed 1-D texel holds elements 2k (x) and 2k + 1 (y).
      float laneOf(vec4 texel, int index) {
        return index - (index / 2) * 2 == 0 ? texel.x : texel.y;
      }
      void main() {
        ivec2 coords = getOutputCoords();
        int channel = coords.x;
        setOutput(nudgeParam(${read('getRangeMin')}, ${read('getRangeMax')}, coords.y));
      }
    `;
  }
}

/** GLSL for the channel of flat element `index` (TF's flat_inner_dims view), or 0 per tensor. */
export function channelGlsl(channels: number|null): string {
  return channels == null ? 'int channelOf(int index) { return 0; }' :
                            `int channelOf(int index) { return index - (index / ${channels}) * ${channels}; }`;
}

/** Elementwise fake-quant of a flat [size] input with the parameters of NudgeProgram. */
export class FakeQuantProgram implements GPGPUProgram {
  variableNames = ['x', 'params'];
  outputShape: number[];
  userCode: string;

  constructor(size: number, channels: number|null, form: LevelForm, webglVersion: number) {
    this.outputShape = [size];
    const quantize = form === 'divide' ? 'fakeQuantDivide' : 'fakeQuantMultiply';
    this.userCode = `
      ${fakeQuantGlsl(webglVersion)}
      ${channelGlsl(channels)}
      void main() {
        int index = getOutputCoords();
        NudgedRange r = nudgedRange(channelOf(index));
        setOutput(r.zeroRange ? 0.0 : ${quantize}(getX(index), r));
      }
    `;
  }
}
