/**
 * The defaults of TF's fake-quant ops and of TF Model Optimization's quantizers, written once:
 * the ops, the Layers API and the graph-model executors read them here.
 */

/** The bit widths TF's fake-quant ops accept (`num_bits`, 2..16 inclusive). */
export const MIN_NUM_BITS = 2;
export const MAX_NUM_BITS = 16;

/** TF's default `num_bits`, and the default bit width of every layer and option here. */
export const DEFAULT_NUM_BITS = 8;

/** TF's default `narrow_range` (activations; weight quantizers default to a narrow range). */
export const DEFAULT_NARROW_RANGE = false;

/**
 * TF's default range of FakeQuantWithMinMaxArgs (`min`, `max`), also the initial range of the
 * activation quantizers until training or calibration sets it.
 */
export const DEFAULT_MIN = -6;
export const DEFAULT_MAX = 6;

/** TF Model Optimization's moving-average decay (`MovingAverageQuantizer`, `ema_decay`). */
export const DEFAULT_EMA_DECAY = 0.999;
