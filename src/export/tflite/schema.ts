/**
 * The parts of TFLite's flatbuffer schema (schema.fbs, schema version 3) that this writer emits:
 * enum values, union member indices and, per table, the field slots in declaration order (a
 * union field takes two slots: its type byte, then the value). Only the tables and values the
 * integer graph needs are listed; numbers must match schema.fbs exactly.
 */

export const SCHEMA_VERSION = 3;
export const FILE_IDENTIFIER = 'TFL3';

/** Constant buffers start on 16 bytes (schema: `data:[ubyte] (force_align: 16)`). */
export const BUFFER_ALIGNMENT = 16;

export const TensorType = {FLOAT32: 0, INT32: 2, INT8: 9} as const;

export const BuiltinOperator = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  MAX_POOL_2D: 17,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  SOFTMAX: 25,
  PAD: 34,
  MEAN: 40,
  QUANTIZE: 114,
} as const;
export type BuiltinOperatorCode = typeof BuiltinOperator[keyof typeof BuiltinOperator];

/** Codes from here on exist only in `builtin_code`; the deprecated byte then holds this value. */
export const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

/** Member indices of the `BuiltinOptions` union (0 is NONE). */
export const BuiltinOptions = {
  NONE: 0,
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  SoftmaxOptions: 9,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  ReducerOptions: 27,
} as const;
export type BuiltinOptionsType = typeof BuiltinOptions[keyof typeof BuiltinOptions];

export const Padding = {SAME: 0, VALID: 1} as const;

export const ActivationFunctionType = {NONE: 0, RELU: 1, RELU6: 3} as const;

export const FullyConnectedWeightsFormat = {DEFAULT: 0} as const;

// Field slots, table by table. `COUNT` is the number of slots up to the last one written here.

export const ModelField = {
  VERSION: 0,
  OPERATOR_CODES: 1,
  SUBGRAPHS: 2,
  DESCRIPTION: 3,
  BUFFERS: 4,
  COUNT: 5,
} as const;

export const SubGraphField =
    {TENSORS: 0, INPUTS: 1, OUTPUTS: 2, OPERATORS: 3, NAME: 4, COUNT: 5} as const;

export const BufferField = {DATA: 0, COUNT: 1} as const;

export const OperatorCodeField = {
  DEPRECATED_BUILTIN_CODE: 0,
  CUSTOM_CODE: 1,
  VERSION: 2,
  BUILTIN_CODE: 3,
  COUNT: 4,
} as const;

export const OperatorField = {
  OPCODE_INDEX: 0,
  INPUTS: 1,
  OUTPUTS: 2,
  BUILTIN_OPTIONS_TYPE: 3,
  BUILTIN_OPTIONS: 4,
  COUNT: 5,
} as const;

export const TensorField = {
  SHAPE: 0,
  TYPE: 1,
  BUFFER: 2,
  NAME: 3,
  QUANTIZATION: 4,
  IS_VARIABLE: 5,
  SPARSITY: 6,
  SHAPE_SIGNATURE: 7,
  HAS_RANK: 8,
  COUNT: 9,
} as const;

export const QuantizationField = {
  MIN: 0,
  MAX: 1,
  SCALE: 2,
  ZERO_POINT: 3,
  DETAILS_TYPE: 4,
  DETAILS: 5,
  QUANTIZED_DIMENSION: 6,
  COUNT: 7,
} as const;

export const Conv2DOptionsField = {
  PADDING: 0,
  STRIDE_W: 1,
  STRIDE_H: 2,
  FUSED_ACTIVATION_FUNCTION: 3,
  DILATION_W_FACTOR: 4,
  DILATION_H_FACTOR: 5,
  COUNT: 6,
} as const;

export const DepthwiseConv2DOptionsField = {
  PADDING: 0,
  STRIDE_W: 1,
  STRIDE_H: 2,
  DEPTH_MULTIPLIER: 3,
  FUSED_ACTIVATION_FUNCTION: 4,
  DILATION_W_FACTOR: 5,
  DILATION_H_FACTOR: 6,
  COUNT: 7,
} as const;

export const Pool2DOptionsField = {
  PADDING: 0,
  STRIDE_W: 1,
  STRIDE_H: 2,
  FILTER_WIDTH: 3,
  FILTER_HEIGHT: 4,
  FUSED_ACTIVATION_FUNCTION: 5,
  COUNT: 6,
} as const;

export const FullyConnectedOptionsField = {
  FUSED_ACTIVATION_FUNCTION: 0,
  WEIGHTS_FORMAT: 1,
  KEEP_NUM_DIMS: 2,
  COUNT: 3,
} as const;

export const SoftmaxOptionsField = {BETA: 0, COUNT: 1} as const;

export const ConcatenationOptionsField = {AXIS: 0, FUSED_ACTIVATION_FUNCTION: 1, COUNT: 2} as const;

export const AddOptionsField = {FUSED_ACTIVATION_FUNCTION: 0, COUNT: 1} as const;

export const ReshapeOptionsField = {NEW_SHAPE: 0, COUNT: 1} as const;

export const ReducerOptionsField = {KEEP_DIMS: 0, COUNT: 1} as const;
