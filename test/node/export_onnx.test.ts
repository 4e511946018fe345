/**
 * @jest-environment ./test/node/ort_environment.js
 */
/**
 * `exportONNX` against ONNX Runtime (onnxruntime-node's CPU library): the models of the TFLite
 * suite (export_models.ts: every supported layer kind), exported in QDQ form and run by ORT with
 * its optimizations on, so that its integer kernels (QLinearConv, QGemm, ...) compute. The
 * reference is the QAT model's `predict()`: at least 99% of the output values within one output
 * quantization step, none beyond three. Then what ORT made of the graph (its optimized model),
 * the file's own structure (read back with an independent reader), the errors, and leaks.
 *
 * ORT's U8S8 kernels on x86 CPUs with AVX2 but no VNNI multiply in 16-bit pairs that saturate
 * with full 8-bit weights (ORT's quantization docs); its session option
 * `session.x64quantprecision = '1'` selects the exact path, which these runs set.
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import type * as ort from 'onnxruntime-node';
import * as os from 'os';
import * as path from 'path';

import {exportONNX, type ONNXExportOptions} from '../../src/export';
import {ProtoMessage} from '../../src/export/onnx/protobuf';

import {
  addAgreement, type Agreement, cnn, expectAgreement, itAgreesOnEveryModel, functional, mlp, nested, outputStep, predictArrays, quantizedModel,
  randomInputs, SAMPLES, separable,
} from './export_models';
import {readModel, type ReadModel, type ReadNode, tensorValues} from './onnx_reader';

const onnxruntime = (globalThis as unknown as {onnxruntime: typeof ort}).onnxruntime;

/** ORT's own defaults (all optimizations), single-threaded, the exact x64 int8 path. */
function sessionOptions(extra: ort.InferenceSession.SessionOptions = {}): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1,
    extra: {session: {x64quantprecision: '1'}}, ...extra,
  };
}

/** The int8 parameters the file gives a graph input (its DequantizeLinear's) or output (its QuantizeLinear's). */
function ioParams(model: ReadModel, name: string, side: 'input'|'output'): {scale: number, zeroPoint: number} {
  let node: ReadNode|undefined;
  let value = name;
  for (;;) {
    node = side === 'input' ? model.nodes.find((n) => n.inputs[0] === value) : model.nodes.find((n) => n.outputs[0] === value);
    if (node == null) throw new Error(`no node at ${name}`);
    if (node.opType !== 'Transpose') break;
    value = side === 'input' ? node.outputs[0] : node.inputs[0];
  }
  const [scale] = tensorValues(model.initializers.get(node.inputs[1])!);
  const [zeroPoint] = tensorValues(model.initializers.get(node.inputs[2])!);
  return {scale, zeroPoint};
}

/** ONNX's QuantizeLinear: round half to even, saturate to int8. */
function quantizeInt8(values: Float32Array, {scale, zeroPoint}: {scale: number, zeroPoint: number}): number[] {
  return Array.from(values, (v) => {
    const r = v / scale;
    const floor = Math.floor(r);
    const even = r - floor === 0.5 ? (floor % 2 === 0 ? floor : floor + 1) : Math.round(r);
    return Math.max(-128, Math.min(127, even + zeroPoint));
  });
}

/** NHWC data of `x` as NCHW (for the 'NCHW' layout), or as it is. */
function inLayout(x: tf.Tensor, layout: ONNXExportOptions['layout']): tf.Tensor {
  return layout === 'NCHW' && x.rank === 4 ? tf.transpose(x, [0, 3, 1, 2]) : tf.clone(x);
}

/** Runs `bytes` in ORT and `qat.predict` on the same inputs; compares. */
async function compare(qat: tf.LayersModel, bytes: Uint8Array, xs: tf.Tensor[], options: ONNXExportOptions): Promise<Agreement> {
  const file = readModel(bytes);
  const session = await onnxruntime.InferenceSession.create(bytes, sessionOptions());
  try {
    expect(session.inputNames).toEqual(file.inputs);
    const feeds: Record<string, ort.Tensor> = {};
    xs.forEach((x, i) => {
      const name = session.inputNames[i];
      const laid = inLayout(x, options.layout);
      const data = laid.dataSync() as Float32Array;
      feeds[name] = options.inputType === 'int8' ?
          new onnxruntime.Tensor('int8', quantizeInt8(data, ioParams(file, name, 'input')), laid.shape) :
          new onnxruntime.Tensor('float32', Array.from(data), laid.shape);
      laid.dispose();
    });
    const results = await session.run(feeds);
    const predicted = predictArrays(qat, xs.map((x) => x));
    const agreement: Agreement = {within1: [], maxSteps: []};
    session.outputNames.forEach((name, k) => {
      const out = results[name];
      let values = Array.from(out.data as ArrayLike<number>);
      if (options.outputType === 'int8') {
        expect(out.type).toBe('int8');
        const {scale, zeroPoint} = ioParams(file, name, 'output');
        values = values.map((q) => (q - zeroPoint) * scale);
      }
      if (options.layout === 'NCHW' && out.dims.length === 4) {
        values = tf.tidy(() => Array.from(tf.tensor(values, out.dims as number[]).transpose([0, 2, 3, 1]).dataSync()));
      }
      addAgreement(agreement, values, predicted[k], outputStep(qat, k));
    });
    return agreement;
  } finally {
    await session.release();
  }
}

