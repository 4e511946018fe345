/**
 * `quantizeModel`: a quantization-aware copy of a tfjs-layers model; with `calibrate`, which sets
 * its activation ranges from data. The parts: options and their checks (quantize_options.ts),
 * the graph rewriting (quantize_rewrite.ts), calibration (calibrate.ts); the fusion rules that
 * decide where quantizers go (fusion.ts).
 */
import type {layers} from '@tensorflow/tfjs-layers';
import {LayersModel, type Sequential} from '@tensorflow/tfjs-layers';

import {checkModel, type QuantizeModelOptions, resolveOptions} from './quantize_options';
import {rewriteModel} from './quantize_rewrite';

export {calibrate, type CalibrateOptions, fakeQuantLayers} from './calibrate';
export {type QuantizeModelOptions} from './quantize_options';

type Layer = InstanceType<typeof layers.Layer>;

/**
 * Returns a quantization-aware copy of `model` (Sequential or functional), initialised with its
 * weights: every kernel of a Dense, Conv1D, Conv2D, DepthwiseConv2D or Conv2DTranspose layer is
 * fake-quantized (`FakeQuantWeights`: symmetric, narrow range, TF's default for weights; per
 * channel or not after `perChannelWeights`) and the output of every layer that computes new
 * values, and the float model inputs, go through a `FakeQuant` layer (asymmetric,
 * `activationBits`, range mode `mode`). As TF Model Optimization's default 8-bit scheme:
 * - reshapes, max pooling and dropout keep their input's quantization and get none, and so do
 *   tensors inside blocks TFLite fuses (`fusesInto` in fusion.ts: kernel layer ->
 *   BatchNormalization -> ReLU / ReLU6, kernel layer or Add -> ReLU);
 * - the quantizer after a softmax, sigmoid or tanh has TFLite's fixed output range
 *   (`fixedOutputRange`, mode `'fixed'`); a kernel layer with such an activation of its own is
 *   split into the layer, a quantizer and an Activation layer, as TFLite runs them as two ops;
 * - a SeparableConv2D becomes a DepthwiseConv2D, a quantizer and a 1x1 Conv2D (`SeparableConvQuantize`);
 * - integer inputs (an int32 model input, ids fed to an Embedding) are not quantized;
 * - layers with weights that are not kernels (recurrent layers, Conv3D, Embedding, a dilated
 *   SeparableConv2D, ...) keep float weights: one console warning names them.
 * A nested model (a model used as a layer, e.g. a pretrained base) is replaced by its own
 * quantized copy, whose inputs are not quantized again. The float model is left unchanged.
 *
 * Compile and `fit` the returned model to fine-tune it (QAT); call `calibrate` first so the
 * activation ranges start from the data rather than [-6, 6]. For post-training quantization
 * call `calibrate` and predict, without training.
 */
export function quantizeModel(model: Sequential, options?: QuantizeModelOptions): Sequential;
export function quantizeModel(model: LayersModel, options?: QuantizeModelOptions): LayersModel;
export function quantizeModel(model: LayersModel, options: QuantizeModelOptions = {}): LayersModel {
  if (!(model instanceof LayersModel)) {
    throw new Error('quantizeModel: model must be a tf.LayersModel (tf.sequential or tf.model).');
  }
  const o = resolveOptions(options);
  checkModel(model, o);
  const floatLayers: Layer[] = [];
  const quantized = rewriteModel(model, o, floatLayers);
  if (floatLayers.length > 0) {
    console.warn(
        'quantizeModel: these layers keep float weights (not quantized, as in TF Model Optimization\'s ' +
        `default scheme): ${floatLayers.map((l) => `${l.name} (${l.getClassName()})`).join(', ')}.`);
  }
  return quantized;
}
