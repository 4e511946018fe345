/**
 * Graph models (tfjs-converter's model.json format) with TF's three forward fake-quant nodes:
 *   - BEFORE the package's converter entry is imported, tfjs-converter runs FakeQuantWithMinMaxVars
 *     as Identity (its built-in "currently ignored" mapping) and has no executor for
 *     FakeQuantWithMinMaxArgs / ...PerChannel;
 *   - AFTER `src/converter` is imported (it calls registerOp), a model loaded afterwards runs all
 *     three nodes quantized, bit for bit equal to the independent float32 reference, with the
 *     attributes read under TF's names (`num_bits`, `narrow_range`, `min`, `max`) in the converter's
 *     JSON encoding (`{"i": "8"}` int64 as a string, `{"b": false}`, `{"f": -6}`), TF's defaults
 *     for omitted attributes, and no leaked tensors.
 *
 * Import order matters (tfjs-converter maps ops when a model loads), so this file imports only
 * tfjs at the top; the converter entry is `require`d in a later describe block's beforeAll. Jest
 * runs the blocks in order and this file has its own module registry, so the first block really
 * sees a converter without our executors. (jest.isolateModules is NOT used: it would load a second
 * copy of tfjs-core/tfjs-converter with its own op registry and engine.)
 */
import * as tf from '@tensorflow/tfjs';

import {refFakeQuantArgs, refFakeQuantPerChannel, refFakeQuantVars} from '../shared/reference';

// ---------------------------------------------------------------------------------------------
// The model: x [-1, 4] -> FakeQuantWithMinMaxVars, FakeQuantWithMinMaxArgs,
// FakeQuantWithMinMaxVarsPerChannel (three outputs), plus a chain Vars -> Args -> PerChannel and
// nodes whose attributes are omitted (TF's defaults apply).
// ---------------------------------------------------------------------------------------------

const VARS = {min: -1, max: 1, numBits: 5, narrowRange: true};
const ARGS = {min: -2.5, max: 3.25, numBits: 4, narrowRange: true};
const PC = {
  min: [-1, 0, 0.25, -3],
  max: [1, 0, 2, -0.5],  // channel 1: min == max == 0 (outputs 0); 2: min > 0; 3: max < 0
  numBits: 6,
  narrowRange: false,
};
const DEFAULT_VARS = {min: -0.75, max: 0.75};
const DEFAULT_PC = {min: [-0.5, -2, 0, 1], max: [0.5, 2, 3, 4]};

interface ConstSpec {
  name: string;
  shape: number[];
  values: number[];
}

const CONSTS: ConstSpec[] = [
  {name: 'vars_min', shape: [], values: [VARS.min]},
  {name: 'vars_max', shape: [], values: [VARS.max]},
  {name: 'pc_min', shape: [4], values: PC.min},
  {name: 'pc_max', shape: [4], values: PC.max},
  {name: 'dvars_min', shape: [], values: [DEFAULT_VARS.min]},
  {name: 'dvars_max', shape: [], values: [DEFAULT_VARS.max]},
  {name: 'dpc_min', shape: [4], values: DEFAULT_PC.min},
  {name: 'dpc_max', shape: [4], values: DEFAULT_PC.max},
];

function constNode(c: ConstSpec) {
  return {
    name: c.name,
    op: 'Const',
    attr: {
      value: {
        tensor: {
          dtype: 'DT_FLOAT',
          tensorShape: c.shape.length === 0 ? {} : {dim: c.shape.map((d) => ({size: String(d)}))},
        },
      },
      dtype: {type: 'DT_FLOAT'},
    },
  };
}

