/**
 * The field numbers and enums of onnx.proto (ONNX's IR, proto2) that the writer uses, and the
 * versions it targets.
 */

/** Opset 13: QuantizeLinear / DequantizeLinear per axis; ReduceMean's axes still an attribute. */
export const OPSET_VERSION = 13;
/** The IR version that opset 13 was released with (ONNX 1.8). */
export const IR_VERSION = 7;

export const ModelField = {IR_VERSION: 1, PRODUCER_NAME: 2, PRODUCER_VERSION: 3, GRAPH: 7, OPSET_IMPORT: 8} as const;
export const OperatorSetIdField = {DOMAIN: 1, VERSION: 2} as const;
export const GraphField = {NODE: 1, NAME: 2, INITIALIZER: 5, INPUT: 11, OUTPUT: 12} as const;
export const NodeField = {INPUT: 1, OUTPUT: 2, NAME: 3, OP_TYPE: 4, ATTRIBUTE: 5} as const;
export const AttributeField = {NAME: 1, F: 2, I: 3, INTS: 8, TYPE: 20} as const;
export const TensorField = {DIMS: 1, DATA_TYPE: 2, NAME: 8, RAW_DATA: 9} as const;
export const ValueInfoField = {NAME: 1, TYPE: 2} as const;
export const TypeField = {TENSOR_TYPE: 1} as const;
export const TensorTypeField = {ELEM_TYPE: 1, SHAPE: 2} as const;
export const ShapeField = {DIM: 1} as const;
export const DimensionField = {DIM_VALUE: 1, DIM_PARAM: 2} as const;

/** AttributeProto.AttributeType. */
export const AttributeType = {FLOAT: 1, INT: 2, INTS: 7} as const;

/** TensorProto.DataType. */
export const DataType = {FLOAT: 1, INT8: 3, INT32: 6, INT64: 7} as const;
export type DataTypeCode = typeof DataType[keyof typeof DataType];
