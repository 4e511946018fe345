/**
 * `tfjs-fake-quant/export`: a quantization-aware model (from `quantizeModel`, calibrated or
 * trained) as a full-integer int8 TFLite file, as TF's converter writes one for a QAT model.
 *
 * ```js
 * import {exportTFLite} from 'tfjs-fake-quant/export';
 * const bytes = await exportTFLite(qatModel);              // float32 in and out
 * const intIO = await exportTFLite(qatModel, {inputType: 'int8', outputType: 'int8'});
 * ```
 */
import type {LayersModel} from '@tensorflow/tfjs-layers';

import {ExportOptions, lowerModel} from './lower';
import {writeTFLite} from './tflite/writer';

export {ExportOptions, IOType, lowerModel, SUPPORTED_LAYERS} from './lower';
export type {FusedActivation, GraphDType, GraphOp, GraphOpKind, GraphTensor, IntGraph, Padding, QuantParams} from './graph';

/**
 * The TFLite flatbuffer (schema 3) of a quantized Layers model: int8 activations with the
 * FakeQuant ranges' scale and zero point, int8 symmetric kernels (per channel where the model
 * quantized per channel), int32 biases, BatchNormalization folded, ReLUs fused where TFLite fuses
 * them. Reads the model's weights; creates no tensor that outlives the call.
 *
 * Activations of fewer than 8 bits keep their grid (scale and zero point from the FakeQuant's
 * nudged range) on int8 tensors, their 2^b levels at the top of int8: values above a range clamp
 * as in the QAT model, values below a negative minimum only at -128 (see src/export/params.ts).
 * Kernels of fewer bits are int8 integers in [-(2^(b-1) - 1), 2^(b-1) - 1]. Wider activations
 * than 8 bits are an error (TFLite's 16x8 mode is not written).
 */
export async function exportTFLite(model: LayersModel, options: ExportOptions = {}): Promise<Uint8Array> {
  return writeTFLite(lowerModel(model, options));
}
