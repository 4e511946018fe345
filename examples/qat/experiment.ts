/**
 * The QAT experiment of the demo, shared by Node (examples/qat_demo.ts, cpu backend) and the
 * browser page (examples/web/, webgl backend):
 *
 * 1. train a small model in float on the training split (an MLP, or a conv net: models.ts);
 * 2. post-training quantization (PTQ) at each bit width: `quantizeModel` + `calibrate` on training
 *    data, evaluated without any retraining;
 * 3. quantization-aware training (QAT): the same calibrated quantized model, fine-tuned for a few
 *    epochs (`fit` trains through the fake-quant gradients; activation ranges follow the moving
 *    averages of the batches).
 *
 * Everything is seeded (weights, data split, batch order), so a run on a backend is reproducible.
 */
import * as tf from '@tensorflow/tfjs';

import {calibrate, quantizeModel} from '../../src/layers';
import {type DataSet, NUM_CLASSES, permutation, seededRandom} from './data';
import {createModel, inputShape, type ModelKind} from './models';

export interface ExperimentConfig {
  /** Which float model to train (models.ts). */
  model: ModelKind;
  /** Seed of the weights and of the batch order. */
  seed: number;
  floatEpochs: number;
  qatEpochs: number;
  batchSize: number;
  learningRate: number;
  qatLearningRate: number;
  /** Bit widths of the quantized runs (weights and activations). */
  bits: number[];
  /** Number of training samples the quantized models are calibrated on. */
  calibrationSize: number;
  /** onStep is called every `stepEvery` batches. */
  stepEvery: number;
  /** Units of the model's dense hidden layer (default: models.ts's DEFAULT_HIDDEN). */
  hidden?: number;
}

export const DEFAULT_CONFIG: ExperimentConfig = {
  model: 'mlp',
  seed: 42,
  floatEpochs: 8,
  qatEpochs: 3,
  batchSize: 64,
  learningRate: 2e-3,
  qatLearningRate: 2e-4,
  bits: [8, 4],
  calibrationSize: 2000,
  stepEvery: 10,
};

export interface Results {
  /** Test accuracies in [0, 1]. */
  float: number;
  ptq: {[bits: string]: number};
  qat: {[bits: string]: number};
}

export interface EpochReport {
  /** 'float', or 'qat8', 'qat4', ... */
  run: string;
  epoch: number;
  epochs: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  testAccuracy: number;
  /** Global training step at the end of the epoch (see StepReport). */
  step: number;
  /** Seconds since the experiment started. */
  seconds: number;
}

export interface StepReport {
  run: string;
  /** Global training step: float steps first, QAT steps continue from the float model's last. */
  step: number;
  loss: number;
}

export interface Hooks {
  onEpoch?(e: EpochReport): void|Promise<void>;
  onStep?(s: StepReport): void|Promise<void>;
  /** name: 'float', 'ptq8', 'qat4', ...; accuracy in [0, 1]; step: global step of the model. */
  onResult?(name: string, accuracy: number, step: number): void|Promise<void>;
  /**
   * Each trained model ('float', 'qat8', 'qat4', ...) once its result is in, before the
   * experiment disposes of it (e.g. to export it).
   */
  onModel?(name: string, model: tf.LayersModel): void|Promise<void>;
}

/** Softmax cross-entropy on logits. */
function loss(labels: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return tf.losses.softmaxCrossEntropy(labels, logits);
}

/** A data set as model inputs of `shape` (per sample), one-hot targets and labels. */
function toTensors(d: DataSet, shape: number[]): {x: tf.Tensor; y: tf.Tensor2D; labels: tf.Tensor1D} {
  return tf.tidy(() => {
    const labels = tf.tensor1d(Int32Array.from(d.labels), 'int32');
    return {
      x: tf.tensor(d.images, [d.n, ...shape]),
      y: tf.oneHot(labels, NUM_CLASSES).toFloat() as tf.Tensor2D,
      labels,
    };
  });
}

