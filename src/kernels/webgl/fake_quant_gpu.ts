import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantAttrs} from '../../kernel_names';
import {fakeQuantGlsl} from '../../quant/nudge_glsl';
import {LevelForm} from '../../quant/fake_quant_impl';

/**
 * GLSL reading the range of flat element `index`: scalar range tensors (Vars, Args), or [channels]
 * tensors whose channel is index % channels (PerChannel, TF's flat_inner_dims view).
 */
export function rangeGlsl(channels: number|null): string {
  const at = channels == null ? '' : `index - (index / ${channels}) * ${channels}`;
  return `
    float rangeMinAt(int index) { return getRangeMin(${at}); }
    float rangeMaxAt(int index) { return getRangeMax(${at}); }
  `;
}

/**
 * Elementwise fake-quant of a flat [size] input. The nudge is computed per fragment from the
 * range tensors, so the range never leaves the GPU and the forward op is a single pass.
 */
export class FakeQuantProgram implements GPGPUProgram {
  variableNames = ['x', 'rangeMin', 'rangeMax'];
  outputShape: number[];
  userCode: string;

  constructor(
      size: number, channels: number|null, attrs: FakeQuantAttrs, form: LevelForm,
      webglVersion: number) {
    this.outputShape = [size];
    const quantize = form === 'divide' ? 'fakeQuantDivide' : 'fakeQuantMultiply';
    this.userCode = `
      ${fakeQuantGlsl(attrs.numBits, attrs.narrowRange, webglVersion)}
      ${rangeGlsl(channels)}
      void main() {
        int index = getOutputCoords();
        float lo = rangeMinAt(index);
        float hi = rangeMaxAt(index);
        if (isZeroRange(lo, hi)) {
          setOutput(0.0);
          return;
        }
        setOutput(${quantize}(getX(index), nudge(lo, hi)));
      }
    `;
  }
}
