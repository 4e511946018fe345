/**
 * The `FakeQuant` layer: TensorFlow's fake quantization of its input (`fakeQuantWithMinMaxVars`, or
 * `fakeQuantWithMinMaxVarsPerChannel` with `perChannel`), with a range that is either learned by
 * gradient descent or tracked as a moving average of batch statistics (TF Model Optimization's
 * `MovingAverageQuantizer`).
 */
import {add, any, dispose, isFinite as isFiniteTensor, keep, logicalAnd, max, maximum, min, minimum, mul, scalar, type Scalar, serialization, sub, type Tensor, type Tensor1D, tensor1d, tidy, where} from '@tensorflow/tfjs-core';
import {initializers, layers} from '@tensorflow/tfjs-layers';
import type {LayerVariable, Shape} from '@tensorflow/tfjs-layers';

import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsPerChannel} from '../index';
import {DEFAULT_EMA_DECAY, DEFAULT_MAX, DEFAULT_MIN, DEFAULT_NARROW_RANGE, DEFAULT_NUM_BITS} from '../quant/defaults';
import {allButLastAxis, assertNumBits, type Kwargs, type LayerArgs, singleShape, singleTensor} from './common';

/**
 * How a `FakeQuant` layer sets its range:
 * - `'learned'`: `min` and `max` are trainable weights, trained through the gradient of
 *   `fakeQuantWithMinMaxVars` with respect to its range (the elements clipped below / above).
 * - `'ema'`: `min` and `max` are non-trainable weights. While training (`training: true`, as
 *   `model.fit` calls layers) each batch moves them towards the batch's minimum and maximum
 *   (each widened to include 0): `v -= (v - batchValue) * (1 - emaDecay)`, and the batch is then
 *   quantized with the updated range. At inference they are frozen. Values that are not finite
 *   (NaN, ±Infinity) are left out of the batch statistics; a batch (or channel) without a
 *   finite value, e.g. an empty batch, leaves the range as it was.
 * - `'fixed'`: the range is `[initMin, initMax]` for good: training and `calibrate` do not move
 *   it and `setRange` refuses. For outputs whose int8 parameters TFLite fixes: `quantizeModel`
 *   gives the quantizer after a softmax or sigmoid [0, 1 - 2^-numBits] (TFLite's scale 1/256,
 *   zero point -128 at 8 bits) and after tanh [-1, 1 - 2^(1-numBits)] (scale 1/128, zero point 0).
 */
export type RangeMode = 'learned'|'ema'|'fixed';

/** How `calibrate` turns the per-batch statistics into a range: overall extremes, or their mean. */
export type CalibrationMethod = 'minmax'|'average';

export interface FakeQuantArgs extends LayerArgs {
  /** Bit width, an integer in 2..16. Default 8. */
  numBits?: number;
  /** Quantize to [1, 2^numBits - 1] instead of [0, 2^numBits - 1]. Default false. */
  narrowRange?: boolean;
  /** One range per channel (the last axis) instead of one for the whole tensor. Default false. */
  perChannel?: boolean;
  /** `'learned'`, `'ema'` (default) or `'fixed'`. */
  mode?: RangeMode;
  /** Decay of the moving averages in `'ema'` mode, in (0, 1). Default 0.999 (as TF Model Optimization). */
  emaDecay?: number;
  /** Initial range, until training or `calibrate` sets it. Default [-6, 6] (as TF). */
  initMin?: number;
  initMax?: number;
}

/**
 * The smallest range width used: a range that collapsed to [0, 0] (e.g. after an all-zero batch)
 * is widened to [0, MIN_RANGE] so that no step divides by zero.
 */
export const MIN_RANGE = 1e-6;

interface CalibrationState {
  method: CalibrationMethod;
  lo: Tensor|null;
  hi: Tensor|null;
  batches: number;
}

/**
 * A layer that fake-quantizes its input, for quantization-aware training.
 *
 * ```js
 * import * as tf from '@tensorflow/tfjs';
 * import {FakeQuant} from 'tfjs-fake-quant/layers';
 * const model = tf.sequential({layers: [
 *   new FakeQuant({inputShape: [4], numBits: 8, mode: 'ema'}),
 *   tf.layers.dense({units: 2}),
 * ]});
 * ```
 *
 * The range actually used is `[min(minWeight, 0), max(maxWeight, 0)]`, widened to at least
 * `MIN_RANGE`: it always contains 0 and is never empty, whatever the optimizer does to learned
 * weights, so a training step never produces NaN from the range.
 */
