import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {type ElementLayout, elementwiseMainGlsl, layoutShape, nextLanesGlsl, packedRangesGlsl} from './fake_quant_gpu';
import {fakeQuantGlsl} from './nudge_glsl';

/** dx = gradients * inRange(x): TF multiplies by the 0/1 mask, so NaN and -0 behave as in TF. */
export class FakeQuantInputGradientProgram implements GPGPUProgram {
  variableNames = ['gradients', 'x', 'params'];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;
  packedOutput: boolean;

  constructor(
      layout: ElementLayout, channels: number, perChannel: boolean, webglVersion: number) {
    this.outputShape = layoutShape(layout);
    this.packedInputs = this.packedOutput = layout.packed;
    this.userCode = `
      ${fakeQuantGlsl(webglVersion, layout.packed)}
      ${elementwiseMainGlsl(layout, channels, perChannel, ['gradients', 'x'],
                            ([g, x], r) => `inputGradientElement(${g}, ${x}, ${r})`)}
    `;
  }
}

/**
 * Where FakeQuantRangeGradientTotalsProgram finds the partial sums: channel c of window k at column
 * k * stride + c * step of the packed [2, *] partials, the below-range sum in row 0 and the
 * above-range sum in row 1.
 */
export interface PartialsLayout {
  windows: number;
  stride: number;
  step: number;
}

/** Windows of about sqrt(count) rows (or texels) balance the two reduction passes. */
function windowLength(count: number): number {
  return windowLengthForTests ?? Math.max(1, Math.ceil(Math.sqrt(count)));
}

let windowLengthForTests: number|null = null;

/**
 * Test hook: range-gradient windows of `length` rows (or texels) whatever the size (null: about
 * sqrt of it, the default), so that small inputs give the totals pass hundreds of windows.
 */
export function setWindowLengthForTests(length: number|null): void {
  if (length != null && !(Number.isInteger(length) && length >= 1)) {
    throw new Error(`tfjs-fake-quant: setWindowLengthForTests(${length}): length must be a ` +
                    'positive integer, or null for the default');
  }
  windowLengthForTests = length;
}

/**
 * First pass of the fused range-gradient reduction: each fragment sums both masks' terms over a
 * window of the data, reading every element once.
 *
 * Unpacked, the input is viewed as [rows, channels]: texel (k, c) sums rows
 * [k * windowRows, (k + 1) * windowRows) of channel c; the packed [2, 2 * windows * channels]
 * output holds the below-range sum at (0, 2j) and the above-range sum at (1, 2j),
 * j = k * channels + c; odd columns are 0.
 *
 * Packed ([batch, rows, cols] texels of 2x2 elements): per channel, output texel k * texelCols + t
 * sums a window of texel rows of texel column t, i.e. channels 2t (lanes x, z of the output: below,
 * above) and 2t + 1 (lanes y, w); per tensor, output texel k sums a window of consecutive texels.
 * Lanes past an odd edge are skipped.
 */
export class FakeQuantRangeGradientPartialsProgram implements GPGPUProgram {
  variableNames = ['gradients', 'x', 'params'];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;
  packedOutput = true;
  partials: PartialsLayout;

