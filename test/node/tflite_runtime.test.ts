/**
 * TFLite's interpreter in Node (examples/qat/tflite_runtime.ts, LiteRT.js's wasm build), on
 * models this test writes by hand with the flatbuffers library (independent of src/export):
 *   - int8 in, int8 out: one FULLY_CONNECTED, against the quantized arithmetic of TFLite's spec
 *     (acc = sum (x - zx) w + b, q = round(acc * sx sw / sy) + zy, clamped), computed here in
 *     float64 on inputs kept away from rounding ties, so the answer is unambiguous;
 *   - float in, float out: QUANTIZE -> FULLY_CONNECTED -> DEQUANTIZE, against the same arithmetic
 *     with the float32 (de)quantization of the spec; several samples in one call;
 *   - the tensor details (dtype, shape, the file's scale and zero point), clear errors for bad
 *     input, no globals or tfjs tensors left behind, nothing fetched.
 */
import * as tf from '@tensorflow/tfjs';
import {Builder} from 'flatbuffers';

import {loadTFLiteModel, type TFLiteModel, tfliteAccuracy} from '../../examples/qat/tflite_runtime';
import {mulberry32} from '../shared/random';

// TFLite schema values used below (schema.fbs).
const FLOAT32 = 0, INT32 = 2, INT8 = 9;
const DEQUANTIZE = 6, FULLY_CONNECTED = 9, QUANTIZE = 114;
const FULLY_CONNECTED_OPTIONS = 8;

interface TensorSpec {
  name: string;
  shape: number[];
  type: number;
  data?: Int8Array | Int32Array;
  scale?: number;
  zeroPoint?: number;
}

interface OperatorSpec {
  code: number;
  version: number;
  inputs: number[];
  outputs: number[];
}

/** A signature def: its key and names for the subgraph's inputs and outputs. */
interface SignatureSpec {
  key: string;
  inputs: Array<[string, number]>;
  outputs: Array<[string, number]>;
}

/** A one-subgraph .tflite flatbuffer (field ids from TFLite's schema.fbs). */
function buildTFLite(tensors: TensorSpec[], operators: OperatorSpec[], inputs: number[], outputs: number[],
                     signature?: SignatureSpec): Uint8Array {
  const b = new Builder(1024);
  const vector = (values: number[], add: (v: number) => void, size = 4, alignment = size) => {
    b.startVector(size, values.length, alignment);
    for (let i = values.length - 1; i >= 0; i--) add(values[i]);
    return b.endVector();
  };
  const ints = (values: number[]) => vector(values, (v) => b.addInt32(v));
  const offsets = (values: number[]) => vector(values, (v) => b.addOffset(v));
  const table = (fields: (() => void)) => {
    b.startObject(10);
    fields();
    return b.endObject();
  };

  const codes = [...new Set(operators.map((o) => `${o.code}/${o.version}`))];
  const buffers = [table(() => {})];  // buffer 0: the empty sentinel
  const tensorTables = tensors.map((t) => {
    let buffer = 0;
    if (t.data) {
      const data = vector(Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
                          (v) => b.addInt8(v), 1, 16);
      buffers.push(table(() => b.addFieldOffset(0, data, 0)));
      buffer = buffers.length - 1;
    }
    const quantization = t.scale === undefined ? 0 : (() => {
      const scale = vector([t.scale!], (v) => b.addFloat32(v));
      const zeroPoint = vector([t.zeroPoint ?? 0], (v) => b.addInt64(BigInt(v)), 8);
      return table(() => {
        b.addFieldOffset(2, scale, 0);
        b.addFieldOffset(3, zeroPoint, 0);
      });
    })();
    const name = b.createString(t.name);
    const shape = ints(t.shape);
    return table(() => {
      b.addFieldOffset(0, shape, 0);
      b.addFieldInt8(1, t.type, -1);
      b.addFieldInt32(2, buffer, -1);
      b.addFieldOffset(3, name, 0);
      if (quantization) b.addFieldOffset(4, quantization, 0);
    });
  });
  const operatorTables = operators.map((o) => {
    const options = o.code === FULLY_CONNECTED ? table(() => b.addFieldInt8(0, 0, -1)) : 0;
    const opInputs = ints(o.inputs);
    const opOutputs = ints(o.outputs);
    return table(() => {
      b.addFieldInt32(0, codes.indexOf(`${o.code}/${o.version}`), -1);
      b.addFieldOffset(1, opInputs, 0);
      b.addFieldOffset(2, opOutputs, 0);
      if (options) {
        b.addFieldInt8(3, FULLY_CONNECTED_OPTIONS, 0);
        b.addFieldOffset(4, options, 0);
      }
    });
  });
  const subgraphFields = [offsets(tensorTables), ints(inputs), ints(outputs), offsets(operatorTables)];
  const subgraph = table(() => subgraphFields.forEach((f, i) => b.addFieldOffset(i, f, 0)));
  const codeTables = codes.map((key) => {
    const [code, version] = key.split('/').map(Number);
    return table(() => {
      b.addFieldInt8(0, Math.min(code, 127), -1);  // 127: "see builtin_code" for codes above a byte
      b.addFieldInt32(2, version, -1);
      b.addFieldInt32(3, code, -1);
    });
  });
  const modelFields = [offsets(codeTables), offsets([subgraph]), b.createString('tflite_runtime.test'), offsets(buffers)];
  const signatures = signature && (() => {
    const tensorMaps = (maps: Array<[string, number]>) => offsets(maps.map(([name, index]) => {
      const nameOffset = b.createString(name);
      return table(() => {
        b.addFieldOffset(0, nameOffset, 0);
        b.addFieldInt32(1, index, -1);
      });
    }));
    const fields = [tensorMaps(signature.inputs), tensorMaps(signature.outputs), b.createString(signature.key)];
    return offsets([table(() => fields.forEach((f, i) => b.addFieldOffset(i, f, 0)))]);
  })();
  const model = table(() => {
    b.addFieldInt32(0, 3, -1);
    modelFields.forEach((f, i) => b.addFieldOffset(i + 1, f, 0));
    if (signatures) b.addFieldOffset(7, signatures, 0);
  });
  b.finish(model, 'TFL3');
  return b.asUint8Array().slice();
}