export class FakeQuant extends layers.Layer {
  /** @nocollapse */
  static className = 'FakeQuant';

  readonly numBits: number;
  readonly narrowRange: boolean;
  readonly perChannel: boolean;
  readonly mode: RangeMode;
  readonly emaDecay: number;
  readonly initMin: number;
  readonly initMax: number;

  private minWeight: LayerVariable|null = null;
  private maxWeight: LayerVariable|null = null;
  private calibration: CalibrationState|null = null;

  constructor(args: FakeQuantArgs = {}) {
    super(args);
    this.numBits = args.numBits ?? DEFAULT_NUM_BITS;
    this.narrowRange = args.narrowRange ?? DEFAULT_NARROW_RANGE;
    this.perChannel = args.perChannel ?? false;
    this.mode = args.mode ?? 'ema';
    this.emaDecay = args.emaDecay ?? DEFAULT_EMA_DECAY;
    this.initMin = args.initMin ?? DEFAULT_MIN;
    this.initMax = args.initMax ?? DEFAULT_MAX;
    assertNumBits(this.numBits, 'FakeQuant');
    assertBoolean(this.narrowRange, 'narrowRange');
    assertBoolean(this.perChannel, 'perChannel');
    if (this.mode !== 'learned' && this.mode !== 'ema' && this.mode !== 'fixed') {
      throw new Error(`FakeQuant: mode must be 'learned', 'ema' or 'fixed', got ${JSON.stringify(this.mode)}.`);
    }
    if (typeof this.emaDecay !== 'number' || !(this.emaDecay > 0 && this.emaDecay < 1)) {
      throw new Error(`FakeQuant: emaDecay must be a number in (0, 1), got ${JSON.stringify(this.emaDecay)}.`);
    }
    if (!(Number.isFinite(this.initMin) && Number.isFinite(this.initMax) && this.initMin < this.initMax)) {
      throw new Error(
          `FakeQuant: initMin < initMax (finite) is required, got [${this.initMin}, ${this.initMax}].`);
    }
  }

  build(inputShape: Shape|Shape[]): void {
    const shape = singleShape(inputShape, this.name);
    let rangeShape: number[] = [];
    if (this.perChannel) {
      const channels = shape[shape.length - 1];
      if (shape.length === 0 || channels == null) {
        throw new Error(
            `FakeQuant ${this.name}: perChannel needs a known last dimension, got input shape ` +
            `${JSON.stringify(shape)}.`);
      }
      rangeShape = [channels];
    }
    const trainable = this.mode === 'learned';  // 'ema' and 'fixed' ranges are assigned, not trained
    this.minWeight = this.addWeight(
        'min', rangeShape, 'float32', initializers.constant({value: this.initMin}), undefined,
        trainable);
    this.maxWeight = this.addWeight(
        'max', rangeShape, 'float32', initializers.constant({value: this.initMax}), undefined,
        trainable);
    this.built = true;
  }

  call(inputs: Tensor|Tensor[], kwargs: Kwargs): Tensor {
    return tidy(() => {
      const x = singleTensor(inputs, this.name);
      if (this.calibration != null) {
        if (this.mode !== 'fixed') this.observe(x, this.calibration);
        return x.clone();
      }
      if (this.mode === 'ema' && kwargs != null && kwargs['training'] === true) {
        this.updateMovingAverages(x);
      }
      const [lo, hi] = this.effectiveRange();
      return this.perChannel ?
          fakeQuantWithMinMaxVarsPerChannel(x, lo as Tensor1D, hi as Tensor1D, this.numBits, this.narrowRange) :
          fakeQuantWithMinMaxVarsInternal(x, lo, hi, this.numBits, this.narrowRange);
    });
  }

  /**
   * The range the layer quantizes with now: per channel when `perChannel`, else one value each.
   */
  getRange(): {min: number[], max: number[]} {
    return tidy(() => {
      const [lo, hi] = this.effectiveRange();
      return {min: Array.from(lo.dataSync()), max: Array.from(hi.dataSync())};
    });
  }

