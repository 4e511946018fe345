/**
 * `writeTFLite`: an IntGraph as a TFLite flatbuffer (schema version 3, identifier "TFL3"), one
 * subgraph, builtin operators only.
 */
import * as flatbuffers from 'flatbuffers';

import type {GraphOp, GraphTensor, IntGraph} from '../graph';

import {
  BuiltinOptions, FILE_IDENTIFIER, ModelField, OperatorCodeField, OperatorField,
  PLACEHOLDER_FOR_GREATER_OP_CODES, SCHEMA_VERSION, SubGraphField,
} from './schema';
import {exactRequantize} from './exact_requantize';
import {OP_SPECS, type OpOf, type OpSpec} from './operators';
import {writeBuffers, writeTensor} from './tensors';
import {validateGraph} from './validate';
import {int32Vector, offsetVector} from './vectors';

/** The producer written into the model's description. Kept equal to package.json by a test. */
export const PRODUCER = 'tfjs-fake-quant 0.1.0';

export interface TFLiteWriterOptions {
  /** Model.description; default: PRODUCER. */
  description?: string;
}

interface OperatorCodeKey {
  code: number;
  version: number;
}

/** One OperatorCode per (builtin, version) pair, in order of first use. */
class OperatorCodes {
  readonly keys: OperatorCodeKey[] = [];

  indexOf(code: number, version: number): number {
    const i = this.keys.findIndex((k) => k.code === code && k.version === version);
    if (i >= 0) return i;
    this.keys.push({code, version});
    return this.keys.length - 1;
  }
}

function operatorCode(builder: flatbuffers.Builder, {code, version}: OperatorCodeKey) {
  const F = OperatorCodeField;
  builder.startObject(F.COUNT);
  // Older parsers read only the byte; it saturates at the placeholder for codes above it.
  builder.addFieldInt8(
      F.DEPRECATED_BUILTIN_CODE, Math.min(code, PLACEHOLDER_FOR_GREATER_OP_CODES), null);
  builder.addFieldInt32(F.VERSION, version, null);
  builder.addFieldInt32(F.BUILTIN_CODE, code, null);
  return builder.endObject();
}

function operator(
    builder: flatbuffers.Builder, op: GraphOp, tensors: GraphTensor[],
    codes: OperatorCodes): flatbuffers.Offset {
  // The kind's spec and the op agree by construction (OP_SPECS is keyed by kind).
  const spec = OP_SPECS[op.kind] as OpSpec<GraphOp['kind']>;
  const typedOp = op as OpOf<GraphOp['kind']>;
  const opcodeIndex = codes.indexOf(spec.code, spec.version(typedOp, tensors));
  const inputs = int32Vector(builder, op.inputs);
  const outputs = int32Vector(builder, op.outputs);
  const options = spec.options?.(builder, typedOp, tensors);
  const F = OperatorField;
  builder.startObject(F.COUNT);
  builder.addFieldInt32(F.OPCODE_INDEX, opcodeIndex, null);
  builder.addFieldOffset(F.INPUTS, inputs, 0);
  builder.addFieldOffset(F.OUTPUTS, outputs, 0);
  builder.addFieldInt8(F.BUILTIN_OPTIONS_TYPE, options?.type ?? BuiltinOptions.NONE, null);
  if (options !== undefined) builder.addFieldOffset(F.BUILTIN_OPTIONS, options.offset, 0);
  return builder.endObject();
}

function subgraph(
    builder: flatbuffers.Builder, graph: IntGraph, bufferIndexOf: number[],
    codes: OperatorCodes): flatbuffers.Offset {
  const tensors =
      offsetVector(builder, graph.tensors.map((t) => writeTensor(builder, t, bufferIndexOf[t.id])));
  const operators = offsetVector(
      builder, graph.ops.map((op) => operator(builder, op, graph.tensors, codes)));
  const inputs = int32Vector(builder, graph.inputs);
  const outputs = int32Vector(builder, graph.outputs);
  const name = builder.createString(graph.name);
  const F = SubGraphField;
  builder.startObject(F.COUNT);
  builder.addFieldOffset(F.TENSORS, tensors, 0);
  builder.addFieldOffset(F.INPUTS, inputs, 0);
  builder.addFieldOffset(F.OUTPUTS, outputs, 0);
  builder.addFieldOffset(F.OPERATORS, operators, 0);
  builder.addFieldOffset(F.NAME, name, 0);
  return builder.endObject();
}

/** Initial builder size: the constant data plus room for the tables (it grows as needed). */
function sizeHint(graph: IntGraph): number {
  const data = graph.tensors.reduce((n, t) => n + (t.data?.byteLength ?? 0), 0);
  return data + 1024 + 256 * (graph.tensors.length + graph.ops.length);
}

/**
 * Writes `graph` as a .tflite file. Throws, naming the tensor or layer, when the graph breaks
 * the contract of graph.ts or TFLite's rules for the op.
 */
export function writeTFLite(intGraph: IntGraph, options: TFLiteWriterOptions = {}): Uint8Array {
  validateGraph(intGraph);
  const graph = exactRequantize(intGraph);
  const builder = new flatbuffers.Builder(sizeHint(graph));
  const buffers = writeBuffers(builder, graph.tensors);
  const codes = new OperatorCodes();
  const subgraphs = offsetVector(builder, [subgraph(builder, graph, buffers.indexOf, codes)]);
  const operatorCodes = offsetVector(builder, codes.keys.map((k) => operatorCode(builder, k)));
  const bufferVector = offsetVector(builder, buffers.offsets);
  const description = builder.createString(options.description ?? PRODUCER);
  const F = ModelField;
  builder.startObject(F.COUNT);
  builder.addFieldInt32(F.VERSION, SCHEMA_VERSION, null);
  builder.addFieldOffset(F.OPERATOR_CODES, operatorCodes, 0);
  builder.addFieldOffset(F.SUBGRAPHS, subgraphs, 0);
  builder.addFieldOffset(F.DESCRIPTION, description, 0);
  builder.addFieldOffset(F.BUFFERS, bufferVector, 0);
  builder.finish(builder.endObject(), FILE_IDENTIFIER);
  // A copy that owns its bytes: the builder's array is larger and starts with free space.
  return builder.asUint8Array().slice();
}
