/**
 * `tfjs-fake-quant/layers`: quantization-aware training with the tfjs Layers API
 * (`@tensorflow/tfjs-layers`, an optional peer dependency; `@tensorflow/tfjs` includes it).
 *
 * - `FakeQuant`: a layer that fake-quantizes its input, with a learned or moving-average range.
 * - `FakeQuantWeights`: a wrapper that fake-quantizes a Dense / Conv / DepthwiseConv2D kernel
 *   (symmetric, per channel).
 * - `quantizeModel(model, options)`: a quantization-aware copy of a Sequential or functional model.
 * - `calibrate(model, x)`: sets the activation ranges from data (post-training quantization).
 *
 * The layers are registered with `tf.serialization.registerClass`, so `model.save` and
 * `tf.loadLayersModel` round-trip quantized models once this entry is imported.
 */
import '../index';

export {MIN_RANGE, FakeQuant, type FakeQuantArgs, type RangeMode, type CalibrationMethod} from './fake_quant';
export {FakeQuantWeights, type FakeQuantWeightsArgs, fakeQuantKernel, kernelChannelsLast, supportsPerChannel, symmetricKernelRange} from './fake_quant_weights';
export {KERNEL_LAYERS} from './tfjs_layers_internals';
export {fixedOutputRange, fusedProducers, fusesInto, FUSING_KERNEL_LAYERS, isFusingKernelLayer, ownActivation, type ReluKind, reluKind, unwrapLayer} from './fusion';
export {quantizeModel, type QuantizeModelOptions, calibrate, type CalibrateOptions, fakeQuantLayers} from './quantize_model';
