/**
 * One entry per GraphOp kind: its TFLite builtin code, the version TFLite's op_version.cc gives
 * it for the tensor types at hand, the inputs it takes, and its options table.
 */
import type * as flatbuffers from 'flatbuffers';

import type {
  FusedActivation, GraphDType, GraphOp, GraphOpKind, GraphTensor, Padding as GraphPadding,
} from '../graph';

import {
  ActivationFunctionType, AddOptionsField, BuiltinOperator, type BuiltinOperatorCode, BuiltinOptions,
  type BuiltinOptionsType, ConcatenationOptionsField, Conv2DOptionsField, DepthwiseConv2DOptionsField,
  FullyConnectedOptionsField, FullyConnectedWeightsFormat, Padding, Pool2DOptionsField,
  ReducerOptionsField, ReshapeOptionsField, SoftmaxOptionsField,
} from './schema';
import {lookup} from './lookup';
import {int32Vector} from './vectors';

/** The GraphOp variant whose `kind` can be K (pools and activations share a variant). */
export type OpOf<K extends GraphOpKind, O = GraphOp> =
    O extends {kind: infer OK} ? (K extends OK ? O : never) : never;

/** A constant input the op needs: its type, rank and, for per-channel weights, the axis. */
export interface ConstantInput {
  index: number;
  what: string;
  dtype: GraphDType;
  rank?: number;
  perChannelAxis?: number;
}

export interface BuiltOptions {
  type: BuiltinOptionsType;
  offset: flatbuffers.Offset;
}

/**
 * What TFLite's int8 kernel requires of the output's parameters: those of every non-constant
 * input (the kernel copies or compares values without rescaling), or fixed ones.
 */
export type OutputParams = 'same as input'|{scale: number, zeroPoint: number};

export interface OpSpec<K extends GraphOpKind> {
  code: BuiltinOperatorCode;
  /** What the inputs are, in order (the variadic CONCATENATION takes one or more). */
  inputs: string[]|'one or more';
  constants?: ConstantInput[];
  /** The output's dtype, where it is not the first input's. */
  outputDType?: GraphDType;
  /** int8 outputs only. */
  outputParams?: OutputParams;
  version(op: OpOf<K>, tensors: GraphTensor[]): number;
  /** Ops without options write none (BuiltinOptions NONE). */
  options?(builder: flatbuffers.Builder, op: OpOf<K>, tensors: GraphTensor[]): BuiltOptions;
}

const ACTIVATION: Record<FusedActivation, number> = {
  none: ActivationFunctionType.NONE,
  relu: ActivationFunctionType.RELU,
  relu6: ActivationFunctionType.RELU6,
};

const PADDING: Record<GraphPadding, number> = {same: Padding.SAME, valid: Padding.VALID};

export function activationCode(activation: string): number|undefined {
  return lookup(ACTIVATION, activation);
}

export function paddingCode(padding: string): number|undefined {
  return lookup(PADDING, padding);
}

const FLOAT_VERSION = 1;

function inputType(op: GraphOp, tensors: GraphTensor[]): GraphDType {
  return tensors[op.inputs[0]].dtype;
}

/** Most ops: version `int8Version` for int8 input, 1 for float32 (op_version.cc). */
function byInputType(int8Version: number) {
  return (op: GraphOp, tensors: GraphTensor[]) =>
             inputType(op, tensors) === 'int8' ? int8Version : FLOAT_VERSION;
}

/** Every field below is written explicitly (a null default never matches). */
const WRITE = null;

function table(
    builder: flatbuffers.Builder, type: BuiltinOptionsType, numFields: number,
    addFields: () => void): BuiltOptions {
  builder.startObject(numFields);
  addFields();
  return {type, offset: builder.endObject()};
}

function conv2dOptions(builder: flatbuffers.Builder, op: OpOf<'conv2d'>): BuiltOptions {
  const F = Conv2DOptionsField;
  return table(builder, BuiltinOptions.Conv2DOptions, F.COUNT, () => {
    builder.addFieldInt8(F.PADDING, PADDING[op.padding], WRITE);
    builder.addFieldInt32(F.STRIDE_W, op.strides[1], WRITE);
    builder.addFieldInt32(F.STRIDE_H, op.strides[0], WRITE);
    builder.addFieldInt8(F.FUSED_ACTIVATION_FUNCTION, ACTIVATION[op.activation], WRITE);
    builder.addFieldInt32(F.DILATION_W_FACTOR, op.dilations[1], WRITE);
    builder.addFieldInt32(F.DILATION_H_FACTOR, op.dilations[0], WRITE);
  });
}

