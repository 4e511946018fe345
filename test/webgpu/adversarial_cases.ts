/**
 * The adversarial cases every backend runs (cpu and wasm: test/node/adversarial.test.ts; webgpu:
 * test/webgpu/adversarial.webgpu.ts; webgl: test/browser/adversarial.spec.ts): every class of bad
 * or unusual input of issue 13 and the ones that already held, for all six ops:
 *   - errors: numBits, narrowRange, ragged / disposed / missing / non-TensorLike / string /
 *     complex64 arguments, shapes (scalar ranges, channel counts, gradients vs inputs), Args'
 *     min < max: the call throws an error naming the op and the argument, and leaks nothing;
 *   - accepted input: TensorLikes, int32 and bool tensors, empty tensors, NaN / +-Inf / -0
 *     inputs, gradients and ranges, min > max, min == max, large inputs (the wasm native path):
 *     the outputs equal the float32 reference of the same values (the cpu's answer) and only the
 *     outputs are left behind.
 * Framework-neutral (jest and jasmine): checkCase returns a failure description or null. The
 * gradients are small integers, NaN or infinities, so range sums are exact in any order.
 */
import * as tf from '@tensorflow/tfjs';

import {fakeQuantWithMinMaxArgs, fakeQuantWithMinMaxArgsGradient, fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, fakeQuantWithMinMaxVarsPerChannel, fakeQuantWithMinMaxVarsPerChannelGradient} from '../../src';
import {firstMismatch} from '../shared/compare';
import {type Problem, refFakeQuantArgs, refFakeQuantArgsGradient, refFakeQuantPerChannel, refFakeQuantPerChannelGradient, refFakeQuantVars, refFakeQuantVarsGradient} from '../shared/reference';

export type AdversarialOp =
    'Vars'|'VarsGradient'|'Args'|'ArgsGradient'|'PerChannel'|'PerChannelGradient';

export const ADVERSARIAL_OPS: AdversarialOp[] =
    ['Vars', 'VarsGradient', 'Args', 'ArgsGradient', 'PerChannel', 'PerChannelGradient'];

const OP_NAMES: {[op in AdversarialOp]: string} = {
  Vars: 'fakeQuantWithMinMaxVars',
  VarsGradient: 'fakeQuantWithMinMaxVarsGradient',
  Args: 'fakeQuantWithMinMaxArgs',
  ArgsGradient: 'fakeQuantWithMinMaxArgsGradient',
  PerChannel: 'fakeQuantWithMinMaxVarsPerChannel',
  PerChannelGradient: 'fakeQuantWithMinMaxVarsPerChannelGradient',
};

/** An expected output: its shape and values (compared as float32, NaN equal to NaN). */
export interface Expected {
  shape: number[];
  values: ArrayLike<number>;
}

export interface AdversarialCase {
  label: string;
  /** Creates the call's input tensors (disposed by checkCase afterwards) and the call itself. */
  prepare(): {inputs: tf.Tensor[], call: () => tf.Tensor[]};
  /** The call must throw an error whose message matches every pattern ... */
  error?: RegExp[];
  /** ... or return these outputs. */
  expected?: () => Expected[];
}

const isGradient = (op: AdversarialOp) => op.endsWith('Gradient');
const isPerChannel = (op: AdversarialOp) => op.startsWith('PerChannel');
const isArgs = (op: AdversarialOp) => op.startsWith('Args');

/** The op's tensor arguments, in call order. */
export function tensorArgNames(op: AdversarialOp): string[] {
  const data = isGradient(op) ? ['gradients', 'inputs'] : ['inputs'];
  return isArgs(op) ? data : [...data, 'min', 'max'];
}

/** Fresh tensors for the op's tensor arguments of `p`. */
function argTensors(op: AdversarialOp, p: Problem): tf.Tensor[] {
  return tensorArgNames(op).map(name => {
    if (name === 'gradients') return tf.tensor(p.dy, p.shape);
    if (name === 'inputs') return tf.tensor(p.x, p.shape);
    const values = name === 'min' ? p.mins : p.maxs;
    return isPerChannel(op) ? tf.tensor1d(values) : tf.scalar(values[0]);
  });
}