  /**
   * Sets the range (numbers, or one per channel with `perChannel`), finite with min <= max. The
   * layer must be built, and not in `'fixed'` mode.
   */
  setRange(min: number|number[], max: number|number[]): void {
    if (this.mode === 'fixed') {
      throw new Error(`FakeQuant ${this.name}: the range is fixed (mode 'fixed'); make a layer with other initMin/initMax.`);
    }
    const [minW, maxW] = this.rangeWeights();
    const lo = this.rangeValues(min, minW.shape as number[], 'min');
    const hi = this.rangeValues(max, maxW.shape as number[], 'max');
    lo.forEach((v, i) => {
      if (!(Number.isFinite(v) && Number.isFinite(hi[i]) && v <= hi[i])) {
        throw new Error(
            `FakeQuant ${this.name}: setRange needs finite min <= max, got [${v}, ${hi[i]}]` +
            (lo.length > 1 ? ` for channel ${i}.` : '.'));
      }
    });
    const shape = minW.shape as number[];
    tidy(() => {
      minW.write(shape.length === 0 ? scalar(lo[0]) : tensor1d(lo));
      maxW.write(shape.length === 0 ? scalar(hi[0]) : tensor1d(hi));
    });
  }

  /**
   * Starts recording the statistics of the inputs: until `finishCalibration`, `call` passes its
   * input through unquantized and records its minimum and maximum (per channel with
   * `perChannel`). `calibrate(model, x)` drives this for every FakeQuant layer of a model.
   */
  startCalibration(method: CalibrationMethod = 'minmax'): void {
    if (method !== 'minmax' && method !== 'average') {
      throw new Error(`FakeQuant: calibration method must be 'minmax' or 'average', got ${method}.`);
    }
    this.discardCalibration();
    this.calibration = {method, lo: null, hi: null, batches: 0};
  }

  /**
   * Ends calibration: sets the range to the recorded statistics (widened to include 0) and
   * returns true, or returns false (range unchanged) if no batch was seen or the range is
   * `'fixed'`. A channel that saw no finite value keeps its range.
   */
  finishCalibration(): boolean {
    const c = this.calibration;
    if (c == null) throw new Error(`FakeQuant ${this.name}: finishCalibration without startCalibration.`);
    this.calibration = null;
    // Nothing recorded: no batch seen, or a 'fixed' layer (`call` records nothing for it).
    if (c.lo == null || c.hi == null) return false;
    const [minW, maxW] = this.rangeWeights();
    const {lo, hi} = c;
    tidy(() => {
      const scale = c.method === 'average' ? 1 / c.batches : 1;
      const seen = logicalAnd(isFiniteTensor(lo), isFiniteTensor(hi));
      this.writeWhere(seen, minW, maxW, minimum(mul(lo, scale), 0), maximum(mul(hi, scale), 0));
    });
    dispose([lo, hi]);
    return true;
  }

  /** Drops a calibration in progress, if any (the range stays as it was). */
  discardCalibration(): void {
    if (this.calibration != null) {
      dispose([this.calibration.lo, this.calibration.hi].filter((t): t is Tensor => t != null));
      this.calibration = null;
    }
  }

  dispose() {
    this.discardCalibration();
    return super.dispose();
  }

  getConfig(): serialization.ConfigDict {
    return {
      numBits: this.numBits,
      narrowRange: this.narrowRange,
      perChannel: this.perChannel,
      mode: this.mode,
      emaDecay: this.emaDecay,
      initMin: this.initMin,
      initMax: this.initMax,
      ...super.getConfig(),
    };
  }

  private rangeWeights(): [LayerVariable, LayerVariable] {
    if (this.minWeight == null || this.maxWeight == null) {
      throw new Error(`FakeQuant ${this.name} is not built yet (apply it or build its model first).`);
    }
    return [this.minWeight, this.maxWeight];
  }

  /** [min(minW, 0), max(maxW, 0, that + MIN_RANGE)]: contains 0, never empty. */
  private effectiveRange(): [Tensor, Tensor] {
    const [minW, maxW] = this.rangeWeights();
    const lo = minimum(minW.read(), 0);
    const hi = maximum(maximum(maxW.read(), 0), add(lo, MIN_RANGE));
    return [lo, hi];
  }

