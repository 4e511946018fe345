/**
 * Checks an IntGraph before it is written: TFLite's interpreter reports most of these mistakes
 * only as "Can't initialize model" (or runs with wrong numbers), so each error here names the
 * tensor or layer and the fix.
 */
import type {GraphOp, GraphOpKind, GraphTensor, IntGraph, QuantParams} from '../graph';

import {lookup} from './lookup';
import {activationCode, type ConstantInput, OP_SPECS, type OpSpec, paddingCode} from './operators';
import {tensorTypeCode} from './tensors';

const PREFIX = 'writeTFLite';
const INT8_MIN = -128;
const INT8_MAX = 127;

type DataConstructor = Int8ArrayConstructor|Int32ArrayConstructor|Float32ArrayConstructor;
const DATA_TYPE: Record<string, DataConstructor> =
    {int8: Int8Array, int32: Int32Array, float32: Float32Array};

function tensorLabel(t: GraphTensor): string {
  return `tensor ${t.id} ('${t.name}')`;
}

function opLabel(op: GraphOp, index: number): string {
  return `op ${index} (${op.kind} of layer '${op.layerName}')`;
}

function fail(message: string): never {
  throw new Error(`${PREFIX}: ${message}`);
}

function numElements(shape: number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function checkQuant(t: GraphTensor, quant: QuantParams): void {
  const label = tensorLabel(t);
  const {scale, zeroPoint, axis} = quant;
  if (scale.length === 0 || scale.length !== zeroPoint.length) {
    fail(`${label} has ${scale.length} scales and ${zeroPoint.length} zero points; give ` +
         'one of each per tensor, or one of each per index of `axis`.');
  }
  if (!scale.every((s) => Number.isFinite(s) && s > 0)) {
    fail(`${label} has a scale that is not a positive finite number: [${scale.join(', ')}].`);
  }
  if (!zeroPoint.every(Number.isInteger)) {
    fail(`${label} has a zero point that is not an integer: [${zeroPoint.join(', ')}].`);
  }
  if (t.dtype === 'int8' && !zeroPoint.every((z) => z >= INT8_MIN && z <= INT8_MAX)) {
    fail(`${label} is int8, so its zero points must lie in [${INT8_MIN}, ${INT8_MAX}], but ` +
         `got [${zeroPoint.join(', ')}].`);
  }
  if (axis === undefined) {
    if (scale.length !== 1) {
      fail(`${label} has ${scale.length} scales but no \`axis\`; set \`axis\` for per-channel ` +
           'parameters, or give one scale.');
    }
    return;
  }
  if (!Number.isInteger(axis) || axis < 0 || axis >= t.shape.length) {
    fail(`${label}: quantization \`axis\` ${axis} is not a dimension of shape ` +
         `[${t.shape.join(', ')}].`);
  }
  if (scale.length !== t.shape[axis]) {
    fail(`${label} has ${scale.length} scales for axis ${axis} of size ${t.shape[axis]}; give ` +
         'one per channel.');
  }
  if (!zeroPoint.every((z) => z === 0)) {
    fail(`${label} is quantized per channel, so its zero points must all be 0.`);
  }
}

function checkTensor(t: GraphTensor, id: number, names: Set<string>): void {
  if (t.id !== id) {
    fail(`tensors[${id}] ('${t.name}') has id ${t.id}; ids must equal positions in \`tensors\`.`);
  }
  const label = tensorLabel(t);
  if (typeof t.name !== 'string' || t.name === '' || names.has(t.name)) {
    fail(`${label} needs a unique, non-empty name.`);
  }
  names.add(t.name);
  if (tensorTypeCode(t.dtype) === undefined) {
    fail(`${label} has dtype '${t.dtype}'; use 'float32', 'int8' or 'int32'.`);
  }
  if (!t.shape.every((d) => Number.isInteger(d) && d > 0)) {
    fail(`${label} has shape [${t.shape.join(', ')}]; dimensions must be positive integers.`);
  }
  if (t.dtype === 'int8' && t.quant === undefined) {
    fail(`${label} is int8 but has no \`quant\` (scale and zero point); every int8 tensor needs ` +
         'them.');
  }
  if (t.dtype === 'float32' && t.quant !== undefined) {
    fail(`${label} is float32 but has \`quant\`; only int8 tensors and int32 biases have one.`);
  }
  if (t.quant !== undefined) checkQuant(t, t.quant);
  if (t.data !== undefined) checkData(t, t.data);
}

function checkData(t: GraphTensor, data: Int8Array|Int32Array|Float32Array): void {
  const label = tensorLabel(t);
  const expected = DATA_TYPE[t.dtype];  // the dtype was checked before
  if (!(data instanceof expected)) {
    fail(`${label} is ${t.dtype}, so its data must be an ${expected.name}, but got a ` +
         `${data.constructor.name}.`);
  }
  const n = numElements(t.shape);
  if (data.length !== n) {
    fail(`${label} has ${data.length} data values, but its shape [${t.shape.join(', ')}] has ` +
         `${n} elements.`);
  }
}

function checkConstant(
    graph: IntGraph, op: GraphOp, label: string, c: ConstantInput): void {
  const t = graph.tensors[op.inputs[c.index]];
  const where = `${label}: input ${c.index} (${c.what}) is ${tensorLabel(t)}`;
  if (t.data === undefined) fail(`${where}, which has no constant data; it must be a constant.`);
  if (t.dtype !== c.dtype) fail(`${where} of dtype ${t.dtype}; it must be ${c.dtype}.`);
  if (c.rank !== undefined && t.shape.length !== c.rank) {
    fail(`${where} of shape [${t.shape.join(', ')}]; it must have rank ${c.rank}.`);
  }
  const axis = t.quant?.axis;
  if (axis !== undefined && axis !== c.perChannelAxis) {
    fail(`${where}, quantized per channel along axis ${axis}; TFLite reads this tensor's ` +
         `channels along axis ${c.perChannelAxis ?? 'none (per tensor only)'}.`);
  }
}

function sameParams(a: QuantParams, b: QuantParams): boolean {
  return a.axis === b.axis && a.scale.length === b.scale.length &&
      a.scale.every((s, i) => s === b.scale[i] && a.zeroPoint[i] === b.zeroPoint[i]);
}

function paramsText(q: QuantParams): string {
  return `scale ${q.scale.join(', ')}, zero point ${q.zeroPoint.join(', ')}`;
}

function checkOutput(graph: IntGraph, op: GraphOp, label: string, spec: OpSpec<GraphOpKind>): void {
  const x = graph.tensors[op.inputs[0]];
  const out = graph.tensors[op.outputs[0]];
  const dtype = spec.outputDType ?? x.dtype;
  if (out.dtype !== dtype) {
    fail(`${label} writes ${tensorLabel(out)} of dtype ${out.dtype}; its output is ${dtype}.`);
  }
  const rule = spec.outputParams;
  if (out.quant === undefined || rule === undefined) return;
  if (rule === 'same as input') {
    const outQuant = out.quant;
    const differs = (t: GraphTensor) =>
        t.data === undefined && t.quant !== undefined && !sameParams(t.quant, outQuant);
    const other = op.inputs.map((id) => graph.tensors[id]).find(differs);
    if (other !== undefined) {
      fail(`${label}: TFLite's int8 kernel keeps its input's parameters, but ` +
           `${tensorLabel(other)} has ${paramsText(other.quant!)} and the output ` +
           `${paramsText(outQuant)}; requantize the input first (a quantize op) or give the ` +
           'output the same parameters.');
    }
  } else if (!sameParams(out.quant, {scale: [rule.scale], zeroPoint: [rule.zeroPoint]})) {
    fail(`${label}: TFLite's int8 kernel writes scale ${rule.scale}, zero point ` +
         `${rule.zeroPoint}, but ${tensorLabel(out)} has ${paramsText(out.quant)}.`);
  }
}

function checkOptions(op: GraphOp, label: string): void {
  const positive = (name: string, v: number[]) => {
    if (!v.every((x) => Number.isInteger(x) && x > 0)) {
      fail(`${label}: \`${name}\` must be positive integers, but got [${v.join(', ')}].`);
    }
  };
  if ('padding' in op && paddingCode(op.padding) === undefined) {
    fail(`${label}: \`padding\` must be 'same' or 'valid', but got '${op.padding}'.`);
  }
  if ('activation' in op && activationCode(op.activation) === undefined) {
    fail(`${label}: \`activation\` must be 'none', 'relu' or 'relu6', but got ` +
         `'${op.activation}'.`);
  }
  if ('strides' in op) positive('strides', op.strides);
  if ('dilations' in op) positive('dilations', op.dilations);
  if ('filter' in op) positive('filter', op.filter);
  if ('depthMultiplier' in op) positive('depthMultiplier', [op.depthMultiplier]);
}

function checkOp(graph: IntGraph, op: GraphOp, index: number, available: boolean[]): void {
  const spec = lookup(OP_SPECS, op.kind);
  if (spec === undefined) {
    fail(`op ${index} of layer '${op.layerName}' has unknown kind '${op.kind}'; the TFLite ` +
         `writer knows ${Object.keys(OP_SPECS).join(', ')}.`);
  }
  const label = opLabel(op, index);
  const ids = [...op.inputs, ...op.outputs];
  const bad = ids.find((id) => !Number.isInteger(id) || graph.tensors[id] === undefined);
  if (bad !== undefined) fail(`${label} refers to tensor ${bad}, which is not in \`tensors\`.`);
  const names = spec.inputs;
  const arity = names === 'one or more' ? op.inputs.length > 0 : op.inputs.length === names.length;
  if (!arity) {
    const wanted = names === 'one or more' ? names : `${names.length} (${names.join(', ')})`;
    fail(`${label} has ${op.inputs.length} inputs; it takes ${wanted}.`);
  }
  if (op.outputs.length !== 1) fail(`${label} has ${op.outputs.length} outputs; it has one.`);
  const missing = op.inputs.find((id) => !available[id]);
  if (missing !== undefined) {
    fail(`${label} reads ${tensorLabel(graph.tensors[missing])} before any op writes it; list ` +
         'ops in execution order.');
  }
  const out = graph.tensors[op.outputs[0]];
  if (available[out.id]) {
    fail(`${label} writes ${tensorLabel(out)}, which is a constant, a graph input or an ` +
         'earlier output; every op output must be a new tensor.');
  }
  available[out.id] = true;
  for (const c of spec.constants ?? []) checkConstant(graph, op, label, c);
  checkOutput(graph, op, label, spec as OpSpec<GraphOpKind>);
  checkOptions(op, label);
}

function checkGraphIO(graph: IntGraph): void {
  for (const [what, ids] of [['inputs', graph.inputs], ['outputs', graph.outputs]] as const) {
    if (ids.length === 0) fail(`the graph has no ${what}.`);
    const bad = ids.find((id) => graph.tensors[id] === undefined);
    if (bad !== undefined) {
      fail(`graph ${what} refer to tensor ${bad}, which is not in \`tensors\`.`);
    }
  }
  const constant = graph.inputs.find((id) => graph.tensors[id].data !== undefined);
  if (constant !== undefined) {
    fail(`graph input ${tensorLabel(graph.tensors[constant])} has constant data; inputs are fed ` +
         'at run time.');
  }
}

export function validateGraph(graph: IntGraph): void {
  const names = new Set<string>();
  graph.tensors.forEach((t, id) => checkTensor(t, id, names));
  checkGraphIO(graph);
  const available = graph.tensors.map((t) => t.data !== undefined);
  for (const id of graph.inputs) available[id] = true;
  graph.ops.forEach((op, i) => checkOp(graph, op, i, available));
  const unwritten = graph.outputs.find((id) => !available[id]);
  if (unwritten !== undefined) {
    fail(`graph output ${tensorLabel(graph.tensors[unwritten])} is written by no op.`);
  }
}