/** Calls the op on `args` (any values: the bad ones are the point) and lists its outputs. */
function callOp(op: AdversarialOp, args: unknown[], p: Problem, numBits: unknown = p.numBits,
                narrowRange: unknown = p.narrowRange): tf.Tensor[] {
  // tslint:disable-next-line:no-any
  const a = args as any[];
  // tslint:disable-next-line:no-any
  const [bits, narrow] = [numBits as any, narrowRange as any];
  const [min, max] = [p.mins[0], p.maxs[0]];
  const outputs = (r: {backpropsWrtInput: tf.Tensor, backpropWrtMin: tf.Tensor, backpropWrtMax: tf.Tensor}) =>
      [r.backpropsWrtInput, r.backpropWrtMin, r.backpropWrtMax];
  switch (op) {
    case 'Vars': return [fakeQuantWithMinMaxVars(a[0], a[1], a[2], bits, narrow)];
    case 'Args': return [fakeQuantWithMinMaxArgs(a[0], min, max, bits, narrow)];
    case 'PerChannel': return [fakeQuantWithMinMaxVarsPerChannel(a[0], a[1], a[2], bits, narrow)];
    case 'ArgsGradient': return [fakeQuantWithMinMaxArgsGradient(a[0], a[1], min, max, bits, narrow)];
    case 'VarsGradient':
      return outputs(fakeQuantWithMinMaxVarsGradient(a[0], a[1], a[2], a[3], bits, narrow));
    case 'PerChannelGradient':
      return outputs(fakeQuantWithMinMaxVarsPerChannelGradient(a[0], a[1], a[2], a[3], bits, narrow));
    default: throw new Error(`unknown op ${op}`);
  }
}

/** The float32 reference outputs of `op` on `p`. */
function reference(op: AdversarialOp, p: Problem): Expected[] {
  const {shape, x, dy, mins, maxs, numBits, narrowRange} = p;
  const [min, max] = [mins[0], maxs[0]];
  switch (op) {
    case 'Vars': return [{shape, values: refFakeQuantVars(x, min, max, numBits, narrowRange)}];
    case 'Args': return [{shape, values: refFakeQuantArgs(x, min, max, numBits, narrowRange)}];
    case 'PerChannel':
      return [{shape, values: refFakeQuantPerChannel(x, mins, maxs, numBits, narrowRange)}];
    case 'ArgsGradient':
      return [{shape, values: refFakeQuantArgsGradient(dy, x, min, max, numBits, narrowRange)}];
    case 'VarsGradient': {
      const r = refFakeQuantVarsGradient(dy, x, min, max, numBits, narrowRange);
      return [{shape, values: r.backpropsWrtInput}, {shape: [], values: [r.backpropWrtMin]},
              {shape: [], values: [r.backpropWrtMax]}];
    }
    case 'PerChannelGradient': {
      const r = refFakeQuantPerChannelGradient(dy, x, mins, maxs, numBits, narrowRange);
      const channels = [mins.length];
      return [{shape, values: r.backpropsWrtInput}, {shape: channels, values: r.backpropWrtMin},
              {shape: channels, values: r.backpropWrtMax}];
    }
    default: throw new Error(`unknown op ${op}`);
  }
}

/**
 * The base problem: [4, 3] inputs with NaN, infinities, signed zeros, values outside and at the
 * ends of the ranges; integer gradients with NaN and an infinity. Vars and Args use channel 0's
 * range, [-1, 1].
 */
export function baseProblem(overrides: Partial<Problem> = {}): Problem {
  return {
    shape: [4, 3],
    x: Float32Array.from([-3, -1, 0.3, NaN, -0, 0, 1, 0.75, -Infinity, Infinity, 0.5, 2]),
    dy: Float32Array.from([1, 2, 3, 4, NaN, 6, 7, 8, 9, Infinity, 11, 12]),
    mins: [-1, -0.5, 0],
    maxs: [1, 2, 0.75],
    numBits: 8,
    narrowRange: false,
    ...overrides,
  };
}

function errorCase(label: string, error: RegExp[],
                   prepare: () => {inputs: tf.Tensor[], call: () => tf.Tensor[]}): AdversarialCase {
  return {label, error, prepare};
}

/**
 * The op on `p` with tensor argument `argIndex` replaced by `makeBad()` (-1: none); a tensor it
 * makes is disposed with the inputs.
 */
function withArg(op: AdversarialOp, p: Problem, argIndex: number, makeBad: () => unknown,
                 numBits?: unknown, narrowRange?: unknown) {
  return () => {
    const inputs = argTensors(op, p);
    const args: unknown[] = [...inputs];
    if (argIndex >= 0) {
      inputs[argIndex].dispose();
      args[argIndex] = makeBad();
    }
    const made = args[argIndex];
    const live = inputs.filter(t => !t.isDisposed);
    if (made instanceof tf.Tensor && !made.isDisposed) live.push(made);
    return {inputs: live, call: () => callOp(op, args, p, numBits, narrowRange)};
  };
}