/** Attribute values as the converter writes them (proto3 JSON: int64 as a string). */
const MODEL_TOPOLOGY = {
  node: [
    {
      name: 'x',
      op: 'Placeholder',
      attr: {
        dtype: {type: 'DT_FLOAT'},
        shape: {shape: {dim: [{size: '-1'}, {size: '4'}]}},
      },
    },
    ...CONSTS.map(constNode),
    {
      name: 'fq_vars',
      op: 'FakeQuantWithMinMaxVars',
      input: ['x', 'vars_min', 'vars_max'],
      attr: {num_bits: {i: String(VARS.numBits)}, narrow_range: {b: VARS.narrowRange}},
    },
    {
      name: 'fq_args',
      op: 'FakeQuantWithMinMaxArgs',
      input: ['x'],
      attr: {
        min: {f: ARGS.min},
        max: {f: ARGS.max},
        num_bits: {i: String(ARGS.numBits)},
        narrow_range: {b: ARGS.narrowRange},
      },
    },
    {
      name: 'fq_pc',
      op: 'FakeQuantWithMinMaxVarsPerChannel',
      input: ['x', 'pc_min', 'pc_max'],
      attr: {num_bits: {i: String(PC.numBits)}, narrow_range: {b: PC.narrowRange}},
    },
    // A chain through all three ops.
    {
      name: 'chain_args',
      op: 'FakeQuantWithMinMaxArgs',
      input: ['fq_vars'],
      attr: {
        min: {f: ARGS.min},
        max: {f: ARGS.max},
        num_bits: {i: String(ARGS.numBits)},
        narrow_range: {b: ARGS.narrowRange},
      },
    },
    {
      name: 'chain_pc',
      op: 'FakeQuantWithMinMaxVarsPerChannel',
      input: ['chain_args', 'pc_min', 'pc_max'],
      attr: {num_bits: {i: String(PC.numBits)}, narrow_range: {b: PC.narrowRange}},
    },
    // No attributes at all: TF's defaults (num_bits 8, narrow_range false, min -6, max 6).
    {name: 'default_vars', op: 'FakeQuantWithMinMaxVars', input: ['x', 'dvars_min', 'dvars_max']},
    {name: 'default_args', op: 'FakeQuantWithMinMaxArgs', input: ['x']},
    {name: 'default_pc', op: 'FakeQuantWithMinMaxVarsPerChannel', input: ['x', 'dpc_min', 'dpc_max']},
    // Integer attribute written as a JSON number, float attribute with an integral value.
    {
      name: 'numeric_args',
      op: 'FakeQuantWithMinMaxArgs',
      input: ['x'],
      attr: {min: {f: -6}, max: {f: 10}, num_bits: {i: 3}, narrow_range: {b: false}},
    },
  ],
  versions: {producer: 1482},
  library: {},
};

function weights(): {weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer} {
  const all = CONSTS.flatMap((c) => c.values);
  const data = new Float32Array(all);
  return {
    weightSpecs: CONSTS.map((c) => ({name: c.name, shape: c.shape, dtype: 'float32' as const})),
    weightData: data.buffer.slice(0),
  };
}

async function loadModel(): Promise<tf.GraphModel> {
  const {weightSpecs, weightData} = weights();
  return tf.loadGraphModel(tf.io.fromMemory({
    // A deep copy: the converter writes into node.attr while mapping.
    modelTopology: JSON.parse(JSON.stringify(MODEL_TOPOLOGY)),
    weightSpecs,
    weightData,
    format: 'graph-model',
  }));
}

/** Input rows: channel-wise values inside, between and outside every range, and ties. */
const X_ROWS: number[][] = [
  [-3, -2, -1, 0],
  [-0.3, 0.3, 0.7, -0.7],
  [0.1, 0.2, 0.9, -1.3],
  [1, 1.7, 2.1, -2.6],
  [2.5, 3.3, -0.2, 0.4],
  [-0.51, 0.05, 1.33, -3.2],
  [0.12345, -0.6789, 1.9999, -0.5],
  [3.26, -2.51, 0.26, -1.11],
];
const X_FLAT = X_ROWS.flat();
const X_SHAPE = [X_ROWS.length, 4];

function expectSameFloats(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const bad: string[] = [];
  if (actual.length !== expected.length) bad.push(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length && bad.length < 10; i++) {
    if (!Object.is(actual[i], expected[i])) bad.push(`${what}[${i}] got ${actual[i]} want ${expected[i]}`);
  }
  expect(bad).toEqual([]);
}