// One int8 Dense layer, 6 -> 4: per-tensor symmetric weights, int32 bias at sx * sw.
const IN = 6, OUT = 4;
const X_SCALE = 0.05, X_ZERO = -3, W_SCALE = 0.011, Y_SCALE = 0.5, Y_ZERO = 9;
const WEIGHTS = Int8Array.from({length: OUT * IN}, (_, i) => ((i * 37 + 11) % 255) - 127);
const BIAS = Int32Array.from({length: OUT}, (_, o) => (o - 1.5) * 700);

function fullyConnected(input: number, output: number): OperatorSpec {
  return {code: FULLY_CONNECTED, version: 4, inputs: [input, input + 1, input + 2], outputs: [output]};
}

function denseTensors(): TensorSpec[] {
  return [
    {name: 'dense/x', shape: [1, IN], type: INT8, scale: X_SCALE, zeroPoint: X_ZERO},
    {name: 'dense/kernel', shape: [OUT, IN], type: INT8, data: WEIGHTS, scale: W_SCALE},
    {name: 'dense/bias', shape: [OUT], type: INT32, data: BIAS, scale: Math.fround(X_SCALE) * Math.fround(W_SCALE)},
    {name: 'dense/y', shape: [1, OUT], type: INT8, scale: Y_SCALE, zeroPoint: Y_ZERO},
  ];
}

function int8Model(signature?: SignatureSpec) {
  return buildTFLite(denseTensors(), [fullyConnected(0, 3)], [0], [3], signature);
}

function floatModel() {
  const tensors: TensorSpec[] = [{name: 'image', shape: [1, IN], type: FLOAT32}, ...denseTensors(),
                                 {name: 'logits', shape: [1, OUT], type: FLOAT32}];
  return buildTFLite(tensors, [
    {code: QUANTIZE, version: 1, inputs: [0], outputs: [1]},
    fullyConnected(1, 4),
    {code: DEQUANTIZE, version: 2, inputs: [4], outputs: [5]},
  ], [0], [5]);
}

/** Round to nearest; the test data keeps clear of ties, where runtimes round differently. */
function roundClearOfTies(value: number): number | undefined {
  return Math.abs(value - Math.floor(value) - 0.5) < 0.02 ? undefined : Math.round(value);
}

/** TFLite's int8 FULLY_CONNECTED in real arithmetic; undefined when an output sits near a tie. */
function referenceDense(x: ArrayLike<number>): number[] | undefined {
  const multiplier = Math.fround(X_SCALE) * Math.fround(W_SCALE) / Math.fround(Y_SCALE);
  const y: number[] = [];
  for (let o = 0; o < OUT; o++) {
    let acc = BIAS[o];
    for (let i = 0; i < IN; i++) acc += (x[i] - X_ZERO) * WEIGHTS[o * IN + i];
    const q = roundClearOfTies(acc * multiplier);
    if (q === undefined) return undefined;
    y.push(Math.min(127, Math.max(-128, q + Y_ZERO)));
  }
  return y;
}

