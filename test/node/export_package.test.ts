/**
 * The built `tfjs-fake-quant/export` entry (dist/cjs/export.js, dist/esm/export.mjs, typings, the
 * `export/package.json` stub) and the second <script> bundle (dist/tfjs-fake-quant-layers.min.js),
 * loaded as a consumer loads them (by package name, through the `exports` map; the bundles in a
 * script context with a global `tf`). Each check quantizes and calibrates a small model in a child
 * process, exports it, and prints the file and the QAT model's outputs; the file then runs in
 * TFLite's interpreter here and must agree with them. Needs dist/ (`npm test` builds first).
 */
import {execFile} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {promisify} from 'util';

import {loadTFLiteModel} from '../../examples/qat/tflite_runtime';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const TSC = require.resolve('typescript/bin/tsc', {paths: [ROOT]});
const SCRATCH = path.join(ROOT, 'out', 'export_package_test');

/** LOAD defines tf, fql (the layers API), fqe (the exporters) and resolved. */
const CHECK = `
  const warnings = [];
  const warn = console.warn;
  console.warn = (...a) => { warnings.push(a.join(' ')); };
  LOAD
  console.warn = warn;
  await tf.setBackend('cpu');
  const model = tf.sequential({layers: [
    tf.layers.conv2d({inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu'}),
    tf.layers.flatten(), tf.layers.dense({units: 4})]});
  const q = fql.quantizeModel(model);
  const x = tf.randomUniform([16, 6, 6, 2], -1, 1, 'float32', 7);
  fql.calibrate(q, x);
  const bytes = await fqe.exportTFLite(q, {outputType: 'int8'});
  console.log(JSON.stringify({
    resolved,
    file: Buffer.from(bytes).toString('base64'),
    input: Array.from(x.dataSync()),
    predicted: Array.from(q.predict(x).dataSync()),
    duplicates: warnings.filter((w) => /already registered/.test(w)),
  }));`;

interface CheckResult {
  resolved: string;
  file: string;
  input: number[];
  predicted: number[];
  duplicates: string[];
  missingLayersError?: string;
}

