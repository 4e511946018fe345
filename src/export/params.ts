/**
 * Activation quantization parameters of the int8 graph, from the QAT model's FakeQuant ranges.
 *
 * TF's nudge of a FakeQuant range gives the grid the QAT model computed on: `scale` and a zero
 * point `zp` in [quantMin, quantMax] (levels 0 .. 2^b - 1, or 1 .. with narrow range). On the int8
 * container a level `l` is stored as `l + 127 - quantMax`, with zero point `zp + 127 - quantMax`:
 * at 8 bits the usual uint8 - 128. Below 8 bits the levels fill the top of int8, so that values
 * above the range clamp where the QAT model clamps them (at 127, the grid's top), and a ReLU's
 * lower clamp (fused or not) is its zero point as in the QAT model; values below a range whose
 * minimum is negative are clamped only at -128, below the grid's bottom. The values on the grid
 * are unchanged: real = (l - zp) * scale in both.
 */
import {nudge, quantRange} from '../quant/nudge';

import type {QuantParams} from './graph';

/** The activation bit widths int8 tensors hold (TFLite's 16x8 mode is not written). */
export const MAX_ACTIVATION_BITS = 8;
const INT8_MAX = 127;

/** What a FakeQuant layer tells the export (the `FakeQuant` class, seen by its fields). */
export interface ActivationQuantizer {
  name: string;
  numBits: number;
  narrowRange: boolean;
  perChannel: boolean;
  getRange(): {min: number[], max: number[]};
}

/** TFLite's fixed output parameters of SOFTMAX (and LOGISTIC): [0, 255/256]. */
export const SOFTMAX_OUTPUT_PARAMS: Readonly<QuantParams> = {scale: [1 / 256], zeroPoint: [-128]};

/** The int8 parameters of the tensor a FakeQuant layer quantizes (`path` names it in errors). */
export function fakeQuantParams(fq: ActivationQuantizer, path: string): QuantParams {
  if (fq.perChannel) {
    throw new Error(
        `FakeQuant ${path} quantizes per channel; TFLite's int8 activations have one scale and ` +
        'zero point per tensor: use perChannel: false for activation quantizers.');
  }
  if (fq.numBits > MAX_ACTIVATION_BITS) {
    throw new Error(
        `FakeQuant ${path} has numBits ${fq.numBits}; int8 export supports activations of at ` +
        `most ${MAX_ACTIVATION_BITS} bits (quantizeModel's activationBits).`);
  }
  const {min, max} = fq.getRange();
  const range = quantRange(fq.numBits, fq.narrowRange);
  const n = nudge(min[0], max[0], range);
  const zeroPoint = range.quantMin + n.quantZero;
  return {scale: [n.scale], zeroPoint: [zeroPoint + INT8_MAX - range.quantMax]};
}

export function sameParams(a: QuantParams, b: QuantParams): boolean {
  return a.axis === b.axis && a.scale.length === b.scale.length &&
      a.scale.every((s, i) => s === b.scale[i] && a.zeroPoint[i] === b.zeroPoint[i]);
}

export function copyParams(p: Readonly<QuantParams>): QuantParams {
  return {scale: [...p.scale], zeroPoint: [...p.zeroPoint], ...(p.axis != null ? {axis: p.axis} : {})};
}