const quote = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

function attributeErrors(op: AdversarialOp): AdversarialCase[] {
  const p = baseProblem();
  const name = quote(OP_NAMES[op]);
  const cases: AdversarialCase[] = [];
  for (const numBits of [1, 17, 4.5, '8', NaN, null]) {
    // The message quotes a string, so that '8' does not read as the valid 8.
    const shown = quote(`got ${typeof numBits === 'string' ? `"${numBits}"` : String(numBits)}.`);
    cases.push(errorCase(`${op}: numBits ${JSON.stringify(numBits)}`, [name, /`numBits`/, shown],
                         withArg(op, p, -1, () => null, numBits)));
  }
  for (const narrowRange of ['true', 1, null]) {
    cases.push(errorCase(`${op}: narrowRange ${JSON.stringify(narrowRange)}`, [name, /`narrowRange`/],
                         withArg(op, p, -1, () => null, p.numBits, narrowRange)));
  }
  if (isArgs(op)) {
    for (const [min, max] of [[1, 1], [2, 1], [NaN, 1], [0, NaN], ['0', 1]] as const) {
      const bad = {...p, mins: [min as number], maxs: [max as number]};
      cases.push(errorCase(`${op}: min ${String(min)}, max ${String(max)}`, [name, /smaller than/],
                           withArg(op, bad, -1, () => null)));
    }
  }
  return cases;
}

/** Bad values for any tensor argument: each must fail naming the op and the argument. */
const BAD_ARGUMENTS: Array<{label: string, pattern: RegExp, make: () => unknown}> = [
  {label: 'ragged nested array', pattern: /ragged/, make: () => [[1, 2, 3], [4, 5]]},
  {label: 'deeper ragged array', pattern: /ragged/, make: () => [[[1], [2]], [[3]]]},
  {label: 'array of mixed depth', pattern: /ragged/, make: () => [1, [2]]},
  {label: 'disposed tensor', pattern: /disposed/, make: () => {
    const t = tf.tensor1d([1, 2, 3]);
    t.dispose();
    return t;
  }},
  {label: 'null', pattern: /required/, make: () => null},
  {label: 'undefined', pattern: /required/, make: () => undefined},
  {label: 'plain object', pattern: /TensorLike/, make: () => ({values: [1, 2]})},
  {label: 'array holding a null', pattern: /TensorLike/, make: () => [1, null]},
  {label: 'string', pattern: /float32/, make: () => 'abc'},
  {label: 'string tensor', pattern: /float32/, make: () => tf.tensor(['a', 'b'])},
];

const COMPLEX_ARGUMENT =
    {label: 'complex64 tensor', pattern: /float32/, make: () => tf.complex([1, 2], [3, 4])};

export interface AdversarialOptions {
  /** Whether the backend can make complex64 tensors (wasm has no Complex kernel). */
  complex64: boolean;
}

function argumentErrors(op: AdversarialOp, options: AdversarialOptions): AdversarialCase[] {
  const p = baseProblem();
  const cases: AdversarialCase[] = [];
  const bads = options.complex64 ? [...BAD_ARGUMENTS, COMPLEX_ARGUMENT] : BAD_ARGUMENTS;
  tensorArgNames(op).forEach((arg, i) => {
    const patterns = [quote(OP_NAMES[op]), quote(`\`${arg}\``)];
    for (const bad of bads) {
      cases.push(errorCase(`${op}: \`${arg}\` ${bad.label}`, [...patterns, bad.pattern],
                           withArg(op, p, i, bad.make)));
    }
  });
  return cases;
}

function shapeErrors(op: AdversarialOp): AdversarialCase[] {
  const p = baseProblem();
  const name = quote(OP_NAMES[op]);
  const args = tensorArgNames(op);
  const replace = (argName: string, make: () => unknown) => withArg(op, p, args.indexOf(argName), make);
  const cases: AdversarialCase[] = [];
  if (isGradient(op)) {
    cases.push(errorCase(`${op}: gradients [3, 4] for inputs [4, 3]`, [name, /same shape/],
                         replace('gradients', () => tf.zeros([3, 4]))));
  }
  if (op === 'Vars' || op === 'VarsGradient') {
    for (const shape of [[1], [3]]) {
      cases.push(errorCase(`${op}: min of shape [${shape}]`, [name, /`min`/, /scalar/],
                           replace('min', () => tf.zeros(shape))));
      cases.push(errorCase(`${op}: max of shape [${shape}]`, [name, /`max`/, /scalar/],
                           replace('max', () => tf.ones(shape))));
    }
  }
  if (isPerChannel(op)) {
    cases.push(errorCase(`${op}: min of 2 channels for 3`, [name, /`min`/, /one value per channel/],
                         replace('min', () => tf.zeros([2]))));
    cases.push(errorCase(`${op}: scalar max`, [name, /`max`/, /one value per channel/],
                         replace('max', () => tf.scalar(1))));
    const scalarInputs = {...baseProblem(), shape: [], x: Float32Array.of(0.5), dy: Float32Array.of(1)};
    cases.push(errorCase(`${op}: scalar inputs`, [name, /`inputs`/, /rank 1/],
                         withArg(op, scalarInputs, -1, () => null)));
  }
  return cases;
}