  /**
   * TF Model Optimization's `MovingAvgQuantize` (not symmetric): the batch range, widened to
   * include 0, enters an exponential moving average without zero-debiasing
   * (`assign_moving_average(v, value, decay, zero_debias=False)`: `v -= (v - value) * (1 - decay)`).
   * The variables are assigned, not differentiated: no gradient flows from the range to the
   * inputs through the batch statistics.
   */
  private updateMovingAverages(x: Tensor): void {
    if (x.size === 0) return;  // nothing seen: the range stays
    const [minW, maxW] = this.rangeWeights();
    const axes = this.perChannel ? allButLastAxis(x.rank) : undefined;
    // Non-finite values read as 0, which the batch range is widened to contain anyway.
    const finite = isFiniteTensor(x);
    const masked = where(finite, x, 0);
    const batchMin = minimum(min(masked, axes), 0);
    const batchMax = maximum(max(masked, axes), 0);
    // (1 - decay) in float32, as TF computes it from the float32 decay.
    const rate = scalar(Math.fround(1 - Math.fround(this.emaDecay)));
    const minV = minW.read();
    const maxV = maxW.read();
    this.writeWhere(
        any(finite, axes), minW, maxW, sub(minV, mul(sub(minV, batchMin), rate)), sub(maxV, mul(sub(maxV, batchMax), rate)));
  }

  /** Writes the range [lo, hi] where `seen` (per channel, or one flag), elsewhere keeps it. */
  private writeWhere(seen: Tensor, minW: LayerVariable, maxW: LayerVariable, lo: Tensor, hi: Tensor): void {
    minW.write(where(seen, lo, minW.read()));
    maxW.write(where(seen, hi, maxW.read()));
  }

  /**
   * Records the extremes of the finite values of `x` (per channel with `perChannel`): ±Infinity
   * where there is none, which `finishCalibration` leaves out. An empty batch is not counted.
   */
  private observe(x: Tensor, c: CalibrationState): void {
    if (x.size === 0) return;
    const axes = this.perChannel ? allButLastAxis(x.rank) : undefined;
    const finite = isFiniteTensor(x);
    const bMin = min(where(finite, x, Infinity), axes);
    const bMax = max(where(finite, x, -Infinity), axes);
    const combine = c.method === 'minmax' ?
        [(a: Tensor, b: Tensor) => minimum(a, b), (a: Tensor, b: Tensor) => maximum(a, b)] :
        [(a: Tensor, b: Tensor) => add(a, b), (a: Tensor, b: Tensor) => add(a, b)];
    const lo = c.lo == null ? bMin : combine[0](c.lo, bMin);
    const hi = c.hi == null ? bMax : combine[1](c.hi, bMax);
    dispose([c.lo, c.hi].filter((t): t is Tensor => t != null));
    c.lo = keep(lo);
    c.hi = keep(hi);
    c.batches++;
  }

  private rangeValues(value: number|number[], shape: number[], name: string): number[] {
    if (shape.length === 0) {
      if (typeof value !== 'number') {
        throw new Error(`FakeQuant ${this.name}: ${name} must be a number (the layer is per tensor).`);
      }
      return [value];
    }
    const values = typeof value === 'number' ? new Array(shape[0]).fill(value) : value;
    if (!Array.isArray(values) || values.length !== shape[0]) {
      throw new Error(
          `FakeQuant ${this.name}: ${name} needs ${shape[0]} values (one per channel), got ${JSON.stringify(value)}.`);
    }
    return values;
  }
}

function assertBoolean(value: unknown, name: string): void {
  if (typeof value !== 'boolean') throw new Error(`FakeQuant: ${name} must be a boolean, got ${JSON.stringify(value)}.`);
}

/** fakeQuantWithMinMaxVars with tensor ranges (typed for the scalar range tensors used here). */
function fakeQuantWithMinMaxVarsInternal(
    x: Tensor, lo: Tensor, hi: Tensor, numBits: number, narrowRange: boolean): Tensor {
  return fakeQuantWithMinMaxVars(x, lo as Scalar, hi as Scalar, numBits, narrowRange);
}

serialization.registerClass(FakeQuant);
