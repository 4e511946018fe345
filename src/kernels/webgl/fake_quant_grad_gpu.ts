import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantAttrs} from '../../kernel_names';
import {fakeQuantGlsl} from '../../quant/nudge_glsl';

/** dx = gradients * inRange(x): TF multiplies by the 0/1 mask, so NaN and -0 behave as in TF. */
export class FakeQuantInputGradientProgram implements GPGPUProgram {
  variableNames = ['gradients', 'x', 'rangeMin', 'rangeMax'];
  outputShape: number[];
  userCode: string;

  constructor(size: number, attrs: FakeQuantAttrs, webglVersion: number) {
    this.outputShape = [size];
    this.userCode = `
      ${fakeQuantGlsl(attrs.numBits, attrs.narrowRange, webglVersion)}
      void main() {
        int index = getOutputCoords();
        float gradient = getGradients(index);
        float lo = getRangeMin();
        float hi = getRangeMax();
        if (isZeroRange(lo, hi)) {
          setOutput(gradient);
          return;
        }
        setOutput(gradient * inNudgedRange(getX(index), nudge(lo, hi)));
      }
    `;
  }
}

/**
 * First pass of the fused range-gradient reduction: texel k sums window k of the data for both
 * masks at once (each element is read once). The packed [2, 2 * windows] output holds the
 * below-range sum of window k at (0, 2k) and the above-range sum at (1, 2k); (., 2k + 1) are 0.
 */
export class FakeQuantRangeGradientPartialsProgram implements GPGPUProgram {
  variableNames = ['gradients', 'x', 'rangeMin', 'rangeMax'];
  outputShape: number[];
  userCode: string;
  packedOutput = true;

  constructor(size: number, windowSize: number, attrs: FakeQuantAttrs, webglVersion: number) {
    const windows = Math.ceil(size / windowSize);
    this.outputShape = [2, 2 * windows];
    this.userCode = `
      ${fakeQuantGlsl(attrs.numBits, attrs.narrowRange, webglVersion)}
      void main() {
        int start = (getOutputCoords().y / 2) * ${windowSize};
        float lo = getRangeMin();
        float hi = getRangeMax();
        vec2 sums = vec2(0.0);
        if (!isZeroRange(lo, hi)) {
          NudgedRange r = nudge(lo, hi);
          for (int i = 0; i < ${windowSize}; i++) {
            int index = start + i;
            if (index >= ${size}) break;
            sums += getGradients(index) * belowAndAboveNudgedRange(getX(index), r);
          }
        }
        setOutput(vec4(sums.x, 0.0, sums.y, 0.0));
      }
    `;
  }
}

/** Second pass: one of the two totals (row 0: below the range, row 1: above) as a [1] tensor. */
export class FakeQuantRangeGradientTotalProgram implements GPGPUProgram {
  variableNames = ['partials'];
  outputShape = [1];
  userCode: string;
  packedInputs = true;

  constructor(windows: number, row: 0|1) {
    this.userCode = `
      void main() {
        float total = 0.0;
        for (int k = 0; k < ${windows}; k++) {
          total += getPartials(0, 2 * k).${row === 0 ? 'x' : 'z'};
        }
        setOutput(total);
      }
    `;
  }
}