/** Test accuracy in [0, 1] (inference mode: EMA ranges frozen). */
export function accuracy(model: tf.LayersModel, x: tf.Tensor, labels: tf.Tensor1D, batchSize = 500): number {
  let correct = 0;
  const n = x.shape[0];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    correct += tf.tidy(() => {
      const logits = model.predict(x.slice(start, size)) as tf.Tensor;
      return tf.equal(tf.argMax(logits, 1), labels.slice(start, size)).sum().dataSync()[0];
    });
  }
  return correct / n;
}

/** Runs the whole experiment; returns the test accuracies. */
export async function runExperiment(
    data: {train: DataSet; test: DataSet}, config: ExperimentConfig = DEFAULT_CONFIG,
    hooks: Hooks = {}): Promise<Results> {
  const t0 = Date.now();
  const shape = inputShape(config.model);
  const train = toTensors(data.train, shape);
  const test = toTensors(data.test, shape);
  const calibrationX = train.x.slice(0, Math.min(config.calibrationSize, data.train.n));
  const random = seededRandom(config.seed + 1);
  const models: tf.LayersModel[] = [];

  /** Trains `model` for `epochs` seeded-shuffled epochs; returns the global step reached. */
  const trainEpochs = async (model: tf.LayersModel, run: string, epochs: number, firstStep: number) => {
    let step = firstStep;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const order = tf.tensor1d(permutation(data.train.n, random), 'int32');
      const xs = tf.gather(train.x, order);
      const ys = tf.gather(train.y, order);
      order.dispose();
      let sum = 0;
      let batches = 0;
      await model.fit(xs, ys, {
        epochs: 1,
        batchSize: config.batchSize,
        shuffle: false,
        verbose: 0,
        callbacks: {
          onBatchEnd: async (_batch, logs) => {
            const l = logs?.loss ?? NaN;
            if (!Number.isFinite(l)) throw new Error(`${run}: loss is ${l} at step ${step}`);
            sum += l;
            batches++;
            step++;
            if (hooks.onStep && step % config.stepEvery === 0) await hooks.onStep({run, step, loss: l});
          },
        },
      });
      tf.dispose([xs, ys]);
      const testAccuracy = accuracy(model, test.x, test.labels);
      await hooks.onEpoch?.({
        run, epoch, epochs, loss: sum / batches, testAccuracy, step, seconds: (Date.now() - t0) / 1000,
      });
    }
    return step;
  };

  try {
    const floatModel = createModel(config.model, config.seed, config.hidden);
    models.push(floatModel);
    floatModel.compile({optimizer: tf.train.adam(config.learningRate), loss});
    const floatSteps = await trainEpochs(floatModel, 'float', config.floatEpochs, 0);
    const results: Results = {float: accuracy(floatModel, test.x, test.labels), ptq: {}, qat: {}};
    await hooks.onResult?.('float', results.float, floatSteps);
    await hooks.onModel?.('float', floatModel);

    for (const bits of config.bits) {
      const q = quantizeModel(floatModel, {weightBits: bits, activationBits: bits, mode: 'ema'});
      models.push(q);
      calibrate(q, calibrationX);
      results.ptq[bits] = accuracy(q, test.x, test.labels);
      await hooks.onResult?.(`ptq${bits}`, results.ptq[bits], floatSteps);
      q.compile({optimizer: tf.train.adam(config.qatLearningRate), loss});
      const qatSteps = await trainEpochs(q, `qat${bits}`, config.qatEpochs, floatSteps);
      results.qat[bits] = accuracy(q, test.x, test.labels);
      await hooks.onResult?.(`qat${bits}`, results.qat[bits], qatSteps);
      await hooks.onModel?.(`qat${bits}`, q);
    }
    return results;
  } finally {
    for (const m of models) {
      m.optimizer?.dispose();
      m.dispose();
    }
    tf.dispose([train.x, train.y, train.labels, test.x, test.labels, test.y, calibrationX]);
  }
}

