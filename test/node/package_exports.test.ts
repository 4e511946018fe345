/**
 * The published package, as a consumer gets it: `npm pack` the built package (dist/ must exist:
 * `npm test` builds first), install the tarball next to @tensorflow/tfjs-core and
 * -backend-cpu in a scratch project outside the repository, then check that
 *   - `require('tfjs-fake-quant')` resolves to dist/cjs and works,
 *   - `import ... from 'tfjs-fake-quant'` resolves to dist/esm and works, sharing tfjs-core's
 *     instance with CommonJS code,
 *   - the typings resolve and type-check (strict) under moduleResolution node10 (`types` field)
 *     and node16 (`exports` types condition; .mts and .cts importers; skipLibCheck false),
 *   - `tfjs-fake-quant/converter` (both formats) registers the graph executors and reuses the main
 *     entry (no kernel registered twice),
 *   - the browser bundle registers the ops on a global `tf` and fails clearly without one,
 *   - the tarball holds dist/ and no tfjs copy.
 * The install uses the npm cache (`--prefer-offline`), which `npm ci` has just filled.
 */
import {execFile, execFileSync} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {promisify} from 'util';

const execFileAsync = promisify(execFile);

const ROOT = path.resolve(__dirname, '../..');
const TSC = require.resolve('typescript/bin/tsc', {paths: [ROOT]});
const TFJS_VERSION: string = require(path.join(ROOT, 'node_modules/@tensorflow/tfjs-core/package.json')).version;
const PKG_NAME = 'tfjs-fake-quant';

let work = '';

/**
 * The scratch project must not lie inside the repository: Node and tsc would fall back to the
 * repository's node_modules (and its @types) and hide what a consumer is missing.
 */
function scratchBase(): string {
  const inside = (dir: string) => !path.relative(ROOT, fs.realpathSync(dir)).startsWith('..');
  for (const dir of [os.tmpdir(), '/var/tmp', '/tmp', os.homedir()]) {
    try {
      fs.accessSync(dir, fs.constants.W_OK);
      if (!inside(dir)) return dir;
    } catch {
      // not usable, try the next one
    }
  }
  throw new Error(`no writable temp directory outside ${ROOT}`);
}
let tarball = '';

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
}

/** Runs `node <file>` in the scratch project and parses the JSON it prints last. */
async function runNode(file: string): Promise<Record<string, unknown>> {
  const {stdout} = await execFileAsync(process.execPath, [file], {cwd: work});
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(work, rel)), {recursive: true});
  fs.writeFileSync(path.join(work, rel), text);
}

const EXPECTED_FORWARD = [-0.9960785, 0, 0.2980392, 1.0039216];

/** Same checks from CommonJS and from ESM; prints one JSON line. */
const RUNTIME_CHECK = `
  await tf.setBackend('cpu');
  const x = tf.tensor1d([-1.2, 0, 0.3, 1.7]);
  const forward = Array.from(fq.fakeQuantWithMinMaxVars(x, -1, 1).dataSync());
  const g = fq.fakeQuantWithMinMaxVarsGradient(tf.ones([4]), x, -1, 1);
  const viaGrad = Array.from(tf.grad((t) => fq.fakeQuantWithMinMaxVars(t, -1, 1))(x).dataSync());
  console.log(JSON.stringify({
    resolved, forward, viaGrad,
    dx: Array.from(g.backpropsWrtInput.dataSync()),
    dMin: g.backpropWrtMin.dataSync()[0], dMax: g.backpropWrtMax.dataSync()[0],
    kernel: tf.getKernel('FakeQuantWithMinMaxVars', 'cpu') != null,
    sameEngine,
  }));
`;

