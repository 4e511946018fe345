/**
 * Graph models with unusual and malformed fake-quant attributes (issue 13, item 6): floats written
 * as strings are parsed as floats (tfjs-converter's own parsing reads them with parseInt), and an
 * attribute without a value of its kind (`num_bits: {}`, `{f: "4.9"}`, `narrow_range: {}`) is an
 * error naming the graph node, where tfjs-converter would silently run it as the default or as
 * parseInt's integer. Results against the float32 reference; no tensor left behind.
 *
 * The converter entry is imported before any model loads (ops are mapped at load time).
 */
import * as tf from '@tensorflow/tfjs';

import '../../src/converter';
import {graphExecutors} from '../../src/converter';
import {firstMismatch} from '../shared/compare';
import {refFakeQuantArgs, refFakeQuantVars} from '../shared/reference';

const X = [-2, -1.3, -0.51, -0.25, 0, 0.26, 0.7, 1.2, 1.49, 3];

interface NodeSpec {
  name: string;
  op: string;
  attr: {[key: string]: unknown};
}

/** Node `name` under `attr`; Vars nodes read the range constants vmin = -0.5, vmax = 1.5. */
function argsNode(name: string, attr: {[key: string]: unknown}): NodeSpec {
  return {name, op: 'FakeQuantWithMinMaxArgs', attr};
}

function varsNode(name: string, attr: {[key: string]: unknown}): NodeSpec {
  return {name, op: 'FakeQuantWithMinMaxVars', attr};
}

const NODES: NodeSpec[] = [
  argsNode('string_floats', {min: {f: '-0.5'}, max: {f: '1.5'}, num_bits: {i: '4'}}),
  argsNode('non_finite_strings', {min: {f: '-Infinity'}, max: {f: '1.5'}}),
  argsNode('int_written_as_float', {min: {f: -1}, max: {f: 2}, num_bits: {f: 3}}),
  argsNode('fractional_num_bits', {num_bits: {f: '4.9'}}),
  argsNode('fractional_int_string', {num_bits: {i: '4.9'}}),
  argsNode('empty_num_bits', {num_bits: {}}),
  argsNode('empty_narrow_range', {narrow_range: {}}),
  argsNode('string_narrow_range', {narrow_range: {b: 'true'}}),
  argsNode('empty_min', {min: {}}),
  argsNode('unparsable_max', {max: {f: 'one'}}),
  argsNode('blank_max', {max: {f: ' '}}),
  argsNode('nan_min', {min: {f: 'NaN'}}),
  varsNode('vars_empty_num_bits', {num_bits: {}}),
  varsNode('vars_string_num_bits', {num_bits: {i: '6'}, narrow_range: {b: true}}),
];

function topology() {
  const scalar = (name: string) => ({
    name, op: 'Const',
    attr: {value: {tensor: {dtype: 'DT_FLOAT', tensorShape: {}}}, dtype: {type: 'DT_FLOAT'}},
  });
  return {
    node: [
      {name: 'x', op: 'Placeholder',
       attr: {dtype: {type: 'DT_FLOAT'}, shape: {shape: {dim: [{size: '-1'}]}}}},
      scalar('vmin'), scalar('vmax'),
      ...NODES.map(n => ({
        name: n.name, op: n.op, attr: n.attr,
        input: n.op === 'FakeQuantWithMinMaxVars' ? ['x', 'vmin', 'vmax'] : ['x'],
      })),
    ],
    versions: {producer: 1482},
    library: {},
  };
}

let model: tf.GraphModel;

beforeAll(async () => {
  model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: topology(),
    weightSpecs: [{name: 'vmin', shape: [], dtype: 'float32'}, {name: 'vmax', shape: [], dtype: 'float32'}],
    weightData: Float32Array.of(-0.5, 1.5).buffer,
    format: 'graph-model',
  }));
});

afterAll(() => model.dispose());

