/**
 * The built `tfjs-fake-quant/layers` entry (dist/cjs/layers.js, dist/esm/layers.mjs, typings and
 * the `layers/package.json` stub), loaded by its package name (Node's package self-reference, so
 * through the `exports` map) as a consumer with @tensorflow/tfjs installed would load it.
 * Needs dist/ (`npm test` builds first).
 */
import {execFile} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {promisify} from 'util';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const TSC = require.resolve('typescript/bin/tsc', {paths: [ROOT]});
const SCRATCH = path.join(ROOT, 'out', 'layers_package_test');

const CHECK = `
  const warnings = [];
  const warn = console.warn;
  console.warn = (...a) => { warnings.push(a.join(' ')); };
  LOAD
  console.warn = warn;
  await tf.setBackend('cpu');
  const model = tf.sequential({layers: [
    tf.layers.dense({inputShape: [3], units: 4, activation: 'relu'}), tf.layers.dense({units: 2})]});
  const q = fql.quantizeModel(model, {weightBits: 4, activationBits: 4});
  const x = tf.tensor2d([[0.1, -0.5, 1], [2, 0.3, -1]]);
  fql.calibrate(q, x);
  let saved;
  await q.save(tf.io.withSaveHandler(async (a) => { saved = a; return {modelArtifactsInfo: {}}; }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
  console.log(JSON.stringify({
    resolved,
    classes: q.layers.map((l) => l.getClassName()),
    same: Array.from(loaded.predict(x).dataSync()).join() === Array.from(q.predict(x).dataSync()).join(),
    registered: tf.serialization.SerializationMap.getMap().classNameMap.FakeQuant[0] === fql.FakeQuant,
    duplicates: warnings.filter((w) => /already registered/.test(w)),
  }));`;

async function run(file: string, text: string): Promise<Record<string, unknown>> {
  fs.writeFileSync(path.join(SCRATCH, file), text);
  const {stdout} = await execFileAsync(process.execPath, [path.join(SCRATCH, file)], {cwd: ROOT});
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

function expectWorks(r: Record<string, unknown>, distFile: string): void {
  expect(String(r.resolved)).toBe(path.join(ROOT, distFile));
  expect(r.classes).toEqual(['InputLayer', 'FakeQuant', 'FakeQuantWeights', 'FakeQuant', 'FakeQuantWeights', 'FakeQuant']);
  expect(r.same).toBe(true);
  expect(r.registered).toBe(true);
  expect(r.duplicates).toEqual([]);
}

beforeAll(() => {
  for (const f of ['dist/cjs/layers.js', 'dist/esm/layers.mjs', 'dist/types/layers/index.d.ts']) {
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

describe('tfjs-fake-quant/layers (built)', () => {
  it('reuses the main entry instead of bundling it, and keeps tfjs external', () => {
    const cjs = fs.readFileSync(path.join(ROOT, 'dist/cjs/layers.js'), 'utf8');
    const esm = fs.readFileSync(path.join(ROOT, 'dist/esm/layers.mjs'), 'utf8');
    expect(cjs).toContain('require("./index.js")');
    expect(esm).toContain('from "./index.mjs"');
    for (const text of [cjs, esm]) {
      expect(text).not.toMatch(/registerKernel|registerGradient/);
      expect(text).toMatch(/@tensorflow\/tfjs-layers/);
    }
  });

  it('works with require()', async () => {
    expectWorks(await run('check.cjs', CHECK.replace('LOAD', `
      const tf = require('@tensorflow/tfjs');
      require('tfjs-fake-quant');
      const fql = require('tfjs-fake-quant/layers');
      const resolved = require.resolve('tfjs-fake-quant/layers');`).replace(/^/, '(async () => {') +
      '})().catch((e) => { console.error(e); process.exit(1); });'), 'dist/cjs/layers.js');
  });

  it('works with import', async () => {
    expectWorks(await run('check.mjs', CHECK.replace('LOAD', `
      const tf = await import('@tensorflow/tfjs');
      await import('tfjs-fake-quant');
      const fql = await import('tfjs-fake-quant/layers');
      const resolved = new URL(import.meta.resolve('tfjs-fake-quant/layers')).pathname;`)), 'dist/esm/layers.mjs');
  });

  it('has a layers/package.json stub for resolvers without "exports"', () => {
    const stub = JSON.parse(fs.readFileSync(path.join(ROOT, 'layers/package.json'), 'utf8'));
    for (const key of ['main', 'module', 'types']) {
      expect(fs.existsSync(path.join(ROOT, 'layers', stub[key]))).toBe(true);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('layers');
    expect(pkg.peerDependencies['@tensorflow/tfjs-layers']).toBe('~4.22.0');
    expect(pkg.peerDependenciesMeta['@tensorflow/tfjs-layers']).toEqual({optional: true});
  });

  it('typings resolve through "exports" (node16) and type-check', async () => {
    fs.writeFileSync(path.join(SCRATCH, 'usage.mts'), `
      import * as tf from '@tensorflow/tfjs';
      import {calibrate, FakeQuant, quantizeModel, QuantizeModelOptions, RangeMode} from 'tfjs-fake-quant/layers';
      const mode: RangeMode = 'learned';
      const options: QuantizeModelOptions = {weightBits: 4, activationBits: 8, mode};
      const model: tf.Sequential = tf.sequential({layers: [new FakeQuant({inputShape: [2], numBits: 8})]});
      const q: tf.Sequential = quantizeModel(model, options);
      const n: number = calibrate(q, tf.zeros([1, 2]));
      // @ts-expect-error mode is 'learned' or 'ema'
      new FakeQuant({mode: 'minmax'});
      export {n};
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
