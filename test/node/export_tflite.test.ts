/**
 * `exportTFLite` against TFLite's own interpreter (LiteRT.js's wasm build, examples/qat/
 * tflite_runtime.ts): float models built with tfjs-layers, quantized with `quantizeModel` (per
 * channel and per tensor), calibrated on random data (one also trained), exported, and run in
 * the interpreter on other random inputs. The reference is the QAT model's `predict()`: at least
 * 99% of the output values within one output quantization step, none beyond three, for every
 * supported layer kind; float32 and int8 inputs and outputs; Sequential, functional (residual
 * Add, Concatenate, two inputs and two outputs) and nested models. Then the errors, and leaks.
 */
import * as tf from '@tensorflow/tfjs';

import {loadTFLiteModel, type TFLiteData, type TFLiteModel, type TFLiteQuantization} from '../../examples/qat/tflite_runtime';
import {exportTFLite, type ExportOptions} from '../../src/export';
import {calibrate, FakeQuant, FakeQuantWeights, quantizeModel} from '../../src/layers';

import {addAgreement, type Agreement, cnn, expectAgreement, itAgreesOnEveryModel, functional, mlp, outputStep, predictArrays, quantizedModel, randomInputs, SAMPLES, separable} from './export_models';

/** TFLite's QUANTIZE: round half away from zero, then clamp. */
function quantizeInt8(values: Float32Array, q: TFLiteQuantization): Int8Array {
  return Int8Array.from(values, (v) => {
    const r = v / q.scale[0];
    const rounded = Math.sign(r) * Math.round(Math.abs(r));
    return Math.max(-128, Math.min(127, rounded + q.zeroPoint[0]));
  });
}

function dequantize(values: TFLiteData, q: TFLiteQuantization): Float32Array {
  return Float32Array.from(values as Int8Array, (v) => (v - q.zeroPoint[0]) * q.scale[0]);
}

/**
 * Runs `bytes` in TFLite's interpreter and `qat.predict` on the same inputs; compares, in steps of
 * each output's quantizer (`steps`: where an output is no FakeQuant's).
 */
async function compare(
    qat: tf.LayersModel, bytes: Uint8Array, xs: tf.Tensor[], options: ExportOptions,
    steps = qat.outputs.map((_, k) => outputStep(qat, k))): Promise<Agreement> {
  const tflite: TFLiteModel = await loadTFLiteModel(bytes);
  try {
    const inputs = xs.map((x, i) => {
      const data = x.dataSync() as Float32Array;
      if (options.inputType !== 'int8') return data;
      expect(tflite.inputs[i].dtype).toBe('int8');
      return quantizeInt8(data, tflite.inputs[i].quantization!);
    });
    const outputs = await tflite.run(inputs);
    const predicted = predictArrays(qat, xs);
    const agreement: Agreement = {within1: [], maxSteps: []};
    outputs.forEach((out, k) => {
      const values = options.outputType === 'int8' ? dequantize(out, tflite.outputs[k].quantization!) : out as Float32Array;
      addAgreement(agreement, values, predicted[k], steps[k]);
    });
    return agreement;
  } finally {
    tflite.delete();
  }
}

async function exportAndCompare(
    qat: tf.LayersModel, options: ExportOptions, seed: number, steps?: number[], samples = SAMPLES): Promise<Agreement> {
  const xs = randomInputs(qat, samples, seed);
  try {
    const bytes = await exportTFLite(qat, options);
    return await compare(qat, bytes, xs, options, steps);
  } finally {
    tf.dispose(xs);
  }
}

/** An AveragePooling2D that pads its input, after a conv. */
function paddedAveragePool(): tf.LayersModel {
  return tf.sequential({layers: [
    tf.layers.conv2d({inputShape: [6, 6, 2], filters: 4, kernelSize: 3, activation: 'relu'}),
    tf.layers.averagePooling2d({poolSize: 3, strides: 1, padding: 'same'}),
  ]});
}

