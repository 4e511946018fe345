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

import {type ExportOptions, lowerModel} from './lower';
import {type ONNXLayout, writeONNX} from './onnx/writer';
import {writeTFLite} from './tflite/writer';

export {type ExportOptions, type IOType, lowerModel, SUPPORTED_LAYERS} from './lower';
export type {ONNXLayout} from './onnx/writer';
export {saveQuantized, type SaveQuantizedOptions} from './tfjs/save_quantized';
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

export interface ONNXExportOptions extends ExportOptions {
  /**
   * The layout of 4-D inputs and outputs: `'NHWC'` (default: as the TF.js model, with Transposes
   * to and from ONNX's NCHW at the edges of the graph) or `'NCHW'` (ONNX's convention).
   */
  layout?: ONNXLayout;
}

/**
 * The ONNX model (opset 13, IR version 7) of a quantized Layers model in QDQ form, as ONNX
 * Runtime's quantizer writes it: each int8 activation a QuantizeLinear / DequantizeLinear pair
 * with the FakeQuant range's scale and zero point, int8 kernels (per axis where the model
 * quantized per channel) and int32 biases behind DequantizeLinear, float ops between, so that
 * ONNX Runtime fuses them into its integer kernels (QLinearConv, QGemm, QLinearAdd, ...). The
 * same layers, options (`inputType` / `outputType` `'int8'`: int8 graph inputs / outputs) and
 * errors as `exportTFLite`; inputs and outputs keep the model's names. The batch dimension is
 * dynamic (named 'batch') unless `batchSize` fixes it. Inside the graph images are NCHW;
 * `layout` sets the inputs' and outputs'.
 *
 * In ONNX Runtime on x86 CPUs with AVX2 but no VNNI, set the session option
 * `session.x64quantprecision: '1'` (`extra: {session: {x64quantprecision: '1'}}` in
 * onnxruntime-node / -web): its default U8S8 kernels add products in saturating 16-bit pairs,
 * which full 8-bit weights overflow (measured here: 14-96% of outputs within one step instead of
 * 100%). On x86, ORT 1.30 also runs the readers of a tensor that several ops read (branches)
 * on float kernels: it converts int8 Q/DQ pairs to the uint8 its x86 kernels take only where one
 * op reads them (`session.qdqisint8allowed: '1'` would keep them int8, but its CPU QGemm has no
 * int8-activation kernel there). The values are the same either way.
 */
export async function exportONNX(model: LayersModel, options: ONNXExportOptions = {}): Promise<Uint8Array> {
  const {layout, ...lowering} = options;
  return writeONNX(lowerModel(model, lowering), {layout, dynamicBatch: options.batchSize == null});
}