function depthwiseOptions(
    builder: flatbuffers.Builder, op: OpOf<'depthwiseConv2d'>): BuiltOptions {
  const F = DepthwiseConv2DOptionsField;
  return table(builder, BuiltinOptions.DepthwiseConv2DOptions, F.COUNT, () => {
    builder.addFieldInt8(F.PADDING, PADDING[op.padding], WRITE);
    builder.addFieldInt32(F.STRIDE_W, op.strides[1], WRITE);
    builder.addFieldInt32(F.STRIDE_H, op.strides[0], WRITE);
    builder.addFieldInt32(F.DEPTH_MULTIPLIER, op.depthMultiplier, WRITE);
    builder.addFieldInt8(F.FUSED_ACTIVATION_FUNCTION, ACTIVATION[op.activation], WRITE);
    builder.addFieldInt32(F.DILATION_W_FACTOR, op.dilations[1], WRITE);
    builder.addFieldInt32(F.DILATION_H_FACTOR, op.dilations[0], WRITE);
  });
}

function pool2dOptions(builder: flatbuffers.Builder, op: OpOf<'maxPool2d'>): BuiltOptions {
  const F = Pool2DOptionsField;
  return table(builder, BuiltinOptions.Pool2DOptions, F.COUNT, () => {
    builder.addFieldInt8(F.PADDING, PADDING[op.padding], WRITE);
    builder.addFieldInt32(F.STRIDE_W, op.strides[1], WRITE);
    builder.addFieldInt32(F.STRIDE_H, op.strides[0], WRITE);
    builder.addFieldInt32(F.FILTER_WIDTH, op.filter[1], WRITE);
    builder.addFieldInt32(F.FILTER_HEIGHT, op.filter[0], WRITE);
    builder.addFieldInt8(F.FUSED_ACTIVATION_FUNCTION, ActivationFunctionType.NONE, WRITE);
  });
}

function fullyConnectedOptions(
    builder: flatbuffers.Builder, op: OpOf<'fullyConnected'>): BuiltOptions {
  const F = FullyConnectedOptionsField;
  return table(builder, BuiltinOptions.FullyConnectedOptions, F.COUNT, () => {
    builder.addFieldInt8(F.FUSED_ACTIVATION_FUNCTION, ACTIVATION[op.activation], WRITE);
    builder.addFieldInt8(F.WEIGHTS_FORMAT, FullyConnectedWeightsFormat.DEFAULT, WRITE);
    // keep_num_dims true would need version 5; the integer graph's input is [batch, in].
    builder.addFieldInt8(F.KEEP_NUM_DIMS, 0, WRITE);
  });
}

function softmaxOptions(builder: flatbuffers.Builder, op: OpOf<'softmax'>): BuiltOptions {
  return table(builder, BuiltinOptions.SoftmaxOptions, SoftmaxOptionsField.COUNT, () => {
    builder.addFieldFloat32(SoftmaxOptionsField.BETA, op.beta, WRITE);
  });
}

function concatenationOptions(
    builder: flatbuffers.Builder, op: OpOf<'concatenation'>): BuiltOptions {
  const F = ConcatenationOptionsField;
  return table(builder, BuiltinOptions.ConcatenationOptions, F.COUNT, () => {
    builder.addFieldInt32(F.AXIS, op.axis, WRITE);
    builder.addFieldInt8(F.FUSED_ACTIVATION_FUNCTION, ACTIVATION[op.activation], WRITE);
  });
}

function addOptions(builder: flatbuffers.Builder, op: OpOf<'add'>): BuiltOptions {
  const F = AddOptionsField;
  return table(builder, BuiltinOptions.AddOptions, F.COUNT, () => {
    builder.addFieldInt8(F.FUSED_ACTIVATION_FUNCTION, ACTIVATION[op.activation], WRITE);
  });
}

function meanOptions(builder: flatbuffers.Builder, op: OpOf<'mean'>): BuiltOptions {
  return table(builder, BuiltinOptions.ReducerOptions, ReducerOptionsField.COUNT, () => {
    builder.addFieldInt8(ReducerOptionsField.KEEP_DIMS, op.keepDims ? 1 : 0, WRITE);
  });
}

/**
 * RESHAPE reads its shape from the second input; `new_shape` repeats it for runtimes that read
 * only the options.
 */
function reshapeOptions(
    builder: flatbuffers.Builder, op: OpOf<'reshape'>, tensors: GraphTensor[]): BuiltOptions {
  const shape = int32Vector(builder, tensors[op.inputs[1]].data as Int32Array);
  return table(builder, BuiltinOptions.ReshapeOptions, ReshapeOptionsField.COUNT, () => {
    builder.addFieldOffset(ReshapeOptionsField.NEW_SHAPE, shape, 0);
  });
}