function valueCase(label: string, op: AdversarialOp, p: Problem,
                   makeArgs?: () => {inputs: tf.Tensor[], args: unknown[]}): AdversarialCase {
  return {
    label,
    prepare: () => {
      const {inputs, args} = makeArgs != null ? makeArgs() : (() => {
        const tensors = argTensors(op, p);
        return {inputs: tensors, args: tensors};
      })();
      return {inputs, call: () => callOp(op, args, p)};
    },
    expected: () => reference(op, p),
  };
}

/**
 * The [rows, columns] problem's tensor arguments as TensorLikes: inputs as nested number arrays,
 * gradients as an array of Float32Array rows, ranges as numbers, an array and a Float32Array.
 */
function asTensorLikes(op: AdversarialOp, p: Problem): unknown[] {
  const [rows, columns] = p.shape;
  const split = (values: Float32Array) =>
      Array.from({length: rows}, (_, r) => values.slice(r * columns, (r + 1) * columns));
  return tensorArgNames(op).map(name =>
      name === 'gradients' ? split(p.dy) :
      name === 'inputs'    ? split(p.x).map(row => Array.from(row)) :
      isPerChannel(op)     ? (name === 'min' ? p.mins : Float32Array.from(p.maxs)) :
                             (name === 'min' ? p.mins[0] : p.maxs[0]));
}

/** The problem with integer values, as int32 (inputs, min) and bool (gradients, max) tensors. */
function integerProblem(): Problem {
  return baseProblem({
    x: Float32Array.from([-3, -1, 0, 1, 2, 0, 1, -2, 3, -1, 0, 2]),
    dy: Float32Array.from([1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0]),
    mins: [-2, -1, 0],
    maxs: [1, 1, 1],
  });
}

function integerArgs(op: AdversarialOp, p: Problem): {inputs: tf.Tensor[], args: unknown[]} {
  const tensors = tensorArgNames(op).map(name => {
    const values = name === 'gradients' ? p.dy : name === 'inputs' ? p.x :
                   name === 'min' ? Float32Array.from(p.mins) : Float32Array.from(p.maxs);
    const dtype = name === 'gradients' || name === 'max' ? 'bool' : 'int32';
    const data = name === 'gradients' || name === 'inputs' || isPerChannel(op) ? values :
                                                                               values.slice(0, 1);
    const shape = name === 'gradients' || name === 'inputs' ? p.shape :
                  isPerChannel(op) ? [p.mins.length] : [];
    return tf.tensor(dtype === 'bool' ? Array.from(data, v => v !== 0) : Array.from(data),
                     shape, dtype);
  });
  return {inputs: tensors, args: tensors};
}

/** Ranges of every odd kind (Vars and PerChannel take them all; Args only min < max). */
const ODD_RANGES: Array<[number, number]> = [
  [NaN, 1], [-1, NaN], [NaN, NaN], [-Infinity, 1], [-1, Infinity], [-Infinity, Infinity],
  [-0, 0], [0, -0], [-0, 1], [-1, -0], [3, 1], [1, -1], [2, 2], [-2, -2], [0, 0], [0.5, 3],
  [-3, -0.5], [-1e4, 1e4],
];

/**
 * One tensor passed as two arguments (the same buffer bound twice): gradients and inputs for the
 * gradient ops, min and max (a range min == max) for Vars and PerChannel; none for Args.
 */
function aliasedCases(op: AdversarialOp): AdversarialCase[] {
  if (op === 'Args') return [];
  const names = tensorArgNames(op);
  const [first, second] = isGradient(op) ? ['gradients', 'inputs'] : ['min', 'max'];
  const base = baseProblem();
  const p = isGradient(op) ? {...base, dy: base.x} : {...base, maxs: base.mins};
  return [valueCase(`${op}: \`${first}\` and \`${second}\` are one tensor`, op, p, () => {
    const inputs = argTensors(op, p);
    const args: unknown[] = [...inputs];
    args[names.indexOf(second)] = inputs[names.indexOf(first)];
    return {inputs, args};
  })];
}

