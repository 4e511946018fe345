/**
 * `calibrate`: sets the activation ranges of a quantized model from data (post-training
 * calibration), and `fakeQuantLayers`, the quantizers it sets.
 */
import {dispose, Tensor} from '@tensorflow/tfjs-core';
import {LayersModel} from '@tensorflow/tfjs-layers';

import {type CalibrationMethod, FakeQuant} from './fake_quant';

/** The FakeQuant layers of a model (activation quantizers), in order, nested models' included. */
export function fakeQuantLayers(model: LayersModel): FakeQuant[] {
  return model.layers.flatMap((l): FakeQuant[] => l instanceof FakeQuant ? [l] :
                                  l instanceof LayersModel ? fakeQuantLayers(l) :
                                                             []);
}

export interface CalibrateOptions {
  /** Batch size of the calibration pass. Default 256. */
  batchSize?: number;
  /**
   * `'minmax'` (default): the range is the extremes over all the data; `'average'`: the mean of
   * the per-batch extremes (less sensitive to outliers). Either is widened to include 0.
   */
  method?: CalibrationMethod;
}

/**
 * Sets the range of every `FakeQuant` layer of `model` from the data `x` (post-training
 * calibration): runs the model once over `x` in inference mode with all its FakeQuant layers
 * passing values through unquantized, so that each sees the float model's activations, as
 * TFLite's calibration. Weights and `'fixed'` ranges are untouched. Returns the number of layers
 * whose range was set.
 */
export function calibrate(model: LayersModel, x: Tensor|Tensor[], options: CalibrateOptions = {}): number {
  const xs = Array.isArray(x) ? x : [x];
  if (xs.length === 0 || xs.some((t) => !(t instanceof Tensor) || t.rank === 0 || t.shape[0] === 0)) {
    throw new Error(
        'calibrate: x must be a tensor (or one per model input) with at least one sample, got ' +
        `${xs.length === 0 ? 'no tensor' : xs.map((t) => t instanceof Tensor ? `shape [${t.shape}]` : typeof t).join(', ')}.`);
  }
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`calibrate: batchSize must be a positive integer, got ${JSON.stringify(options.batchSize)}.`);
  }
  const fqs = fakeQuantLayers(model);
  const method = options.method ?? 'minmax';
  for (const fq of fqs) fq.startCalibration(method);
  let ok = false;
  try {
    dispose(model.predict(x, {batchSize}));
    ok = true;
  } finally {
    for (const fq of fqs) {
      if (!ok) fq.discardCalibration();
    }
  }
  return fqs.filter((fq) => fq.finishCalibration()).length;
}