async function run(file: string, text: string): Promise<CheckResult> {
  fs.writeFileSync(path.join(SCRATCH, file), text);
  const {stdout} = await execFileAsync(process.execPath, [path.join(SCRATCH, file)], {cwd: ROOT});
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

const asyncMain = (body: string) => `(async () => {${body}})().catch((e) => { console.error(e); process.exit(1); });`;

/** The exported file, run in TFLite's interpreter, gives the QAT model's outputs (int8 steps). */
async function expectWorks(r: CheckResult, distFile: string): Promise<void> {
  expect(r.resolved).toBe(path.join(ROOT, distFile));
  expect(r.duplicates).toEqual([]);
  const model = await loadTFLiteModel(new Uint8Array(Buffer.from(r.file, 'base64')));
  try {
    const [out] = await model.run([new Float32Array(r.input)]);
    const {scale, zeroPoint} = model.outputs[0].quantization!;
    expect(out).toBeInstanceOf(Int8Array);
    expect(out.length).toBe(r.predicted.length);
    const steps = Array.from(out, (v, i) => Math.abs((v - zeroPoint[0]) * scale[0] - r.predicted[i]) / scale[0]);
    expect(Math.max(...steps)).toBeLessThanOrEqual(3);
    expect(steps.filter((s) => s > 1 + 1e-3).length).toBeLessThanOrEqual(0.01 * steps.length);
  } finally {
    model.delete();
  }
}

beforeAll(() => {
  for (const f of ['dist/cjs/export.js', 'dist/esm/export.mjs', 'dist/types/export/index.d.ts',
                   'dist/tfjs-fake-quant-layers.min.js']) {
    if (!fs.existsSync(path.join(ROOT, f))) {
      throw new Error(`${f} is missing: run \`npm run build\` first (\`npm test\` does).`);
    }
  }
  fs.rmSync(SCRATCH, {recursive: true, force: true});
  fs.mkdirSync(SCRATCH, {recursive: true});
});

afterAll(() => {
  fs.rmSync(SCRATCH, {recursive: true, force: true});
});

describe('tfjs-fake-quant/export (built)', () => {
  it('loads the main and layers entries instead of bundling them', () => {
    const cjs = fs.readFileSync(path.join(ROOT, 'dist/cjs/export.js'), 'utf8');
    const esm = fs.readFileSync(path.join(ROOT, 'dist/esm/export.mjs'), 'utf8');
    expect(cjs).toContain('require("./layers.js")');
    expect(esm).toContain('from "./layers.mjs"');
    for (const text of [cjs, esm]) {
      expect(text).not.toMatch(/registerKernel|registerGradient|registerClass/);
      expect(text).toMatch(/"flatbuffers"/);
    }
  });

  it('works with require()', async () => {
    await expectWorks(await run('check.cjs', asyncMain(CHECK.replace('LOAD', `
      const tf = require('@tensorflow/tfjs');
      const fql = require('tfjs-fake-quant/layers');
      const fqe = require('tfjs-fake-quant/export');
      const resolved = require.resolve('tfjs-fake-quant/export');`))), 'dist/cjs/export.js');
  }, 60000);

  it('works with import', async () => {
    await expectWorks(await run('check.mjs', CHECK.replace('LOAD', `
      const tf = await import('@tensorflow/tfjs');
      const fql = await import('tfjs-fake-quant/layers');
      const fqe = await import('tfjs-fake-quant/export');
      const resolved = new URL(import.meta.resolve('tfjs-fake-quant/export')).pathname;`)), 'dist/esm/export.mjs');
  }, 60000);

  it('the layers <script> bundle gives pages quantizeModel, calibrate and exportTFLite', async () => {
    const r = await run('bundle.cjs', asyncMain(CHECK.replace('LOAD', `
      const fs = require('fs');
      const vm = require('vm');
      const read = (f) => fs.readFileSync(require.resolve('tfjs-fake-quant/dist/' + f), 'utf8');
      globalThis.tf = require('@tensorflow/tfjs-core');
      require('@tensorflow/tfjs-backend-cpu');
      vm.runInThisContext(read('tfjs-fake-quant.min.js'));
      let missingLayersError = '';
      try { vm.runInThisContext(read('tfjs-fake-quant-layers.min.js')); } catch (e) { missingLayersError = e.message; }
      globalThis.tf = {...require('@tensorflow/tfjs'), ...globalThis.tf};
      vm.runInThisContext(read('tfjs-fake-quant-layers.min.js'));
      const tf = globalThis.tf;
      const fql = globalThis.tfjsFakeQuant;
      const fqe = globalThis.tfjsFakeQuant;
      const resolved = require.resolve('tfjs-fake-quant/dist/tfjs-fake-quant-layers.min.js');`)
        .replace('console.log(JSON.stringify({', 'console.log(JSON.stringify({missingLayersError,')));
    await expectWorks(r, 'dist/tfjs-fake-quant-layers.min.js');
    expect(r.missingLayersError).toMatch(/tfjs-layers/);
  }, 60000);

  it('has an export/package.json stub for resolvers without "exports"', () => {
    const stub = JSON.parse(fs.readFileSync(path.join(ROOT, 'export/package.json'), 'utf8'));
    for (const key of ['main', 'module', 'types']) {
      expect(fs.existsSync(path.join(ROOT, 'export', stub[key]))).toBe(true);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('export');
    expect(pkg.dependencies.flatbuffers).toBeDefined();
  });

  it('typings resolve through "exports" (node16) and type-check', async () => {
    fs.writeFileSync(path.join(SCRATCH, 'usage.mts'), `
      import * as tf from '@tensorflow/tfjs';
      import {quantizeModel} from 'tfjs-fake-quant/layers';
      import {exportTFLite, ExportOptions} from 'tfjs-fake-quant/export';
      const options: ExportOptions = {inputType: 'int8', outputType: 'float32'};
      const model = tf.sequential({layers: [tf.layers.dense({inputShape: [2], units: 1})]});
      const bytes: Promise<Uint8Array> = exportTFLite(quantizeModel(model), options);
      // @ts-expect-error inputType is 'float32' or 'int8'
      exportTFLite(model, {inputType: 'uint8'});
      export {bytes};
    `);
    fs.writeFileSync(path.join(SCRATCH, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {strict: true, noEmit: true, target: 'ES2020', lib: ['ES2020', 'DOM'],
                        module: 'node16', moduleResolution: 'node16', skipLibCheck: true, types: []},
      files: ['usage.mts'],
    }));
    try {
      await execFileAsync(process.execPath, [TSC, '-p', SCRATCH], {cwd: ROOT});
    } catch (e) {
      const err = e as {stdout?: string; message: string};
      throw new Error(String(err.stdout ?? err.message));
    }
  }, 120000);
});