async function exportAndCompare(qat: tf.LayersModel, options: ONNXExportOptions, seed: number): Promise<Agreement> {
  const xs = randomInputs(qat, SAMPLES, seed);
  try {
    return await compare(qat, await exportONNX(qat, options), xs, options);
  } finally {
    tf.dispose(xs);
  }
}

/** The op types of the graph ORT runs for `bytes` (its optimized model, saved and read back). */
async function optimizedOps(bytes: Uint8Array): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-opt-'));
  const file = path.join(dir, 'optimized.onnx');
  try {
    // 'extended': every QDQ fusion, without the CPU-specific layouts 'all' may save.
    const session = await onnxruntime.InferenceSession.create(
        bytes, sessionOptions({graphOptimizationLevel: 'extended', optimizedModelFilePath: file}));
    await session.release();
    return readModel(new Uint8Array(fs.readFileSync(file))).nodes.map((n) => n.opType);
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

describe('exportONNX: ONNX Runtime runs what the QAT model computed', () => {
  itAgreesOnEveryModel(exportAndCompare);

  it('layout NCHW: inputs and outputs in ONNX\'s image layout', async () => {
    const qat = quantizedModel({build: cnn}, 22);
    expectAgreement(await exportAndCompare(qat, {layout: 'NCHW'}, 23));
    expectAgreement(await exportAndCompare(qat, {layout: 'NCHW', inputType: 'int8', outputType: 'int8'}, 24));
    qat.dispose();
  });


  it('SeparableConv2D (split by quantizeModel) and 4-bit weights and activations', async () => {
    const sep = quantizedModel({build: separable}, 20);
    expectAgreement(await exportAndCompare(sep, {}, 21));
    sep.dispose();
    const narrow = quantizedModel({build: mlp, quantize: {weightBits: 4, activationBits: 4}}, 4);
    expectAgreement(await exportAndCompare(narrow, {}, 10));
    narrow.dispose();
  });

  it('the batch is dynamic by default; batchSize fixes it', async () => {
    const qat = quantizedModel({build: cnn}, 5);
    const dynamic = await onnxruntime.InferenceSession.create(await exportONNX(qat), sessionOptions());
    for (const n of [1, 5]) {
      const out = await dynamic.run({[dynamic.inputNames[0]]: new onnxruntime.Tensor('float32', new Array(n * 432).fill(0.5), [n, 12, 12, 3])});
      expect(out[dynamic.outputNames[0]].dims).toEqual([n, 4, 4, 4]);
    }
    await dynamic.release();
    const fixed = await onnxruntime.InferenceSession.create(await exportONNX(qat, {batchSize: 3}), sessionOptions());
    await expect(fixed.run({[fixed.inputNames[0]]: new onnxruntime.Tensor('float32', new Array(2 * 432).fill(0), [2, 12, 12, 3])}))
        .rejects.toThrow(/dimension|Expected: 3/);
    await fixed.release();
    qat.dispose();
  });

  // A tensor read by several ops (the functional model's branches) stays on float kernels in
  // ORT 1.30 on x86: it duplicates the shared DequantizeLinear, then no longer converts that int8
  // Q/DQ pair to the uint8 its x86 kernels take.
  it('ORT fuses the Q/DQ pairs into its integer kernels (its optimized graph)', async () => {
    for (const build of [cnn, mlp, nested]) {
      const qat = quantizedModel({build}, 12);
      const ops = await optimizedOps(await exportONNX(qat));
      qat.dispose();
      if (build === mlp) expect(ops).toContain('QGemm');
      else expect(ops).toContain('QLinearConv');
      // No kernel layer left on float kernels.
      expect(ops.filter((op) => op === 'Conv' || op === 'Gemm' || op === 'MatMul')).toEqual([]);
    }
  });

  it('creates no tensor that outlives the export', async () => {
    const qat = quantizedModel({build: functional}, 6);
    const before = tf.memory().numTensors;
    await exportONNX(qat);
    await exportONNX(qat, {inputType: 'int8', outputType: 'int8', layout: 'NCHW'});
    expect(tf.memory().numTensors).toBe(before);
    qat.dispose();
  });
});

describe('exportONNX: the file', () => {
  it('protobuf wire format: varints (negative ones in ten bytes), floats, nested messages', () => {
    // Examples of protobuf's encoding documentation: 150 -> 08 96 01; -1 as int64 -> ten bytes.
    expect(Array.from(new ProtoMessage().varint(1, 150).finish())).toEqual([0x08, 0x96, 0x01]);
    expect(Array.from(new ProtoMessage().varint(1, -1).finish()))
        .toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(Array.from(new ProtoMessage().float(2, 1).finish())).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    const inner = new ProtoMessage().string(2, 'testing');
    expect(Array.from(new ProtoMessage().message(3, inner).finish()))
        .toEqual([0x1a, 0x09, 0x12, 0x07, ...Array.from(Buffer.from('testing'))]);
  });

  it('opset 13, IR version 7, QDQ around every kernel op, int8 weights per axis, int32 biases', async () => {
    const qat = quantizedModel({build: cnn}, 13);
    const model = readModel(await exportONNX(qat));
    qat.dispose();
    expect(model.irVersion).toBe(7);
    expect(model.opsets).toEqual([{domain: '', version: 13}]);
    const producer = (value: string) => model.nodes.find((n) => n.outputs.includes(value));
    const convs = model.nodes.filter((n) => n.opType === 'Conv');
    expect(convs.length).toBe(4);
    for (const conv of convs) {
      const [x, w, b] = conv.inputs.map((v) => producer(v)!);
      expect([x.opType, w.opType, b.opType]).toEqual(['DequantizeLinear', 'DequantizeLinear', 'DequantizeLinear']);
      const kernel = model.initializers.get(w.inputs[0])!;
      const bias = model.initializers.get(b.inputs[0])!;
      expect(kernel.dataType).toBe(3);
      expect(bias.dataType).toBe(6);
      // Per channel: one scale per output channel (axis 0 of OIHW); zero points 0.
      expect(model.initializers.get(w.inputs[1])!.dims).toEqual([kernel.dims[0]]);
      expect(w.ints.axis).toEqual([0]);
      expect(tensorValues(model.initializers.get(w.inputs[2])!).every((z) => z === 0)).toBe(true);
      expect(tensorValues(kernel).every((q) => q >= -127 && q <= 127)).toBe(true);
      // The output (after a fused Relu / Clip, if any) goes straight to a QuantizeLinear.
      let next = model.nodes.find((n) => n.inputs[0] === conv.outputs[0])!;
      if (next.opType === 'Relu' || next.opType === 'Clip') next = model.nodes.find((n) => n.inputs[0] === next.outputs[0])!;
      expect(next.opType).toBe('QuantizeLinear');
    }
    // NHWC at the edges.
    expect(model.nodes[0].opType).toBe('Transpose');
    expect(model.nodes[0].ints.perm).toEqual([0, 3, 1, 2]);
  });
});

describe('exportONNX: errors', () => {
  /** Expects the export to reject with every pattern, leaking no tensor. */
  async function expectRejects(model: tf.LayersModel, options: ONNXExportOptions, ...patterns: RegExp[]) {
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      await exportONNX(model, options);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Error);
    for (const p of patterns) expect((caught as Error).message).toMatch(p);
    expect(tf.memory().numTensors).toBe(before);
  }

  it('an unsupported layer: its name, class and the supported list', async () => {
    const build = () => tf.sequential({layers: [
      tf.layers.dense({inputShape: [4], units: 3}), tf.layers.leakyReLU({name: 'leaky'}), tf.layers.dense({units: 2}),
    ]});
    const qat = quantizedModel({build}, 11);
    await expectRejects(qat, {}, /leaky/, /LeakyReLU/, /supported: .*Dense.*Concatenate/);
    qat.dispose();
  });

  it('a float model, a float input without a range, activations wider than 8 bits', async () => {
    const float = mlp();
    await expectRejects(float, {}, /not quantized/, /quantizeModel/);
    float.dispose();
    const noInputRange = quantizedModel({build: mlp, quantize: {quantizeInputs: false}}, 12);
    await expectRejects(noInputRange, {}, /model input/, /no int8 range/, /quantizeInputs: true/);
    noInputRange.dispose();
    const wide = quantizedModel({build: mlp, quantize: {activationBits: 12}}, 13);
    await expectRejects(wide, {}, /numBits 12/, /at most 8 bits/);
    wide.dispose();
  });

  it('bad options', async () => {
    const qat = quantizedModel({build: mlp}, 16);
    await expectRejects(qat, {inputType: 'uint8' as 'int8'}, /inputType/, /'float32' or 'int8'/);
    await expectRejects(qat, {batchSize: 0}, /batchSize/, /positive integer/);
    await expectRejects(qat, {layout: 'NWHC' as 'NHWC'}, /options.layout/, /'NHWC' or 'NCHW'/);
    qat.dispose();
  });
});