describe('exportTFLite: TFLite runs what the QAT model computed', () => {
  itAgreesOnEveryModel(exportAndCompare);

  it('SeparableConv2D (split by quantizeModel)', async () => {
    const qat = quantizedModel({build: separable}, 20);
    expectAgreement(await exportAndCompare(qat, {}, 21));
    qat.dispose();
  });

  it('a QAT model saved and loaded again (tf.loadLayersModel) exports the same', async () => {
    const qat = quantizedModel({build: functional}, 18);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await qat.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    expectAgreement(await exportAndCompare(loaded, {}, 19));
    expect(await exportTFLite(loaded)).toEqual(await exportTFLite(qat));
    loaded.dispose();
    qat.dispose();
  });

  it('4-bit weights and activations run on int8 containers with the 4-bit grid', async () => {
    const qat = quantizedModel({build: mlp, quantize: {weightBits: 4, activationBits: 4}}, 4);
    expectAgreement(await exportAndCompare(qat, {}, 10));
    qat.dispose();
  });

  it('int8 I/O: an input that is also an output, and one value output twice, each their own tensor', async () => {
    // Outputs: the (quantized) input itself, a Dense output, and the same values through Dropout.
    const build = () => {
      const x = tf.input({shape: [6]});
      const y = tf.layers.dense({units: 4}).apply(x) as tf.SymbolicTensor;
      return tf.model({inputs: x, outputs: [x, y, tf.layers.dropout({rate: 0.5}).apply(y) as tf.SymbolicTensor]});
    };
    const qat = quantizedModel({build}, 22);
    const steps = [outputStep(qat, 0), outputStep(qat, 1), outputStep(qat, 1)];
    expectAgreement(await exportAndCompare(qat, {inputType: 'int8', outputType: 'int8'}, 23, steps));
    qat.dispose();
  });

  it('requantized tensors round exactly (a Concatenate of branches with other ranges, then Dense)', async () => {
    // LiteRT's int8 -> int8 QUANTIZE rescales with 8 fractional bits: a step off on a few percent
    // of the concatenated values, which the Dense over them sums (92% within a step here).
    const qat = quantizedModel({build: functional, quantize: {perChannelWeights: false}}, 17);
    const steps = [outputStep(qat, 0), outputStep(qat, 1)];
    expectAgreement(await exportAndCompare(qat, {}, 7, steps, 512));
    qat.dispose();
  });

  it('batchSize: the exported model takes that many samples at once', async () => {
    const qat = quantizedModel({build: cnn}, 5);
    const bytes = await exportTFLite(qat, {batchSize: 3});
    const tflite = await loadTFLiteModel(bytes);
    expect(tflite.inputs[0].shape).toEqual([3, 12, 12, 3]);
    expect(tflite.outputs[0].shape).toEqual([3, 4, 4, 4]);
    tflite.delete();
    qat.dispose();
  });

  it('creates no tensor that outlives the export', async () => {
    const qat = quantizedModel({build: functional}, 6);
    const before = tf.memory().numTensors;
    await exportTFLite(qat);
    await exportTFLite(qat, {inputType: 'int8', outputType: 'int8'});
    expect(tf.memory().numTensors).toBe(before);
    qat.dispose();
  });
});

