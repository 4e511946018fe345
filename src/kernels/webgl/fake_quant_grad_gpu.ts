import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {fakeQuantGlsl} from '../../quant/nudge_glsl';
import {channelGlsl} from './fake_quant_gpu';

/** dx = gradients * inRange(x): TF multiplies by the 0/1 mask, so NaN and -0 behave as in TF. */
export class FakeQuantInputGradientProgram implements GPGPUProgram {
  variableNames = ['gradients', 'x', 'params'];
  outputShape: number[];
  userCode: string;

  constructor(size: number, channels: number|null, webglVersion: number) {
    this.outputShape = [size];
    this.userCode = `
      ${fakeQuantGlsl(webglVersion)}
      ${channelGlsl(channels)}
      void main() {
        int index = getOutputCoords();
        float gradient = getGradients(index);
        NudgedRange r = nudgedRange(channelOf(index));
        setOutput(r.zeroRange ? gradient : gradient * inNudgedRange(getX(index), r));
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
  variableNames = ['gradients', 'x', 'params'];
  outputShape: number[];
  userCode: string;
  packedOutput = true;

  constructor(rows: number, channels: number|null, windowRows: number, webglVersion: number) {
    const width = channels ?? 1;
    const windows = Math.ceil(rows / windowRows);
    this.outputShape = [2, 2 * windows * width];
    this.userCode = `
      ${fakeQuantGlsl(webglVersion)}
      void main() {
        int j = getOutputCoords().y / 2;
        int window = j / ${width};
        int channel = j - window * ${width};
        NudgedRange r = nudgedRange(channel);
        vec2 sums = vec2(0.0);
        if (!r.zeroRange) {
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

/**
 * Second pass: both totals per channel in one flat [2 * channels] output, the below-range sums
 * first; the kernel splits it with free (shallow) slices.
 */
export class FakeQuantRangeGradientTotalsProgram implements GPGPUProgram {
  variableNames = ['partials'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;

  constructor(windows: number, channels: number) {
    this.outputShape = [2 * channels];
    this.userCode = `
      void main() {
        int index = getOutputCoords();
        bool above = index >= ${channels};
        int channel = above ? index - ${channels} : index;
        float total = 0.0;
        for (int k = 0; k < ${windows}; k++) {
          vec4 partial = getPartials(0, 2 * (k * ${channels} + channel));
          total += above ? partial.z : partial.x;
        }
        setOutput(total);
      }
    `;
  }
}