function expectRuntime(r: Record<string, unknown>, distFile: string): void {
  expect(String(r.resolved).replace(/\\/g, '/')).toMatch(new RegExp(`/node_modules/${PKG_NAME}/${distFile}$`));
  (r.forward as number[]).forEach((v, i) => expect(v).toBeCloseTo(EXPECTED_FORWARD[i], 6));
  expect(r.dx).toEqual([0, 1, 1, 0]);
  expect(r.viaGrad).toEqual([0, 1, 1, 0]);
  expect(r.dMin).toBe(1);
  expect(r.dMax).toBe(1);
  expect(r.kernel).toBe(true);
  expect(r.sameEngine).toBe(true);
}

beforeAll(() => {
  for (const f of ['dist/cjs/index.js', 'dist/esm/index.mjs', 'dist/types/index.d.ts', 'dist/tfjs-fake-quant.min.js']) {
    if (!fs.existsSync(path.join(ROOT, f))) {
      throw new Error(`${f} is missing: run \`npm run build\` first (\`npm test\` does).`);
    }
  }
  work = fs.mkdtempSync(path.join(scratchBase(), 'tfjs-fake-quant-pkg-'));
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT));
  tarball = path.join(work, packed[0].filename);
  write('package.json', JSON.stringify({name: 'consumer', version: '1.0.0', private: true}));
  npm([
    'install', '--no-save', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball,
    `@tensorflow/tfjs-core@${TFJS_VERSION}`, `@tensorflow/tfjs-backend-cpu@${TFJS_VERSION}`,
    `@tensorflow/tfjs-converter@${TFJS_VERSION}`,
  ], work);
}, 120000);

afterAll(() => {
  if (work) fs.rmSync(work, {recursive: true, force: true});
});

