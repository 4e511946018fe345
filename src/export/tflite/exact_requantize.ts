/**
 * Requantizing ops as TFLite's CPU path computes them exactly.
 *
 * LiteRT's int8 -> int8 QUANTIZE and a RELU / RELU6 whose output parameters differ from its
 * input's rescale with a multiplier of only 8 fractional bits (XNNPACK's convert): measured on
 * 38,400 values of 150 random scale pairs, 3.4% land a step off the exactly rounded value, which
 * later layers then sum (a Dense over a requantized Concatenate: 92% of outputs within a step of
 * the QAT model instead of 99+%). ADD rescales each input with a 31-bit multiplier: the same
 * requantization, written as ADD of the tensor and a one-element constant zero (with the ReLU as
 * its fused activation), matched exact rounding on all of those values.
 */
import type {GraphOp, GraphTensor, IntGraph} from '../graph';
import {sameParams} from '../params';

const REWRITTEN: ReadonlySet<GraphOp['kind']> = new Set(['quantize', 'relu', 'relu6']);

/** `graph` with each int8 requantizing QUANTIZE, RELU and RELU6 as an ADD of zero. */
export function exactRequantize(graph: IntGraph): IntGraph {
  const tensors = [...graph.tensors];
  const ops = graph.ops.map((op) => {
    if (!requantizes(op, tensors)) return op;
    const x = tensors[op.inputs[0]];
    const zero: GraphTensor = {
      id: tensors.length, name: `${op.layerName}/zero_${tensors.length}`, shape: [1], dtype: 'int8',
      quant: {scale: [...x.quant!.scale], zeroPoint: [0]}, data: new Int8Array(1),
    };
    tensors.push(zero);
    const activation = op.kind === 'quantize' ? 'none' : op.kind;
    return {kind: 'add', layerName: op.layerName, activation, inputs: [x.id, zero.id], outputs: op.outputs} as GraphOp;
  });
  return {...graph, tensors, ops};
}

function requantizes(op: GraphOp, tensors: GraphTensor[]): boolean {
  const x = tensors[op.inputs[0]];
  const y = tensors[op.outputs[0]];
  return REWRITTEN.has(op.kind) && x.dtype === 'int8' && x.quant != null && y.quant != null &&
      !sameParams(x.quant, y.quant);
}