describe('exportTFLite: errors', () => {
  /** Expects the export to reject with every pattern, leaking no tensor. */
  async function expectRejects(model: tf.LayersModel, options: ExportOptions, ...patterns: RegExp[]) {
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      await exportTFLite(model, options);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Error);
    for (const p of patterns) expect((caught as Error).message).toMatch(p);
    expect(tf.memory().numTensors).toBe(before);
  }

  it('an unsupported layer: its name, class and the supported list', async () => {
    const float = tf.sequential({layers: [
      tf.layers.dense({inputShape: [4], units: 3}),
      tf.layers.leakyReLU({name: 'leaky'}),
      tf.layers.dense({units: 2}),
    ]});
    const qat = quantizedModel({build: () => float}, 11);
    await expectRejects(qat, {}, /leaky/, /LeakyReLU/, /supported: .*Dense.*Concatenate/);
    qat.dispose();
  });

  it('an AveragePooling2D that pads: no exact int8 form, the fix named', async () => {
    const qat = quantizedModel({build: paddedAveragePool}, 20);
    await expectRejects(qat, {}, /average_pooling2d\w* \(AveragePooling2D\) pads its input/, /padding 'valid'/);
    qat.dispose();
  });

  it('a float model (not quantized)', async () => {
    const float = mlp();
    await expectRejects(float, {}, /not quantized/, /quantizeModel/);
    float.dispose();
  });

  it('a float input without a range (quantizeInputs: false)', async () => {
    const qat = quantizedModel({build: mlp, quantize: {quantizeInputs: false}}, 12);
    await expectRejects(qat, {}, /model input/, /no int8 range/, /quantizeInputs: true/);
    qat.dispose();
  });

  it('activations wider than 8 bits', async () => {
    const qat = quantizedModel({build: mlp, quantize: {activationBits: 12}}, 13);
    await expectRejects(qat, {}, /numBits 12/, /at most 8 bits/);
    qat.dispose();
  });

  it('a per-channel activation quantizer (TFLite activations are per tensor)', async () => {
    const model = tf.sequential({layers: [
      new FakeQuant({inputShape: [3], perChannel: true, name: 'pc'}),
      new FakeQuantWeights({layer: tf.layers.dense({units: 2})}),
      new FakeQuant({}),
    ]});
    await expectRejects(model, {}, /FakeQuant pc/, /per channel/, /perChannel: false/);
    model.dispose();
  });

  it('an activation the int8 export does not support (split out of its layer by quantizeModel)', async () => {
    const build = () => tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 3, activation: 'tanh', name: 'd'})]});
    const qat = quantizedModel({build}, 14);
    await expectRejects(qat, {}, /layer d\S* \(Activation\(tanh\)\)/, /not supported/);
    qat.dispose();
  });

  it('a dilated DepthwiseConv2D (tfjs-layers runs it undilated)', async () => {
    const build = () => tf.sequential({layers: [
      tf.layers.depthwiseConv2d({inputShape: [6, 6, 2], kernelSize: 2, dilationRate: 2, padding: 'same', name: 'dw'}),
    ]});
    const qat = quantizedModel({build}, 17);
    await expectRejects(qat, {}, /layer quant_dw/, /dilationRate/, /dilation 1/);
    qat.dispose();
  });

  it('a kernel that is not fake-quantized, and one off TFLite\'s symmetric int8 grid', async () => {
    const plain = tf.sequential({layers: [
      new FakeQuant({inputShape: [3], initMin: -1, initMax: 1}),
      tf.layers.dense({units: 2, name: 'plain'}),
      new FakeQuant({}),
    ]});
    await expectRejects(plain, {}, /layer plain \(Dense\)/, /not fake-quantized/, /FakeQuantWeights/);
    plain.dispose();
    // Two's-complement (not narrow) weights: the most negative one lands on -128.
    const dense = tf.layers.dense({units: 2, name: 'wide'});
    const wide = tf.sequential({layers: [
      new FakeQuant({inputShape: [3], initMin: -1, initMax: 1}),
      new FakeQuantWeights({layer: dense, narrowRange: false}),
      new FakeQuant({}),
    ]});
    dense.setWeights([tf.tensor2d([[-1, 0.5], [0.25, -0.5], [0.1, 0.2]]), tf.zeros([2])]);
    await expectRejects(wide, {}, /wide/, /not an integer in \[-127, 127\]/, /narrowRange: true/);
    wide.dispose();
  });

  it('a BatchNormalization that follows no kernel layer', async () => {
    const build = () => tf.sequential({layers: [
      tf.layers.dense({inputShape: [4], units: 3}), tf.layers.reLU(), tf.layers.batchNormalization({name: 'bn'}),
    ]});
    const qat = quantizedModel({build}, 15);
    await expectRejects(qat, {}, /layer bn \(BatchNormalization\)/, /folded/);
    qat.dispose();
  });

  it('bad options', async () => {
    const qat = quantizedModel({build: mlp}, 16);
    await expectRejects(qat, {inputType: 'uint8' as 'int8'}, /inputType/, /'float32' or 'int8'/);
    await expectRejects(qat, {batchSize: 0}, /batchSize/, /positive integer/);
    await expectRejects(qat, {batchSize: '2' as unknown as number}, /batchSize must be a positive integer, got "2"/);
    await expectRejects(qat, {batchSize: [2] as unknown as number}, /batchSize must be a positive integer, got an instance of Array\./);
    // A misspelt option would otherwise export the defaults (float32 I/O) without a word.
    await expectRejects(qat, {inputtype: 'int8'} as ExportOptions, /unknown option inputtype/, /inputType, outputType, batchSize/);
    await expectRejects(qat, null as unknown as ExportOptions, /options must be an object/);
    await expectRejects(qat, 'int8' as unknown as ExportOptions, /options must be an object/, /got "int8"/);
    qat.dispose();
  });

  it('a bias off int32 behind a dead ReLU (its range almost no width): the cause and the fix', async () => {
    const float = tf.sequential({layers: [
      tf.layers.dense({inputShape: [4], units: 3, activation: 'relu', biasInitializer: tf.initializers.constant({value: -10})}),
      tf.layers.dense({units: 2, name: 'after', biasInitializer: tf.initializers.constant({value: 0.5})}),
    ]});
    const qat = quantizeModel(float);
    const x = tf.randomUniform([16, 4], -1, 1, 'float32', 25);
    calibrate(qat, x);
    await expectRejects(qat, {}, /after/, /bias 0\.5 of channel 0 does not fit int32/, /never positive/, /calibrate on data/);
    x.dispose();
    float.dispose();
    qat.dispose();
  });

  it('kernels wider than 8 bits', async () => {
    const qat = quantizedModel({build: mlp, quantize: {weightBits: 16}}, 24);
    await expectRejects(qat, {}, /layer quant_dense\S* \(FakeQuantWeights around Dense/, /kernel numBits 16/, /at most 8 bits/, /weightBits/);
    qat.dispose();
  });
});