describe('packed package', () => {
  it('contains the builds and no tfjs copy', () => {
    const files = JSON.parse(npm(['pack', '--ignore-scripts', '--dry-run', '--json'], ROOT))[0]
        .files.map((f: {path: string}) => f.path) as string[];
    for (const f of ['dist/cjs/index.js', 'dist/esm/index.mjs', 'dist/types/index.d.ts',
                     'dist/cjs/converter.js', 'dist/esm/converter.mjs',
                     'dist/types/converter/index.d.ts', 'converter/package.json',
                     'dist/cjs/export.js', 'dist/esm/export.mjs', 'dist/types/export/index.d.ts',
                     'export/package.json', 'dist/tfjs-fake-quant-layers.min.js',
                     'dist/tfjs-fake-quant.js', 'dist/tfjs-fake-quant.min.js', 'package.json']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /node_modules|^test\/|@tensorflow/.test(f))).toEqual([]);
    const installed = path.join(work, 'node_modules', PKG_NAME);
    expect(fs.existsSync(path.join(installed, 'node_modules'))).toBe(false);
    const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@tensorflow/'))).toEqual([]);
    expect(Object.keys(pkg.peerDependencies)).toContain('@tensorflow/tfjs-core');
  });

  it('works with require() (CommonJS build)', async () => {
    write('cjs_check.js', `
      const fq = require('${PKG_NAME}');
      const tf = require('@tensorflow/tfjs-core');
      require('@tensorflow/tfjs-backend-cpu');
      const resolved = require.resolve('${PKG_NAME}');
      const sameEngine = true;
      (async () => { ${RUNTIME_CHECK} })().catch((e) => { console.error(e); process.exit(1); });`);
    expectRuntime(await runNode('cjs_check.js'), 'dist/cjs/index.js');
  });

  it('works with import (ES module build) and shares tfjs-core with CommonJS', async () => {
    write('esm_check.mjs', `
      import {createRequire} from 'module';
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      import * as fq from '${PKG_NAME}';
      const resolved = new URL(import.meta.resolve('${PKG_NAME}')).pathname;
      const sameEngine = createRequire(import.meta.url)('@tensorflow/tfjs-core').engine() === tf.engine();
      ${RUNTIME_CHECK}`);
    expectRuntime(await runNode('esm_check.mjs'), 'dist/esm/index.mjs');
  });

  /** A one-node graph model: x -> FakeQuantWithMinMaxArgs (unknown to tfjs-converter itself). */
  const CONVERTER_CHECK = `
    const warnings = [];
    const warn = console.warn;
    console.warn = (...a) => { warnings.push(a.join(' ')); };
    LOAD
    console.warn = warn;
    const modelTopology = {node: [
      {name: 'x', op: 'Placeholder',
       attr: {dtype: {type: 'DT_FLOAT'}, shape: {shape: {dim: [{size: '-1'}, {size: '4'}]}}}},
      {name: 'y', op: 'FakeQuantWithMinMaxArgs', input: ['x'],
       attr: {min: {f: -1}, max: {f: 1}, num_bits: {i: '8'}, narrow_range: {b: false}}},
    ], versions: {producer: 1}};
    const model = await converter.loadGraphModel(
        tf.io.fromMemory({modelTopology, weightSpecs: [], weightData: new ArrayBuffer(0)}));
    const y = model.execute(tf.tensor2d([[-1.2, 0, 0.3, 1.7]]), 'y');
    console.log(JSON.stringify({
      resolved,
      forward: Array.from(y.dataSync()),
      executors: Object.keys(conv.graphExecutors).sort(),
      duplicates: warnings.filter((w) => /already registered/.test(w)),
    }));`;

  function expectConverter(r: Record<string, unknown>, distFile: string): void {
    expect(String(r.resolved).replace(/\\/g, '/')).toMatch(new RegExp(`/node_modules/${PKG_NAME}/${distFile}$`));
    (r.forward as number[]).forEach((v, i) => expect(v).toBeCloseTo(EXPECTED_FORWARD[i], 6));
    expect(r.executors).toEqual(expect.arrayContaining(
        ['FakeQuantWithMinMaxArgs', 'FakeQuantWithMinMaxVars', 'FakeQuantWithMinMaxVarsPerChannel']));
    expect(r.duplicates).toEqual([]);
  }

  it('tfjs-fake-quant/converter works with require() and reuses the main entry', async () => {
    write('cjs_converter_check.js', CONVERTER_CHECK.replace('LOAD', `
      const tf = require('@tensorflow/tfjs-core');
      require('@tensorflow/tfjs-backend-cpu');
      require('${PKG_NAME}');
      const conv = require('${PKG_NAME}/converter');
      const converter = require('@tensorflow/tfjs-converter');
      const resolved = require.resolve('${PKG_NAME}/converter');`).replace(/^/, '(async () => {') +
      '})().catch((e) => { console.error(e); process.exit(1); });');
    expectConverter(await runNode('cjs_converter_check.js'), 'dist/cjs/converter.js');
  });

  it('tfjs-fake-quant/converter works with import and reuses the main entry', async () => {
    // Static imports are hoisted above the console.warn capture: import dynamically instead.
    write('esm_converter_check.mjs', CONVERTER_CHECK.replace('LOAD', `
      const tf = await import('@tensorflow/tfjs-core');
      await import('@tensorflow/tfjs-backend-cpu');
      await import('${PKG_NAME}');
      const conv = await import('${PKG_NAME}/converter');
      const converter = await import('@tensorflow/tfjs-converter');
      const resolved = new URL(import.meta.resolve('${PKG_NAME}/converter')).pathname;`));
    expectConverter(await runNode('esm_converter_check.mjs'), 'dist/esm/converter.mjs');
  });

  it('browser bundle adds the ops to the global tf, and explains a missing tf', async () => {
    write('browser_check.js', `
      const fs = require('fs');
      const vm = require('vm');
      const file = require.resolve('${PKG_NAME}/dist/tfjs-fake-quant.min.js');
      const code = fs.readFileSync(file, 'utf8');
      let missingTfError = '';
      try { vm.runInThisContext(code); } catch (e) { missingTfError = String(e.message); }
      globalThis.tf = require('@tensorflow/tfjs-core');
      require('@tensorflow/tfjs-backend-cpu');
      vm.runInThisContext(code);
      const tf = globalThis.tf;
      const fq = {fakeQuantWithMinMaxVars: tf.fakeQuantWithMinMaxVars,
                  fakeQuantWithMinMaxVarsGradient: tf.fakeQuantWithMinMaxVarsGradient};
      const resolved = file;
      const sameEngine = typeof globalThis.tfjsFakeQuant.fakeQuantWithMinMaxVars === 'function';
      (async () => {
        ${RUNTIME_CHECK.replace('console.log(JSON.stringify({', 'console.log(JSON.stringify({missingTfError,')}
      })().catch((e) => { console.error(e); process.exit(1); });`);
    const r = await runNode('browser_check.js');
    expectRuntime(r, 'dist/tfjs-fake-quant.min.js');
    expect(r.missingTfError).toMatch(/TensorFlow\.js was not found on the global `tf`/);
  });

  it('typings resolve and type-check (node10, node16 .mts/.cts)', async () => {
    const usage = `
      import * as tf from '@tensorflow/tfjs-core';
      import {fakeQuantWithMinMaxVars, fakeQuantWithMinMaxVarsGradient, FakeQuantWithMinMaxVars,
              FakeQuantWithMinMaxVarsGradientResult} from '${PKG_NAME}';
      import {graphExecutors, FakeQuantGraphNode} from '${PKG_NAME}/converter';
      const x: tf.Tensor2D = tf.zeros([2, 3]);
      const y: tf.Tensor2D = fakeQuantWithMinMaxVars(x, tf.scalar(-1), 1, 8, false);
      const g: FakeQuantWithMinMaxVarsGradientResult<tf.Tensor2D> = fakeQuantWithMinMaxVarsGradient(y, x, -1, 1);
      const dMin: tf.Scalar = g.backpropWrtMin;
      const name: 'FakeQuantWithMinMaxVars' = FakeQuantWithMinMaxVars;
      const executor: (node: FakeQuantGraphNode) => tf.Tensor = graphExecutors[FakeQuantWithMinMaxVars];
      // @ts-expect-error max is required
      fakeQuantWithMinMaxVars(x, -1);
      // @ts-expect-error numBits is a number
      fakeQuantWithMinMaxVars(x, -1, 1, '8');
      export {dMin, name, executor};
    `;
    // typeRoots: only the consumer's own @types (tfjs-core brings @types/long & co).
    const base = {strict: true, noEmit: true, target: 'ES2020', lib: ['ES2020', 'DOM'],
                  typeRoots: ['../node_modules/@types']};
    // All .d.ts files (ours and tfjs's) are checked once, in the node16 project.
    const projects: Array<[string, object, Record<string, string>]> = [
      ['node10', {module: 'commonjs', moduleResolution: 'node', skipLibCheck: true}, {'index.ts': usage}],
      ['node16', {module: 'node16', moduleResolution: 'node16', skipLibCheck: false},
       {'esm.mts': usage, 'cjs.cts': usage}],
    ];
    const results = await Promise.all(projects.map(async ([name, options, files]) => {
      for (const [file, text] of Object.entries(files)) write(`types_${name}/${file}`, text);
      write(`types_${name}/tsconfig.json`, JSON.stringify({
        compilerOptions: {...base, ...options, listFiles: true},
        files: Object.keys(files),
      }));
      try {
        const {stdout} = await execFileAsync(
            process.execPath, [TSC, '-p', `types_${name}`], {cwd: work, maxBuffer: 64 << 20});
        return {name, ok: true, trace: stdout};  // the list of files in the program
      } catch (e) {
        const err = e as {stdout?: string; message: string};
        const errors = String(err.stdout ?? err.message).split('\n').filter((l) => /error TS/.test(l));
        return {name, ok: false, trace: errors.join('\n')};
      }
    }));
    for (const r of results) {
      expect({name: r.name, ok: r.ok, errors: r.ok ? '' : r.trace}).toEqual({name: r.name, ok: true, errors: ''});
      // The typings come from the installed tarball's dist/types.
      expect(r.trace).toContain(`/node_modules/${PKG_NAME}/dist/types/index.d.ts`);
    }
  }, 120000);
});
