/**
 * Graph-model executors for TF's fake-quant nodes. They take the registry's `registerOp` as an
 * argument so that the npm entry (index.ts) and the script-tag bundle (global `tf.registerOp`)
 * share them.
 *
 * Attributes are read from the node's raw AttrValues (model.json's proto3 JSON) where tfjs-converter
 * provides them: its own parsing reads every number with parseInt when it is written as a string
 * (`{f: "-0.5"}` would run as -0, `{i: "4.9"}` as 4) and turns an AttrValue without a value into
 * undefined. Malformed attributes are errors naming the graph node.
 */
import type {Scalar, Tensor, Tensor1D} from '@tensorflow/tfjs-core';

import {FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxVars, FakeQuantWithMinMaxVarsPerChannel} from '../kernel_names';
import {fakeQuantWithMinMaxArgs} from '../ops/fake_quant_with_min_max_args';
import {fakeQuantWithMinMaxVars} from '../ops/fake_quant_with_min_max_vars';
import {fakeQuantWithMinMaxVarsPerChannel} from '../ops/fake_quant_with_min_max_vars_per_channel';
import {DEFAULT_MAX, DEFAULT_MIN, DEFAULT_NARROW_RANGE, DEFAULT_NUM_BITS} from '../quant/defaults';

/** A TF AttrValue as model.json writes it: int64 as a string, floats as numbers or strings. */
export interface RawAttrValue {
  i?: number|string;
  f?: number|string;
  b?: boolean;
}

/**
 * The part of tfjs-converter's GraphNode the executors read (attrs keep TF's names). The
 * converter's NodeValueImpl also carries the graph node itself, with its name and raw attributes.
 */
export interface FakeQuantGraphNode {
  inputs: Tensor[];
  attrs: {[key: string]: unknown};
  node?: {name?: string, op?: string, rawAttrs?: {[key: string]: RawAttrValue}};
}

export type RegisterOp = (name: string, executor: (node: FakeQuantGraphNode) => Tensor) => void;

function describeNode(node: FakeQuantGraphNode, op: string): string {
  const name = node.node?.name;
  return name == null ? `a ${op} graph node` : `graph node '${name}' (${op})`;
}

function malformed(node: FakeQuantGraphNode, op: string, name: string, rule: string,
                   value: unknown): Error {
  return new Error(
      `tfjs-fake-quant: ${describeNode(node, op)}: attribute \`${name}\` must be ${rule}, but ` +
      `got ${JSON.stringify(value) ?? String(value)}. Fix the node in model.json (or re-convert ` +
      `the model).`);
}

/** A number written as a JSON number or a string ("-0.5", "NaN", "Infinity" as proto3 JSON). */
function parseNumber(value: unknown): number|undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isNaN(parsed) && value.trim() !== 'NaN' ? undefined : parsed;
}

type AttrKind = 'int'|'float'|'bool';

const RULES: {[kind in AttrKind]: string} = {
  int: 'an integer ({i: 8})',
  float: 'a number ({f: -0.5})',
  bool: 'a boolean ({b: true})',
};

/**
 * The attribute's value, TF's default when the node omits it. An attribute present without a
 * value of its kind (e.g. `num_bits: {}`, `{f: "4.9"}` for an integer) is an error.
 */
function readAttr(node: FakeQuantGraphNode, op: string, name: string, kind: AttrKind,
                  fallback: number|boolean): number|boolean {
  const raw = node.node?.rawAttrs;
  const present = raw != null ? name in raw : node.attrs[name] !== undefined;
  if (!present) return fallback;
  // The raw AttrValue when the converter kept it; otherwise the already parsed value.
  const source: unknown = raw != null ? raw[name] : node.attrs[name];
  let value: number|boolean|undefined;
  if (raw == null) {
    value = typeof source === 'number' || typeof source === 'boolean' ? source : undefined;
  } else if (kind === 'bool') {
    value = raw[name]?.b;
  } else {
    value = parseNumber(raw[name]?.i ?? raw[name]?.f);
  }
  const valid = kind === 'bool' ? typeof value === 'boolean' :
      kind === 'int'            ? Number.isInteger(value) :
                                  typeof value === 'number';
  if (!valid) throw malformed(node, op, name, RULES[kind], source);
  return value!;
}

function quantAttrs(node: FakeQuantGraphNode, op: string): [number, boolean] {
  return [
    readAttr(node, op, 'num_bits', 'int', DEFAULT_NUM_BITS) as number,
    readAttr(node, op, 'narrow_range', 'bool', DEFAULT_NARROW_RANGE) as boolean,
  ];
}

function assertInputs(node: FakeQuantGraphNode, op: string, count: number): void {
  if (node.inputs.length !== count || node.inputs.some(t => t == null)) {
    throw new Error(
        `tfjs-fake-quant: ${describeNode(node, op)} needs ${count} input tensor(s), but got ` +
        `${node.inputs.filter(t => t != null).length}.`);
  }
}

/** Runs the op, naming the graph node in its errors (e.g. a PerChannel range of the wrong size). */
function runForNode(node: FakeQuantGraphNode, op: string, run: () => Tensor): Tensor {
  try {
    return run();
  } catch (e) {
    throw new Error(`tfjs-fake-quant: ${describeNode(node, op)}: ${(e as Error).message}`);
  }
}

export const graphExecutors: {[op: string]: (node: FakeQuantGraphNode) => Tensor} = {
  [FakeQuantWithMinMaxVars]: node => {
    const op = FakeQuantWithMinMaxVars;
    assertInputs(node, op, 3);
    const attrs = quantAttrs(node, op);
    return runForNode(node, op, () => fakeQuantWithMinMaxVars(
        node.inputs[0], node.inputs[1] as Scalar, node.inputs[2] as Scalar, ...attrs));
  },
  [FakeQuantWithMinMaxArgs]: node => {
    const op = FakeQuantWithMinMaxArgs;
    assertInputs(node, op, 1);
    const min = readAttr(node, op, 'min', 'float', DEFAULT_MIN) as number;
    const max = readAttr(node, op, 'max', 'float', DEFAULT_MAX) as number;
    const attrs = quantAttrs(node, op);
    return runForNode(node, op, () => fakeQuantWithMinMaxArgs(node.inputs[0], min, max, ...attrs));
  },
  [FakeQuantWithMinMaxVarsPerChannel]: node => {
    const op = FakeQuantWithMinMaxVarsPerChannel;
    assertInputs(node, op, 3);
    const attrs = quantAttrs(node, op);
    return runForNode(node, op, () => fakeQuantWithMinMaxVarsPerChannel(
        node.inputs[0], node.inputs[1] as Tensor1D, node.inputs[2] as Tensor1D, ...attrs));
  },
};

/** Registers every executor; graph models loaded afterwards run the nodes quantized. */
export function registerGraphExecutors(registerOp: RegisterOp): void {
  for (const [op, executor] of Object.entries(graphExecutors)) registerOp(op, executor);
}
