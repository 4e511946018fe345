/**
 * Graph-model executors for TF's fake-quant nodes. They take the registry's `registerOp` as an
 * argument so that the npm entry (index.ts) and the script-tag bundle (global `tf.registerOp`)
 * share them.
 */
import {Scalar, Tensor, Tensor1D} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsPerChannel} from '../kernel_names';
import {fakeQuantWithMinMaxArgs} from '../ops/fake_quant_with_min_max_args';
import {fakeQuantWithMinMaxVars} from '../ops/fake_quant_with_min_max_vars';
import {fakeQuantWithMinMaxVarsPerChannel} from '../ops/fake_quant_with_min_max_vars_per_channel';

/** The part of tfjs-converter's GraphNode the executors read (attrs keep TF's names). */
export interface FakeQuantGraphNode {
  inputs: Tensor[];
  attrs: {[key: string]: unknown};
}

export type RegisterOp = (name: string, executor: (node: FakeQuantGraphNode) => Tensor) => void;

/** TF's defaults apply when a converted graph omits an attribute. */
function attr<T>(node: FakeQuantGraphNode, name: string, fallback: T): T {
  const value = node.attrs[name];
  return value == null ? fallback : value as T;
}

function numBits(node: FakeQuantGraphNode): number {
  return attr(node, 'num_bits', 8);
}

function narrowRange(node: FakeQuantGraphNode): boolean {
  return attr(node, 'narrow_range', false);
}

export const graphExecutors: {[op: string]: (node: FakeQuantGraphNode) => Tensor} = {
  [FakeQuantWithMinMaxVars]: node => fakeQuantWithMinMaxVars(
      node.inputs[0], node.inputs[1] as Scalar, node.inputs[2] as Scalar, numBits(node),
      narrowRange(node)),
  [FakeQuantWithMinMaxArgs]: node => fakeQuantWithMinMaxArgs(
      node.inputs[0], attr(node, 'min', -6), attr(node, 'max', 6), numBits(node),
      narrowRange(node)),
  [FakeQuantWithMinMaxVarsPerChannel]: node => fakeQuantWithMinMaxVarsPerChannel(
      node.inputs[0], node.inputs[1] as Tensor1D, node.inputs[2] as Tensor1D, numBits(node),
      narrowRange(node)),
};

/** Registers every executor; graph models loaded afterwards run the nodes quantized. */
export function registerGraphExecutors(registerOp: RegisterOp): void {
  for (const [op, executor] of Object.entries(graphExecutors)) registerOp(op, executor);
}
