import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {FakeQuantAttrs} from '../../kernel_names';
import {fakeQuantGlsl} from '../../quant/nudge_glsl';
import {rangeGlsl} from './fake_quant_gpu';

/** dx = gradients * inRange(x): TF multiplies by the 0/1 mask, so NaN and -0 behave as in TF. */
export class FakeQuantInputGradientProgram implements GPGPUProgram {
  variableNames = ['gradients', 'x', 'rangeMin', 'rangeMax'];
  outputShape: number[];
  userCode: string;

  constructor(size: number, channels: number|null, attrs: FakeQuantAttrs, webglVersion: number) {
    this.outputShape = [size];
    this.userCode = `
      ${fakeQuantGlsl(attrs.numBits, attrs.narrowRange, webglVersion)}
      ${rangeGlsl(channels)}
      void main() {
        int index = getOutputCoords();
        float gradient = getGradients(index);
        float lo = rangeMinAt(index);
        float hi = rangeMaxAt(index);
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
 * First pass of the fused range-gradient reduction over the input viewed as [rows, channels].
 * Texel (k, c) sums rows [k * windowRows, (k + 1) * windowRows) of channel c for both masks at
 * once, so each element is read once. The packed [2, 2 * windows * channels] output holds the
 * below-range sum at (0, 2j) and the above-range sum at (1, 2j), j = k * channels + c; odd
 * columns are 0.
 */
export class FakeQuantRangeGradientPartialsProgram implements GPGPUProgram {
  variableNames = ['gradients', 'x', 'rangeMin', 'rangeMax'];
  outputShape: number[];
  userCode: string;
  packedOutput = true;

  constructor(
      rows: number, channels: number|null, windowRows: number, attrs: FakeQuantAttrs,
      webglVersion: number) {
    const width = channels ?? 1;
    const windows = Math.ceil(rows / windowRows);
    this.outputShape = [2, 2 * windows * width];
    this.userCode = `
      ${fakeQuantGlsl(attrs.numBits, attrs.narrowRange, webglVersion)}
      ${rangeGlsl(channels)}
      void main() {
        int j = getOutputCoords().y / 2;
        int window = j / ${width};
        int channel = j - window * ${width};
        float lo = rangeMinAt(channel);
        float hi = rangeMaxAt(channel);
        vec2 sums = vec2(0.0);
        if (!isZeroRange(lo, hi)) {
          NudgedRange r = nudge(lo, hi);
          for (int i = 0; i < ${windowRows}; i++) {
            int row = window * ${windowRows} + i;
            if (row >= ${rows}) break;
            int index = row * ${width} + channel;
            sums += getGradients(index) * belowAndAboveNudgedRange(getX(index), r);
          }
        }
        setOutput(vec4(sums.x, 0.0, sums.y, 0.0));
      }
    `;
  }
}

/** Second pass: one of the two totals per channel (row 0: below the range, row 1: above). */
export class FakeQuantRangeGradientTotalProgram implements GPGPUProgram {
  variableNames = ['partials'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;

  constructor(windows: number, channels: number, row: 0|1) {
    this.outputShape = [channels];
    this.userCode = `
      void main() {
        int channel = getOutputCoords();
        float total = 0.0;
        for (int k = 0; k < ${windows}; k++) {
          total += getPartials(0, 2 * (k * ${channels} + channel)).${row === 0 ? 'x' : 'z'};
        }
        setOutput(total);
      }
    `;
  }
}