/** TFLite's QUANTIZE to int8; undefined when an input sits near a tie. */
function referenceQuantize(x: ArrayLike<number>): number[] | undefined {
  const q = Array.from(x, (v) => roundClearOfTies(v / Math.fround(X_SCALE)));
  return q.includes(undefined) ? undefined : q.map((v) => Math.min(127, Math.max(-128, v! + X_ZERO)));
}

function dequantizeOutput(q: number[]): number[] {
  return q.map((v) => Math.fround((v - Y_ZERO) * Math.fround(Y_SCALE)));
}

/**
 * `count` random samples whose reference outputs are unambiguous, and those outputs, flat.
 * `draw` makes one sample; `reference` gives its outputs or undefined.
 */
function samples<T extends Int8Array | Float32Array>(
    count: number, draw: (random: () => number) => T, reference: (x: T) => number[] | undefined) {
  const random = mulberry32(count * 7919 + 17);
  const inputs: T[] = [];
  const outputs: number[] = [];
  while (inputs.length < count) {
    const x = draw(random);
    const y = reference(x);
    if (y === undefined) continue;
    inputs.push(x);
    outputs.push(...y);
  }
  return {inputs, outputs};
}

function int8Samples(count: number) {
  return samples(count, (random) => Int8Array.from({length: IN}, () => Math.floor(random() * 256) - 128),
                 referenceDense);
}

function floatSamples(count: number) {
  return samples(count, (random) => Float32Array.from({length: IN}, () => (random() * 2 - 1) * 6),
                 (x) => {
                   const q = referenceQuantize(x);
                   const y = q && referenceDense(q);
                   return y && dequantizeOutput(y);
                 });
}

function concat<T extends Int8Array | Float32Array>(parts: T[]): T {
  const out = new (parts[0].constructor as new (n: number) => T)(parts.length * parts[0].length);
  parts.forEach((p, i) => out.set(p, i * p.length));
  return out;
}