function countDifferent(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

function execute(model: tf.GraphModel, outputs: string[]): Float32Array[] {
  const x = tf.tensor2d(X_FLAT, X_SHAPE as [number, number]);
  const ys = model.execute({x}, outputs);
  const list = Array.isArray(ys) ? ys : [ys];
  const values = list.map((y) => {
    expect(y.shape).toEqual(X_SHAPE);
    expect(y.dtype).toBe('float32');
    return y.dataSync() as Float32Array;
  });
  tf.dispose([x, ...list]);
  return values;
}

// The expectations, from the independent reference (never from the package's own output).
const EXPECTED = {
  fq_vars: refFakeQuantVars(X_FLAT, VARS.min, VARS.max, VARS.numBits, VARS.narrowRange),
  fq_args: refFakeQuantArgs(X_FLAT, ARGS.min, ARGS.max, ARGS.numBits, ARGS.narrowRange),
  fq_pc: refFakeQuantPerChannel(X_FLAT, PC.min, PC.max, PC.numBits, PC.narrowRange),
  chain_pc: refFakeQuantPerChannel(
      refFakeQuantArgs(
          refFakeQuantVars(X_FLAT, VARS.min, VARS.max, VARS.numBits, VARS.narrowRange), ARGS.min,
          ARGS.max, ARGS.numBits, ARGS.narrowRange),
      PC.min, PC.max, PC.numBits, PC.narrowRange),
  default_vars: refFakeQuantVars(X_FLAT, DEFAULT_VARS.min, DEFAULT_VARS.max, 8, false),
  default_args: refFakeQuantArgs(X_FLAT, -6, 6, 8, false),
  default_pc: refFakeQuantPerChannel(X_FLAT, DEFAULT_PC.min, DEFAULT_PC.max, 8, false),
  numeric_args: refFakeQuantArgs(X_FLAT, -6, 10, 3, false),
};

describe('the expectations are not vacuous', () => {
  it('each reference output differs from the input and from the default-attribute output', () => {
    for (const [name, y] of Object.entries(EXPECTED)) {
      expect({name, differs: countDifferent(y, Float32Array.from(X_FLAT)) > X_FLAT.length / 2})
          .toEqual({name, differs: true});
    }
    // Ignoring the attributes (using TF's defaults) would give other numbers.
    expect(countDifferent(EXPECTED.fq_vars, refFakeQuantVars(X_FLAT, VARS.min, VARS.max)))
        .toBeGreaterThan(4);
    expect(countDifferent(EXPECTED.fq_args, refFakeQuantArgs(X_FLAT))).toBeGreaterThan(4);
    expect(countDifferent(EXPECTED.fq_args, refFakeQuantArgs(X_FLAT, ARGS.min, ARGS.max)))
        .toBeGreaterThan(4);
    expect(countDifferent(
               EXPECTED.fq_args, refFakeQuantArgs(X_FLAT, ARGS.min, ARGS.max, ARGS.numBits, false)))
        .toBeGreaterThan(0);
    expect(countDifferent(
               EXPECTED.fq_vars, refFakeQuantVars(X_FLAT, VARS.min, VARS.max, VARS.numBits, false)))
        .toBeGreaterThan(0);
    expect(countDifferent(EXPECTED.fq_pc, refFakeQuantPerChannel(X_FLAT, PC.min, PC.max)))
        .toBeGreaterThan(4);
    // An integer min attr parsed with parseInt (-2.5 -> -2) would change the result too.
    expect(countDifferent(
               EXPECTED.fq_args, refFakeQuantArgs(X_FLAT, -2, ARGS.max, ARGS.numBits, ARGS.narrowRange)))
        .toBeGreaterThan(0);
    // Channel 1 of PerChannel is the min == max == 0 case: all +0.
    for (let i = 1; i < X_FLAT.length; i += 4) expect(Object.is(EXPECTED.fq_pc[i], 0)).toBe(true);
  });
});

describe('before importing tfjs-fake-quant/converter (tfjs-converter alone)', () => {
  let model: tf.GraphModel;
  beforeAll(async () => {
    model = await loadModel();
  });
  afterAll(() => model.dispose());

  it('runs FakeQuantWithMinMaxVars as Identity: the output equals the input', () => {
    const [y] = execute(model, ['fq_vars']);
    expectSameFloats(y, Float32Array.from(X_FLAT), 'fq_vars');
    // ... which is not the quantized result.
    expect(countDifferent(y, EXPECTED.fq_vars)).toBeGreaterThan(X_FLAT.length / 2);
  });

  it('has no executor for FakeQuantWithMinMaxArgs / ...PerChannel (unknown op)', () => {
    const x = tf.tensor2d(X_FLAT, X_SHAPE as [number, number]);
    expect(() => model.execute({x}, 'fq_args')).toThrow(/FakeQuantWithMinMaxArgs/);
    expect(() => model.execute({x}, 'fq_pc')).toThrow(/FakeQuantWithMinMaxVarsPerChannel/);
    x.dispose();
  });
});

describe('after importing tfjs-fake-quant/converter', () => {
  let oldModel: tf.GraphModel;
  let model: tf.GraphModel;
  beforeAll(async () => {
    oldModel = await loadModel();  // loaded BEFORE the import
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../src/converter');
    model = await loadModel();
  });
  afterAll(() => {
    model.dispose();
    oldModel.dispose();
  });

  it('the entry exports an executor for each of the three forward ops', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const entry = require('../../src/converter');
    expect(Object.keys(entry.graphExecutors).sort()).toEqual([
      'FakeQuantWithMinMaxArgs', 'FakeQuantWithMinMaxVars', 'FakeQuantWithMinMaxVarsPerChannel',
    ]);
  });

  it('three outputs (Vars, Args, PerChannel) match the reference bit for bit', () => {
    const [vars, args, pc] = execute(model, ['fq_vars', 'fq_args', 'fq_pc']);
    expectSameFloats(vars, EXPECTED.fq_vars, 'fq_vars');
    expectSameFloats(args, EXPECTED.fq_args, 'fq_args');
    expectSameFloats(pc, EXPECTED.fq_pc, 'fq_pc');
    // And the Vars node no longer runs as Identity.
    expect(countDifferent(vars, Float32Array.from(X_FLAT))).toBeGreaterThan(X_FLAT.length / 2);
  });

  it('each output alone (only its subgraph executed)', () => {
    for (const name of ['fq_vars', 'fq_args', 'fq_pc'] as const) {
      const [y] = execute(model, [name]);
      expectSameFloats(y, EXPECTED[name], name);
    }
  });

  it('a chain Vars -> Args -> PerChannel matches the reference chain', () => {
    const [y] = execute(model, ['chain_pc']);
    expectSameFloats(y, EXPECTED.chain_pc, 'chain_pc');
  });

  it('omitted attributes take TF\'s defaults (num_bits 8, narrow_range false, min -6, max 6)', () => {
    const [v, a, p] = execute(model, ['default_vars', 'default_args', 'default_pc']);
    expectSameFloats(v, EXPECTED.default_vars, 'default_vars');
    expectSameFloats(a, EXPECTED.default_args, 'default_args');
    expectSameFloats(p, EXPECTED.default_pc, 'default_pc');
  });

  it('an int attribute written as a JSON number and integral float attrs are read too', () => {
    const [y] = execute(model, ['numeric_args']);
    expectSameFloats(y, EXPECTED.numeric_args, 'numeric_args');
  });

  it('executeAsync gives the same numbers', async () => {
    const x = tf.tensor2d(X_FLAT, X_SHAPE as [number, number]);
    // tfjs-converter warns that execute() would do for this graph: silence that one message.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const ys = await model.executeAsync({x}, ['fq_vars', 'fq_args', 'fq_pc']) as tf.Tensor[];
    warn.mockRestore();
    expectSameFloats(ys[0].dataSync(), EXPECTED.fq_vars, 'async fq_vars');
    expectSameFloats(ys[1].dataSync(), EXPECTED.fq_args, 'async fq_args');
    expectSameFloats(ys[2].dataSync(), EXPECTED.fq_pc, 'async fq_pc');
    tf.dispose([x, ...ys]);
  });

  it('a batch of one row and a batch of 1000 rows (the -1 dimension)', () => {
    for (const rows of [1, 1000]) {
      const flat = Float32Array.from({length: rows * 4}, (_, i) => X_FLAT[i % X_FLAT.length] * (1 + (i % 7) / 13));
      const x = tf.tensor2d(flat, [rows, 4]);
      const ys = model.execute({x}, ['fq_vars', 'fq_args', 'fq_pc']) as tf.Tensor[];
      expectSameFloats(ys[0].dataSync(), refFakeQuantVars(flat, VARS.min, VARS.max, VARS.numBits, VARS.narrowRange), `vars ${rows}`);
      expectSameFloats(ys[1].dataSync(), refFakeQuantArgs(flat, ARGS.min, ARGS.max, ARGS.numBits, ARGS.narrowRange), `args ${rows}`);
      expectSameFloats(ys[2].dataSync(), refFakeQuantPerChannel(flat, PC.min, PC.max, PC.numBits, PC.narrowRange), `pc ${rows}`);
      tf.dispose([x, ...ys]);
    }
  });

  it('leaves only the returned tensors behind', () => {
    const x = tf.tensor2d(X_FLAT, X_SHAPE as [number, number]);
    const before = tf.memory().numTensors;
    const ys = model.execute({x}, ['fq_vars', 'fq_args', 'fq_pc', 'chain_pc', 'default_pc']) as tf.Tensor[];
    expect(tf.memory().numTensors).toBe(before + ys.length);
    tf.dispose(ys);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('a model loaded BEFORE the import still runs Vars as Identity (ops map at load time)', () => {
    const [y] = execute(oldModel, ['fq_vars']);
    expectSameFloats(y, Float32Array.from(X_FLAT), 'old model fq_vars');
  });

  it('errors from the ops surface through the graph (PerChannel min of the wrong size)', async () => {
    const topology = JSON.parse(JSON.stringify(MODEL_TOPOLOGY));
    topology.node.push({
      name: 'bad_pc',
      op: 'FakeQuantWithMinMaxVarsPerChannel',
      input: ['x', 'vars_min', 'vars_max'],  // scalars, but PerChannel needs [4]
      attr: {num_bits: {i: '8'}, narrow_range: {b: false}},
    });
    const {weightSpecs, weightData} = weights();
    const bad = await tf.loadGraphModel(
        tf.io.fromMemory({modelTopology: topology, weightSpecs, weightData, format: 'graph-model'}));
    const x = tf.tensor2d(X_FLAT, X_SHAPE as [number, number]);
    expect(() => bad.execute({x}, 'bad_pc')).toThrow(/`min`/);
    x.dispose();
    bad.dispose();
  });
});