  constructor(
      layout: ElementLayout, channels: number, perChannel: boolean, webglVersion: number) {
    this.packedInputs = layout.packed;
    const glsl = fakeQuantGlsl(webglVersion, layout.packed);
    if (!layout.packed) {
      const rows = layout.size / channels;
      const windowRows = windowLength(rows);
      const windows = Math.ceil(rows / windowRows);
      this.partials = {windows, stride: 2 * channels, step: 2};
      this.outputShape = [2, 2 * windows * channels];
      this.userCode = `
        ${glsl}
        void main() {
          int j = getOutputCoords().y / 2;
          int window = j / ${channels};
          int channel = j - window * ${channels};
          NudgedRange r = nudgedRange(channel);
          vec2 sums = vec2(0.0);
          if (!r.zeroRange) {
            for (int i = 0; i < ${windowRows}; i++) {
              int row = window * ${windowRows} + i;
              if (row >= ${rows}) break;
              int index = row * ${channels} + channel;
              sums += getGradients(index) * belowAndAboveNudgedRange(getX(index), r);
            }
          }
          setOutput(vec4(sums.x, 0.0, sums.y, 0.0));
        }
      `;
      return;
    }
    const [batch, rows, cols] = layout.shape;
    const texelRows = Math.ceil(rows / 2);  // per batch
    const texelCols = Math.ceil(cols / 2);
    // Per channel a window runs down one texel column; per tensor along all texels in order.
    const count = perChannel ? batch * texelRows : batch * texelRows * texelCols;
    const length = windowLength(count);
    const windows = Math.ceil(count / length);
    const outputsPerWindow = perChannel ? texelCols : 1;
    this.partials = perChannel ? {windows, stride: 2 * texelCols, step: 1} :
                                 {windows, stride: 2, step: 2};
    this.outputShape = [2, 2 * windows * outputsPerWindow];
    const nextRowPair = `rowPair++; if (rowPair == ${texelRows}) { rowPair = 0; b++; }`;
    const {nextRow, nextCol} = nextLanesGlsl(layout.shape, 'row', 'col');
    this.userCode = `
      ${glsl}
      // (below c, below c + 1, above c, above c + 1) of the texel at (b, 2 * rowPair, col).
      vec4 texelTerms(int b, int rowPair, int col, NudgedRange r0, NudgedRange r1) {
        int row = 2 * rowPair;
        vec4 g = getGradients(b, row, col);
        vec4 v = getX(b, row, col);
        bool nextRow = ${nextRow};
        bool nextCol = ${nextCol};
        vec2 tx = rangeGradientTerms(g.x, v.x, r0);
        vec2 ty = nextCol ? rangeGradientTerms(g.y, v.y, r1) : vec2(0.0);
        vec2 tz = nextRow ? rangeGradientTerms(g.z, v.z, r0) : vec2(0.0);
        vec2 tw = nextRow && nextCol ? rangeGradientTerms(g.w, v.w, r1) : vec2(0.0);
        return vec4(tx.x + tz.x, ty.x + tw.x, tx.y + tz.y, ty.y + tw.y);
      }
      void main() {
        int texel = getOutputCoords().y / 2;
        int window = texel / ${outputsPerWindow};
        int first = window * ${length};
        // Texel (b, rowPair, texelCol) of the first one in the window.
        int texelCol = ${perChannel ? `texel - window * ${outputsPerWindow}` : `imod(first, ${texelCols})`};
        int texelRow = ${perChannel ? 'first' : `first / ${texelCols}`};
        int b = texelRow / ${texelRows};
        int rowPair = texelRow - b * ${texelRows};
        ${packedRangesGlsl(perChannel, '2 * texelCol')}
        vec4 sums = vec4(0.0);
        for (int i = 0; i < ${length}; i++) {
          if (first + i >= ${count}) break;
          sums += texelTerms(b, rowPair, 2 * texelCol, r0, r1);
          ${perChannel ? nextRowPair :
                         `texelCol++; if (texelCol == ${texelCols}) { texelCol = 0; ${nextRowPair} }`}
        }
        setOutput(${perChannel ? 'sums' : 'vec4(sums.x + sums.y, 0.0, sums.z + sums.w, 0.0)'});
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

  constructor(partials: PartialsLayout, channels: number) {
    const {windows, stride, step} = partials;
    this.outputShape = [2 * channels];
    // Column `column` of a packed row pair: lanes x (row 0), z (row 1) when even, else y, w.
    const odd = stride % 2 === 0 && step % 2 === 0 ? 'false' : 'imod(column, 2) == 1';
    this.userCode = `
      void main() {
        int index = getOutputCoords();
        bool above = index >= ${channels};
        int channel = above ? index - ${channels} : index;
        float total = 0.0;
        for (int k = 0; k < ${windows}; k++) {
          int column = k * ${stride} + channel * ${step};
          vec4 partial = getPartials(0, column);
          vec2 sums = ${odd} ? partial.yw : partial.xz;
          total += above ? sums.y : sums.x;
        }
        setOutput(total);
      }
    `;
  }
}