describe('loadTFLiteModel (LiteRT.js in Node)', () => {
  let numTensors: number;
  let globals: string[];
  const realFetch = globalThis.fetch;

  beforeAll(() => {
    numTensors = tf.memory().numTensors;
    globals = Object.keys(globalThis).sort();
    globalThis.fetch = ((input: unknown) =>
        Promise.reject(new Error(`tflite_runtime test: fetch(${String(input)}) is not allowed`))) as typeof fetch;
  });

  afterAll(() => {
    globalThis.fetch = realFetch;
    expect(Object.keys(globalThis).sort()).toEqual(globals);
    expect(tf.memory().numTensors).toBe(numTensors);
  });

  async function withModel<T>(bytes: Uint8Array, f: (m: TFLiteModel) => Promise<T>): Promise<T> {
    const model = await loadTFLiteModel(bytes);
    try {
      return await f(model);
    } finally {
      model.delete();
    }
  }

  it('runs an int8 FULLY_CONNECTED with int8 input and output like TFLite\'s quantized arithmetic', async () => {
    const bytes = int8Model();
    expect(String.fromCharCode(...bytes.subarray(4, 8))).toBe('TFL3');
    await withModel(bytes, async (model) => {
      expect(model.inputs).toEqual([{name: 'dense/x', shape: [1, IN], dtype: 'int8',
                                     quantization: {scale: [Math.fround(X_SCALE)], zeroPoint: [X_ZERO], axis: 0}}]);
      expect(model.outputs).toEqual([{name: 'dense/y', shape: [1, OUT], dtype: 'int8',
                                      quantization: {scale: [Math.fround(Y_SCALE)], zeroPoint: [Y_ZERO], axis: 0}}]);
      const {inputs: [x], outputs} = int8Samples(1);
      const [y] = await model.run([x]);
      expect(y).toBeInstanceOf(Int8Array);
      expect(Array.from(y)).toEqual(outputs);
    });
  });

  it('runs several samples in one call, one interpreter run each', async () => {
    await withModel(int8Model(), async (model) => {
      const count = 20;
      const {inputs, outputs} = int8Samples(count);
      const [y] = await model.run([concat(inputs)]);
      expect(y.length).toBe(count * OUT);
      expect(Array.from(y)).toEqual(outputs);
      // Most outputs are not clamped: the samples exercise the requantization.
      expect(outputs.filter((v) => v > -128 && v < 127).length).toBeGreaterThan(count * OUT / 2);
    });
  });

  it('names the ports and finds their quantization by a signature def\'s names', async () => {
    const signature = {key: 'serving_default', inputs: [['pixels', 0]], outputs: [['scores', 3]]} as SignatureSpec;
    await withModel(int8Model(signature), async (model) => {
      expect(model.inputs).toEqual([{name: 'pixels', shape: [1, IN], dtype: 'int8',
                                     quantization: {scale: [Math.fround(X_SCALE)], zeroPoint: [X_ZERO], axis: 0}}]);
      expect(model.outputs).toEqual([{name: 'scores', shape: [1, OUT], dtype: 'int8',
                                      quantization: {scale: [Math.fround(Y_SCALE)], zeroPoint: [Y_ZERO], axis: 0}}]);
      const {inputs: [x], outputs} = int8Samples(1);
      expect(Array.from((await model.run([x]))[0])).toEqual(outputs);
    });
  });

  it('runs float32 input and output through QUANTIZE and DEQUANTIZE', async () => {
    await withModel(floatModel(), async (model) => {
      expect(model.inputs).toEqual([{name: 'image', shape: [1, IN], dtype: 'float32'}]);
      expect(model.outputs).toEqual([{name: 'logits', shape: [1, OUT], dtype: 'float32'}]);
      const {inputs, outputs} = floatSamples(20);
      const [y] = await model.run([concat(inputs)]);
      expect(y).toBeInstanceOf(Float32Array);
      expect(Array.from(y)).toEqual(outputs);
    });
  });

  it('loads several models side by side and runs them after others were deleted', async () => {
    const a = await loadTFLiteModel(int8Model());
    const b = await loadTFLiteModel(floatModel());
    a.delete();
    a.delete();  // a second delete is a no-op
    const {inputs: [x], outputs} = floatSamples(1);
    const [y] = await b.run([x]);
    expect(Array.from(y)).toEqual(outputs);
    b.delete();
    await expect(b.run([x])).rejects.toThrow('TFLiteModel.run: the model was deleted');
  });

  it('scores a classifier (tfliteAccuracy) with float input, and with int8 input quantized by the file\'s scale', async () => {
    const count = 40;
    const {inputs, outputs} = floatSamples(count);
    // Labels: the reference's top class where it is unique; every third one wrong on purpose.
    const top = (s: number) => {
      const y = outputs.slice(s * OUT, (s + 1) * OUT);
      const best = y.indexOf(Math.max(...y));
      return y.lastIndexOf(y[best]) === best ? best : undefined;
    };
    const kept = Array.from({length: count}, (_, s) => s).filter((s) => top(s) !== undefined);
    expect(kept.length).toBeGreaterThan(count / 2);
    const labels = kept.map((s, i) => (i % 3 === 0 ? (top(s)! + 1) % OUT : top(s)!));
    const right = labels.filter((_, i) => i % 3 !== 0).length / labels.length;
    const images = concat(kept.map((s) => inputs[s]));
    for (const bytes of [floatModel(), int8Model()]) {
      await withModel(bytes, async (model) => expect(await tfliteAccuracy(model, images, labels)).toBe(right));
    }
  });

  it('names the argument and the fix for bad input', async () => {
    await expect(loadTFLiteModel(new Uint8Array(64))).rejects.toThrow('not a .tflite flatbuffer (bytes 4..7');
    await expect(loadTFLiteModel([1, 2] as unknown as Uint8Array)).rejects.toThrow('bytes must be a Uint8Array');
    const truncated = int8Model().slice(0, 40);
    await expect(loadTFLiteModel(truncated)).rejects.toThrow('TFLite\'s interpreter (LiteRT) rejected the model');
    await withModel(int8Model(), async (model) => {
      await expect(model.run([new Float32Array(IN)])).rejects.toThrow(
          'input 0 (dense/x) is int8: pass a Int8Array, got Float32Array');
      await expect(model.run([new Int8Array(IN + 1)])).rejects.toThrow('needs a positive multiple of 6 (shape [1,6])');
      await expect(model.run([new Int8Array(0)])).rejects.toThrow('needs a positive multiple of 6');
      await expect(model.run([])).rejects.toThrow('expected 1 input array(s) (dense/x), got 0');
    });
  });
});