function valueCases(op: AdversarialOp): AdversarialCase[] {
  const p = baseProblem();
  const cases = [valueCase(`${op}: Tensor arguments`, op, p)];
  cases.push(valueCase(`${op}: TensorLike arguments`, op, p,
                       () => ({inputs: [], args: asTensorLikes(op, p)})));
  const ints = integerProblem();
  cases.push(valueCase(`${op}: int32 and bool tensors`, op, ints, () => integerArgs(op, ints)));
  cases.push(...aliasedCases(op));
  for (const shape of [[0, 3], [2, 0, 3]]) {
    const empty = baseProblem({shape, x: new Float32Array(0), dy: new Float32Array(0)});
    cases.push(valueCase(`${op}: empty inputs of shape [${shape}]`, op, empty));
  }
  for (const bits of [{numBits: 2, narrowRange: true}, {numBits: 16, narrowRange: false}]) {
    cases.push(valueCase(`${op}: numBits ${bits.numBits}, narrowRange ${bits.narrowRange}`, op,
                         baseProblem(bits)));
  }
  for (const [min, max] of ODD_RANGES) {
    if (isArgs(op) && !(Math.fround(min) < Math.fround(max))) continue;
    const odd = isPerChannel(op) ? baseProblem({mins: [min, -1, min], maxs: [max, 1, 1]}) :
                                   baseProblem({mins: [min], maxs: [max]});
    cases.push(valueCase(`${op}: range [${String(min)}, ${String(max)}]`, op, odd));
  }
  if (!isPerChannel(op)) {
    // From 32,768 elements the wasm forward runs native kernels: odd ranges must not reach them.
    const size = 40000;
    const x = Float32Array.from({length: size}, (_, i) => (i % 401) / 50 - 4);
    const dy = Float32Array.from({length: size}, (_, i) => i % 3);
    for (const [min, max] of [[-2.5, 3.5], [3, 1], [2, 2], [NaN, 1], [-Infinity, 2]]) {
      if (isArgs(op) && !(min < max)) continue;
      const large = baseProblem({shape: [size], x, dy, mins: [min], maxs: [max]});
      cases.push(valueCase(`${op}: ${size} elements, range [${min}, ${max}]`, op, large));
    }
  }
  return cases;
}

/** Every case for every op. */
export function adversarialCases(options: AdversarialOptions): AdversarialCase[] {
  return ADVERSARIAL_OPS.flatMap(op => [
    ...attributeErrors(op), ...argumentErrors(op, options), ...shapeErrors(op), ...valueCases(op),
  ]);
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs a case: null when it threw the expected error or returned the expected outputs, and in
 * both cases left no tensor behind; otherwise what went wrong.
 */
export async function checkCase(c: AdversarialCase): Promise<string|null> {
  const {inputs, call} = c.prepare();
  const before = tf.memory().numTensors;
  try {
    let outputs: tf.Tensor[];
    try {
      outputs = call();
    } catch (e) {
      if (c.error == null) return `threw: ${errorMessage(e)}`;
      const unmatched = c.error.filter(p => !p.test(errorMessage(e)));
      if (unmatched.length > 0) return `error "${errorMessage(e)}" does not match ${unmatched.join(', ')}`;
      const leaked = tf.memory().numTensors - before;
      return leaked === 0 ? null : `${leaked} tensor(s) left behind by the failed call`;
    }
    const report = c.error != null ? `returned instead of throwing ${c.error.join(', ')}` :
                                     await compareOutputs(outputs, c.expected!());
    tf.dispose(outputs);
    const leaked = tf.memory().numTensors - before;
    return report ?? (leaked === 0 ? null : `${leaked} tensor(s) left behind besides the outputs`);
  } finally {
    tf.dispose(inputs);
  }
}

async function compareOutputs(outputs: tf.Tensor[], expected: Expected[]): Promise<string|null> {
  if (outputs.length !== expected.length) return `${outputs.length} outputs, expected ${expected.length}`;
  for (let i = 0; i < outputs.length; i++) {
    const out = outputs[i];
    if (out.dtype !== 'float32') return `output ${i} is ${out.dtype}`;
    if (JSON.stringify(out.shape) !== JSON.stringify(expected[i].shape)) {
      return `output ${i} has shape [${out.shape}], expected [${expected[i].shape}]`;
    }
    const mismatch = firstMismatch(await out.data() as Float32Array, expected[i].values);
    if (mismatch != null) return `output ${i}: ${mismatch}`;
  }
  return null;
}
