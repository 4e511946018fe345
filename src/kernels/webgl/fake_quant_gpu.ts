import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantAttrs} from '../../kernel_names';
import {fakeQuantGlsl} from '../../quant/nudge_glsl';
import {LevelForm} from '../../quant/fake_quant_impl';

/**
 * Elementwise fake-quant of a flat [size] input. The nudge is computed per fragment from the
 * range tensors, so the range never leaves the GPU and the forward op is a single pass.
 */
export class FakeQuantProgram implements GPGPUProgram {
  variableNames = ['x', 'rangeMin', 'rangeMax'];
  outputShape: number[];
  userCode: string;

  constructor(size: number, attrs: FakeQuantAttrs, form: LevelForm, webglVersion: number) {
    this.outputShape = [size];
    const quantize = form === 'divide' ? 'fakeQuantDivide' : 'fakeQuantMultiply';
    this.userCode = `
      ${fakeQuantGlsl(attrs.numBits, attrs.narrowRange, webglVersion)}
      void main() {
        float lo = getRangeMin();
        float hi = getRangeMax();
        if (isZeroRange(lo, hi)) {
          setOutput(0.0);
          return;
        }
        setOutput(${quantize}(getX(getOutputCoords()), nudge(lo, hi)));
      }
    `;
  }
}