export const OP_SPECS: {[K in GraphOpKind]: OpSpec<K>} = {
  quantize: {
    code: BuiltinOperator.QUANTIZE,
    inputs: ['x'],
    outputDType: 'int8',
    // 1 for float32 -> int8 and for int8 -> int8 requantize (2 is int16 out, 3 per channel).
    version: () => 1,
  },
  dequantize: {
    code: BuiltinOperator.DEQUANTIZE,
    inputs: ['x'],
    outputDType: 'float32',
    // int8 in: 2, or 5 with per-channel parameters.
    version: (op, tensors) => {
      const x = tensors[op.inputs[0]];
      if (x.dtype !== 'int8') return FLOAT_VERSION;
      return x.quant?.axis === undefined ? 2 : 5;
    },
  },
  fullyConnected: {
    code: BuiltinOperator.FULLY_CONNECTED,
    inputs: ['x', 'weights', 'bias'],
    constants: [
      {index: 1, what: 'weights [out, in]', dtype: 'int8', rank: 2, perChannelAxis: 0},
      {index: 2, what: 'bias [out]', dtype: 'int32', rank: 1, perChannelAxis: 0},
    ],
    version: byInputType(4),
    options: fullyConnectedOptions,
  },
  conv2d: {
    code: BuiltinOperator.CONV_2D,
    inputs: ['x', 'weights', 'bias'],
    constants: [
      {index: 1, what: 'weights [out, kh, kw, in]', dtype: 'int8', rank: 4, perChannelAxis: 0},
      {index: 2, what: 'bias [out]', dtype: 'int32', rank: 1, perChannelAxis: 0},
    ],
    version: byInputType(3),
    options: conv2dOptions,
  },
  depthwiseConv2d: {
    code: BuiltinOperator.DEPTHWISE_CONV_2D,
    inputs: ['x', 'weights', 'bias'],
    constants: [
      {index: 1, what: 'weights [1, kh, kw, in * multiplier]', dtype: 'int8', rank: 4,
       perChannelAxis: 3},
      {index: 2, what: 'bias [in * multiplier]', dtype: 'int32', rank: 1, perChannelAxis: 0},
    ],
    // float32 with dilation needs 2.
    version: (op, tensors) => inputType(op, tensors) === 'int8' ? 3 :
        op.dilations.some((d) => d !== 1)                      ? 2 :
                                                                  FLOAT_VERSION,
    options: depthwiseOptions,
  },
  maxPool2d: {
    code: BuiltinOperator.MAX_POOL_2D,
    inputs: ['x'],
    outputParams: 'same as input',
    version: byInputType(2),
    options: pool2dOptions,
  },
  averagePool2d: {
    code: BuiltinOperator.AVERAGE_POOL_2D,
    inputs: ['x'],
    outputParams: 'same as input',
    version: byInputType(2),
    options: pool2dOptions,
  },
  mean: {
    code: BuiltinOperator.MEAN,
    inputs: ['x', 'axes'],
    constants: [{index: 1, what: 'axes', dtype: 'int32', rank: 1}],
    version: byInputType(2),
    options: meanOptions,
  },
  reshape: {
    code: BuiltinOperator.RESHAPE,
    inputs: ['x', 'newShape'],
    constants: [{index: 1, what: 'newShape', dtype: 'int32', rank: 1}],
    outputParams: 'same as input',
    version: () => 1,
    options: reshapeOptions,
  },
  pad: {
    code: BuiltinOperator.PAD,
    inputs: ['x', 'paddings'],
    constants: [{index: 1, what: 'paddings [rank, 2]', dtype: 'int32', rank: 2}],
    outputParams: 'same as input',
    // Ranks above 4 need 4.
    version: (op, tensors) => tensors[op.inputs[0]].shape.length > 4 ? 4 :
        inputType(op, tensors) === 'int8'                           ? 2 :
                                                                       FLOAT_VERSION,
  },
  add: {
    code: BuiltinOperator.ADD,
    inputs: ['a', 'b'],
    version: byInputType(2),
    options: addOptions,
  },
  concatenation: {
    code: BuiltinOperator.CONCATENATION,
    inputs: 'one or more',
    outputParams: 'same as input',
    version: byInputType(2),
    options: concatenationOptions,
  },
  softmax: {
    code: BuiltinOperator.SOFTMAX,
    inputs: ['x'],
    outputParams: {scale: 1 / 256, zeroPoint: -128},
    version: byInputType(2),
    options: softmaxOptions,
  },
  relu: {
    code: BuiltinOperator.RELU,
    inputs: ['x'],
    version: byInputType(2),
  },
  relu6: {
    code: BuiltinOperator.RELU6,
    inputs: ['x'],
    version: byInputType(2),
  },
};