/** Runs node `name` on X; the values, or the error message. */
function run(name: string): Float32Array|string {
  const x = tf.tensor1d(X);
  const before = tf.memory().numTensors;
  try {
    const y = model.execute({x}, name) as tf.Tensor;
    const values = y.dataSync() as Float32Array;
    y.dispose();
    return values;
  } catch (e) {
    return (e as Error).message;
  } finally {
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  }
}

describe('graph attributes', () => {
  it('floats written as strings are parsed as floats (not with parseInt)', () => {
    const expected = refFakeQuantArgs(X, -0.5, 1.5, 4, false);
    // parseInt would read [-0, 1]: other numbers.
    expect(firstMismatch(expected, refFakeQuantArgs(X, -0, 1, 4, false))).not.toBeNull();
    expect(firstMismatch(run('string_floats') as Float32Array, expected)).toBeNull();
  });

  it('"-Infinity" and "NaN" are proto3 JSON floats', () => {
    expect(firstMismatch(run('non_finite_strings') as Float32Array,
                         refFakeQuantArgs(X, -Infinity, 1.5, 8, false))).toBeNull();
    // NaN is a float, which Args then rejects as a range (as TF does), naming the node.
    expect(run('nan_min')).toMatch(
        /graph node 'nan_min' \(FakeQuantWithMinMaxArgs\): fakeQuantWithMinMaxArgs: `min` has to be smaller than `max`/);
  });

  it('an integral num_bits written as a float is read', () => {
    expect(firstMismatch(run('int_written_as_float') as Float32Array,
                         refFakeQuantArgs(X, -1, 2, 3, false))).toBeNull();
  });

  it('Vars: num_bits as a string and narrow_range are read', () => {
    expect(firstMismatch(run('vars_string_num_bits') as Float32Array,
                         refFakeQuantVars(X, -0.5, 1.5, 6, true))).toBeNull();
  });

  const malformed: Array<[string, RegExp]> = [
    ['fractional_num_bits', /`num_bits` must be an integer.*"4\.9"/],
    ['fractional_int_string', /`num_bits` must be an integer/],
    ['empty_num_bits', /`num_bits` must be an integer.*\{\}/],
    ['empty_narrow_range', /`narrow_range` must be a boolean/],
    ['string_narrow_range', /`narrow_range` must be a boolean/],
    ['empty_min', /`min` must be a number/],
    ['unparsable_max', /`max` must be a number.*"one"/],
    ['blank_max', /`max` must be a number/],
    ['vars_empty_num_bits', /`num_bits` must be an integer/],
  ];
  for (const [name, pattern] of malformed) {
    it(`${name}: an error naming the graph node`, () => {
      const message = run(name);
      expect(typeof message).toBe('string');
      expect(message).toMatch(new RegExp(`graph node '${name}' \\(FakeQuantWithMinMax(Args|Vars)\\)`));
      expect(message).toMatch(pattern);
    });
  }
});

describe('executors called with a plain node (no raw attributes)', () => {
  it('read parsed values and reject a fractional num_bits or a non-boolean narrow_range', () => {
    const x = tf.tensor1d(X);
    const min = tf.scalar(-0.5);
    const max = tf.scalar(1.5);
    const vars = graphExecutors.FakeQuantWithMinMaxVars;
    const y = vars({inputs: [x, min, max], attrs: {num_bits: 5, narrow_range: true}});
    expect(firstMismatch(y.dataSync(), refFakeQuantVars(X, -0.5, 1.5, 5, true))).toBeNull();
    expect(() => vars({inputs: [x, min, max], attrs: {num_bits: 4.5}}))
        .toThrow(/FakeQuantWithMinMaxVars graph node: attribute `num_bits` must be an integer/);
    expect(() => vars({inputs: [x, min, max], attrs: {narrow_range: 'yes'}}))
        .toThrow(/`narrow_range` must be a boolean/);
    expect(() => vars({inputs: [x, min], attrs: {}})).toThrow(/needs 3 input tensor\(s\), but got 2/);
    tf.dispose([x, min, max, y]);
  });
});
