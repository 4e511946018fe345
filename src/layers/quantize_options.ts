/**
 * The options of `quantizeModel`: their documentation, defaults and validation, and the checks of
 * a model against them, all before anything is built.
 */
import {type layers, LayersModel} from '@tensorflow/tfjs-layers';

import {DEFAULT_EMA_DECAY, DEFAULT_MAX, DEFAULT_MIN, DEFAULT_NUM_BITS} from '../quant/defaults';
import {assertNumBits} from './common';
import {FakeQuant, type RangeMode} from './fake_quant';
import {FakeQuantWeights} from './fake_quant_weights';

type Layer = InstanceType<typeof layers.Layer>;

export interface QuantizeModelOptions {
  /** Bit width of the kernels (`KERNEL_LAYERS`: symmetric, narrow range). Default 8. */
  weightBits?: number;
  /** Bit width of the activations (asymmetric, full range, as TF). Default 8. */
  activationBits?: number;
  /**
   * Kernel ranges per output channel or per kernel:
   * - `true` (default): per channel for every kernel that allows it (Dense, Conv1D, Conv2D,
   *   DepthwiseConv2D; Conv2DTranspose is always per tensor);
   * - `'conv'`: TF Model Optimization's default 8-bit scheme (`Default8BitConvWeightsQuantizer`
   *   for Conv2D and DepthwiseConv2D, per tensor for Dense): per channel for convolutions, per
   *   tensor for Dense, whose per-channel fully connected layers some int8 runtimes reject;
   * - `false`: per tensor everywhere.
   * DepthwiseConv2D channels are its in * multiplier outputs (TFLite's per-channel axis). MOT's
   * own depthwise quantizer ranges over the multiplier axis only, one range for a multiplier of 1
   * (tensorflow/model-optimization#808); TFLite's converter then requantizes per channel.
   */
  perChannelWeights?: boolean|'conv';
  /** How activation ranges are set: `'ema'` (default) or `'learned'`. See `FakeQuant`. */
  mode?: 'ema'|'learned';
  /** Decay of the moving averages in `'ema'` mode, in (0, 1). Default 0.999. */
  emaDecay?: number;
  /** Fake-quantize the model's inputs too (as TFLite, whose inputs are quantized). Default true. */
  quantizeInputs?: boolean;
  /**
   * Initial activation range, until `calibrate` or training sets it. Default [-6, 6] (TF's).
   * Fine-tuning a trained model works best from calibrated ranges: call `calibrate` first.
   */
  initRange?: [number, number];
  /**
   * Per-layer bit widths, by the original layer's name (a layer of the model or of a nested
   * model): e.g. keep the last layer's outputs at 8 bits in a 4-bit model with
   * `{dense_out: {activationBits: 8}}`.
   */
  layerOptions?: {[layerName: string]: {weightBits?: number; activationBits?: number}};
}

type LayerOptions = NonNullable<QuantizeModelOptions['layerOptions']>;

/** The options with their defaults filled in, checked. */
export interface ResolvedOptions {
  weightBits: number;
  activationBits: number;
  perChannelWeights: boolean|'conv';
  mode: RangeMode;
  emaDecay: number;
  quantizeInputs: boolean;
  initRange: [number, number];
  layerOptions: LayerOptions;
}

export function resolveOptions(options: QuantizeModelOptions): ResolvedOptions {
  if (options == null || typeof options !== 'object') {
    throw new Error(`quantizeModel: options must be an object, got ${JSON.stringify(options)}.`);
  }
  const r: ResolvedOptions = {
    weightBits: options.weightBits ?? DEFAULT_NUM_BITS,
    activationBits: options.activationBits ?? DEFAULT_NUM_BITS,
    perChannelWeights: options.perChannelWeights ?? true,
    mode: options.mode ?? 'ema',
    emaDecay: options.emaDecay ?? DEFAULT_EMA_DECAY,
    quantizeInputs: options.quantizeInputs ?? true,
    initRange: options.initRange ?? [DEFAULT_MIN, DEFAULT_MAX],
    layerOptions: options.layerOptions ?? {},
  };
  assertNumBits(r.weightBits, 'quantizeModel', 'weightBits');
  assertNumBits(r.activationBits, 'quantizeModel', 'activationBits');
  if (typeof r.perChannelWeights !== 'boolean' && r.perChannelWeights !== 'conv') {
    throw new Error(
        `quantizeModel: perChannelWeights must be true, false or 'conv', got ${JSON.stringify(r.perChannelWeights)}.`);
  }
  if (r.mode !== 'ema' && r.mode !== 'learned') {
    throw new Error(`quantizeModel: mode must be 'ema' or 'learned', got ${JSON.stringify(r.mode)}.`);
  }
  if (typeof r.emaDecay !== 'number' || !(r.emaDecay > 0 && r.emaDecay < 1)) {
    throw new Error(`quantizeModel: emaDecay must be a number in (0, 1), got ${JSON.stringify(r.emaDecay)}.`);
  }
  if (typeof r.quantizeInputs !== 'boolean') {
    throw new Error(`quantizeModel: quantizeInputs must be a boolean, got ${JSON.stringify(r.quantizeInputs)}.`);
  }
  const [lo, hi] = Array.isArray(r.initRange) && r.initRange.length === 2 ? r.initRange : [NaN, NaN];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new Error(`quantizeModel: initRange must be [min, max], finite, min < max, got ${JSON.stringify(r.initRange)}.`);
  }
  for (const [name, o] of Object.entries(r.layerOptions)) {
    const keys = o != null && typeof o === 'object' ? Object.keys(o) : null;
    const unknown = keys?.filter((k) => k !== 'weightBits' && k !== 'activationBits');
    if (unknown == null || unknown.length > 0) {
      throw new Error(
          `quantizeModel: layerOptions.${name} must be {weightBits?, activationBits?}, got ${JSON.stringify(o)}.`);
    }
    if (o.weightBits != null) assertNumBits(o.weightBits, 'quantizeModel', `layerOptions.${name}.weightBits`);
    if (o.activationBits != null) {
      assertNumBits(o.activationBits, 'quantizeModel', `layerOptions.${name}.activationBits`);
    }
  }
  return r;
}

/** The layers of a model and of its nested models, depth first. */
function allLayers(model: LayersModel): Layer[] {
  return model.layers.flatMap((l) => l instanceof LayersModel ? [l, ...allLayers(l)] : [l]);
}

/** Checks the model before anything is built, so that a refused model leaves no tensor behind. */
export function checkModel(model: LayersModel, o: ResolvedOptions): void {
  const layersOf = allLayers(model);
  const quantized = layersOf.find((l) => l instanceof FakeQuant || l instanceof FakeQuantWeights);
  if (quantized != null) {
    throw new Error(
        `quantizeModel: the model is already quantized (layer ${quantized.name}); quantize the float model.`);
  }
  const names = new Set(layersOf.map((l) => l.name));
  const unknown = Object.keys(o.layerOptions).filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new Error(
        `quantizeModel: layerOptions names no layer of the model: ${unknown.join(', ')} ` +
        '(use the names of the float model\'s layers).');
  }
}
