/**
 * An ONNX model in memory (the few message kinds the writer makes) and its encoding as an ONNX
 * file (onnx.proto's ModelProto).
 */
import {ProtoMessage} from './protobuf';
import {
  AttributeField, AttributeType, DataType, type DataTypeCode, DimensionField, GraphField, IR_VERSION, ModelField,
  NodeField, OperatorSetIdField, OPSET_VERSION, ShapeField, TensorField, TensorTypeField, TypeField,
  ValueInfoField,
} from './schema';

export type Attribute = {kind: 'int', value: number}|{kind: 'ints', value: number[]}|{kind: 'float', value: number};

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
}

/** A constant (initializer): `values` in row-major order of `dims`. */
export interface OnnxTensor {
  name: string;
  dataType: DataTypeCode;
  dims: number[];
  values: ArrayLike<number>;
}

export interface OnnxValueInfo {
  name: string;
  dataType: DataTypeCode;
  /** Sizes; a string is a symbolic (dynamic) dimension. */
  dims: Array<number|string>;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface Producer {
  name: string;
  version: string;
}

export const int = (value: number): Attribute => ({kind: 'int', value});
export const ints = (value: number[]): Attribute => ({kind: 'ints', value});

/** Little-endian bytes of `values` as `dataType` (raw_data's layout). */
function rawData(dataType: DataTypeCode, values: ArrayLike<number>): Uint8Array {
  const width = dataType === DataType.INT8 ? 1 : dataType === DataType.INT64 ? 8 : 4;
  const bytes = new Uint8Array(values.length * width);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (dataType === DataType.FLOAT) view.setFloat32(4 * i, v, true);
    else if (dataType === DataType.INT32) view.setInt32(4 * i, v, true);
    else if (dataType === DataType.INT64) view.setBigInt64(8 * i, BigInt(v), true);
    else view.setInt8(i, v);
  }
  return bytes;
}

function encodeTensor(t: OnnxTensor): ProtoMessage {
  const m = new ProtoMessage();
  for (const d of t.dims) m.varint(TensorField.DIMS, d);
  return m.varint(TensorField.DATA_TYPE, t.dataType).string(TensorField.NAME, t.name)
      .bytes(TensorField.RAW_DATA, rawData(t.dataType, t.values));
}

function encodeAttribute(name: string, a: Attribute): ProtoMessage {
  const m = new ProtoMessage().string(AttributeField.NAME, name);
  if (a.kind === 'float') return m.float(AttributeField.F, a.value).varint(AttributeField.TYPE, AttributeType.FLOAT);
  if (a.kind === 'int') return m.varint(AttributeField.I, a.value).varint(AttributeField.TYPE, AttributeType.INT);
  for (const v of a.value) m.varint(AttributeField.INTS, v);
  return m.varint(AttributeField.TYPE, AttributeType.INTS);
}

function encodeNode(n: OnnxNode): ProtoMessage {
  const m = new ProtoMessage();
  for (const x of n.inputs) m.string(NodeField.INPUT, x);
  for (const y of n.outputs) m.string(NodeField.OUTPUT, y);
  m.string(NodeField.NAME, n.name).string(NodeField.OP_TYPE, n.opType);
  for (const [name, a] of Object.entries(n.attributes)) m.message(NodeField.ATTRIBUTE, encodeAttribute(name, a));
  return m;
}

function encodeValueInfo(v: OnnxValueInfo): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of v.dims) {
    const dim = new ProtoMessage();
    shape.message(ShapeField.DIM, typeof d === 'string' ? dim.string(DimensionField.DIM_PARAM, d) : dim.varint(DimensionField.DIM_VALUE, d));
  }
  const tensorType =
      new ProtoMessage().varint(TensorTypeField.ELEM_TYPE, v.dataType).message(TensorTypeField.SHAPE, shape);
  return new ProtoMessage().string(ValueInfoField.NAME, v.name)
      .message(ValueInfoField.TYPE, new ProtoMessage().message(TypeField.TENSOR_TYPE, tensorType));
}

function encodeGraph(g: OnnxGraph): ProtoMessage {
  const m = new ProtoMessage();
  for (const n of g.nodes) m.message(GraphField.NODE, encodeNode(n));
  m.string(GraphField.NAME, g.name);
  for (const t of g.initializers) m.message(GraphField.INITIALIZER, encodeTensor(t));
  for (const v of g.inputs) m.message(GraphField.INPUT, encodeValueInfo(v));
  for (const v of g.outputs) m.message(GraphField.OUTPUT, encodeValueInfo(v));
  return m;
}

/** The ONNX file of `graph` (IR version 7, the default domain at opset 13). */
export function encodeModel(graph: OnnxGraph, producer: Producer): Uint8Array {
  const opset = new ProtoMessage().string(OperatorSetIdField.DOMAIN, '').varint(OperatorSetIdField.VERSION, OPSET_VERSION);
  return new ProtoMessage()
      .varint(ModelField.IR_VERSION, IR_VERSION)
      .string(ModelField.PRODUCER_NAME, producer.name)
      .string(ModelField.PRODUCER_VERSION, producer.version)
      .message(ModelField.GRAPH, encodeGraph(graph))
      .message(ModelField.OPSET_IMPORT, opset)
      .finish();
}
