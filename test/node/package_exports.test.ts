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
 *   - the tarball holds dist/ and no tfjs copy, no source maps and no src/ (<= 900 kB unpacked),
 *     and of the declarations only those its entries reach,
 *   - @arethetypeswrong/cli and publint find no problem in it,
 *   - ES module types say ES module (no default import type-checks under node16, nodenext or
 *     bundler resolution), and the script bundles' globals are typed,
 *   - loading both builds registers each kernel once,
 *   - a mismatched or second tfjs-core fails the import with one message that says what to do,
 *   - a webgl-only app bundled from `tfjs-fake-quant/webgl` leaves the other backends out, and a
 *     page bundled from the package (esbuild, for the browser) runs.
 * The install uses the npm cache (`--prefer-offline`), which `npm ci` has just filled.
 */
import {execFile, execFileSync} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
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
    `@tensorflow/tfjs-converter@${TFJS_VERSION}`, `@tensorflow/tfjs@${TFJS_VERSION}`,
  ], work);
}, 120000);

afterAll(() => {
  if (work) fs.rmSync(work, {recursive: true, force: true});
});

describe('packed package', () => {
  it('contains the builds and no tfjs copy', () => {
    const files = JSON.parse(npm(['pack', '--ignore-scripts', '--dry-run', '--json'], ROOT))[0]
        .files.map((f: {path: string}) => f.path) as string[];
    const entries = ['index', 'core', 'cpu', 'webgl', 'webgpu', 'wasm', 'converter', 'layers', 'export'];
    for (const f of [...entries.flatMap((e) => [`dist/cjs/${e}.js`, `dist/esm/${e}.mjs`]),
                     ...['index', 'cpu', 'webgl', 'webgpu', 'wasm', 'converter/index', 'layers/index',
                         'export/index'].flatMap((e) => [`dist/types/${e}.d.ts`, `dist/types/${e}.d.mts`]),
                     ...['converter', 'layers', 'export', 'cpu', 'webgl', 'webgpu', 'wasm'].map((e) => `${e}/package.json`),
                     'dist/tfjs-fake-quant.min.js', 'dist/tfjs-fake-quant.min.d.ts',
                     'dist/tfjs-fake-quant-layers.min.js', 'dist/tfjs-fake-quant-layers.min.d.ts',
                     'LICENSE', 'README.md', 'package.json']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /node_modules|^test\/|^src\/|@tensorflow|\.map$/.test(f))).toEqual([]);
    const installed = path.join(work, 'node_modules', PKG_NAME);
    expect(fs.existsSync(path.join(installed, 'node_modules'))).toBe(false);
    const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@tensorflow/'))).toEqual([]);
    expect(Object.keys(pkg.peerDependencies)).toContain('@tensorflow/tfjs-core');
  });

  it('ships exactly the declaration files that its entries reach', () => {
    // TypeScript's own program from every "types" of the installed package.json: the files it
    // loads under the package are what a consumer's compiler can reach, and nothing else ships.
    const installed = path.join(work, 'node_modules', PKG_NAME);
    const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    const exportsTypes = [...JSON.stringify(pkg.exports).matchAll(/"types":"([^"]+)"/g)].map((m) => m[1]);
    const entries = [...new Set([pkg.types, ...exportsTypes])].map((f) => path.join(installed, f));
    const program = ts.createProgram(entries, {noEmit: true, types: []});
    const inPackage = (f: string) => !path.relative(installed, f).startsWith('..');
    const reached = program.getSourceFiles().map((f) => path.resolve(f.fileName)).filter(inPackage);
    const shipped = (fs.readdirSync(installed, {recursive: true}) as string[])
        .filter((f) => /\.d\.m?ts$/.test(f)).map((f) => path.join(installed, f));
    expect(reached.length).toBeGreaterThan(exportsTypes.length);
    expect(reached.sort()).toEqual(shipped.sort());
  });

  it('is at most 900 kB unpacked, with the full Apache-2.0 license and the metadata', () => {
    const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--dry-run', '--json'], ROOT));
    expect(packed.unpackedSize).toBeLessThanOrEqual(900 * 1024);
    const license = fs.readFileSync(path.join(work, 'node_modules', PKG_NAME, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    expect(license.length).toBeGreaterThan(11000);
    const pkg = JSON.parse(fs.readFileSync(path.join(work, 'node_modules', PKG_NAME, 'package.json'), 'utf8'));
    expect(pkg.license).toBe('Apache-2.0');
    for (const key of ['repository', 'homepage', 'bugs', 'engines']) expect(pkg[key]).toBeDefined();
    expect(pkg.description).toMatch(/cpu, webgl, webgpu and wasm/);
  });

  it('@arethetypeswrong/cli and publint find no problem in the tarball', async () => {
    const bin = (name: string, command: string) => {
      const dir = path.join(ROOT, 'node_modules', name);
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      return path.join(dir, typeof pkg.bin === 'string' ? pkg.bin : pkg.bin[command]);
    };
    const runTool = async (args: string[]) => {
      try {
        const {stdout} = await execFileAsync(process.execPath, args, {cwd: work, maxBuffer: 16 << 20});
        return {ok: true, output: stdout};
      } catch (e) {
        const err = e as {stdout?: string; stderr?: string; message: string};
        return {ok: false, output: `${err.stdout ?? ''}${err.stderr ?? err.message}`};
      }
    };
    const [attw, publint] = await Promise.all([
      runTool([bin('@arethetypeswrong/cli', 'attw'), tarball, '--no-color']),
      // --strict: warnings fail too; the installed copy is exactly the tarball's files.
      runTool([bin('publint', 'publint'), 'run', path.join(work, 'node_modules', PKG_NAME), '--strict', '--pack', 'false']),
    ]);
    expect(attw).toEqual({ok: true, output: expect.stringContaining('No problems found')});
    expect(publint).toEqual({ok: true, output: expect.not.stringMatching(/Warnings:|Errors:/)});
  }, 120000);

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

  it('typings resolve and type-check (node10, node16 .mts/.cts, nodenext, bundler, page globals)', async () => {
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
    // What a consumer of the ES module build would write and Node or a bundler rejects.
    const esmOnly = `
      // @ts-expect-error the ES module build has no default export
      import fq from '${PKG_NAME}';
      // @ts-expect-error nor has the per-backend entry
      import fqWebgl from '${PKG_NAME}/webgl';
      import {fakeQuantWithMinMaxVars as webglOp} from '${PKG_NAME}/webgl';
      const sameOp: typeof fakeQuantWithMinMaxVars = webglOp;
      export {fq, fqWebgl, sameOp};
    `;
    // The Layers API and exporters (their tfjs-layers types are checked with skipLibCheck only:
    // tfjs-layers' own .d.ts files do not pass strict checks).
    const layersEntries = `
      // @ts-expect-error no default export
      import fqLayers from '${PKG_NAME}/layers';
      import {quantizeModel} from '${PKG_NAME}/layers';
      import {exportTFLite} from '${PKG_NAME}/export';
      export {fqLayers, quantizeModel, exportTFLite};
    `;
    // A page's script (no imports) using the <script> bundles' globals on top of tf.min.js.
    const page = `
      /// <reference types="${PKG_NAME}/dist/tfjs-fake-quant-layers.min.js" />
      const pageX: tf.Tensor1D = tf.tensor1d([-1.2, 0, 0.3, 1.7]);
      const pageY: tf.Tensor1D = tf.fakeQuantWithMinMaxVars(pageX, -1, 1);
      const pageZ: tf.Tensor1D = tfjsFakeQuant.fakeQuantWithMinMaxArgs(pageY);
      const pageChained: tf.Tensor1D = pageX.fakeQuantWithMinMaxVars(-1, 1);
      const pageModel: tf.LayersModel = tfjsFakeQuant.quantizeModel(tf.sequential({layers: [
        tf.layers.dense({inputShape: [4], units: 2})]}));
      const pageFile: Promise<Uint8Array> = tfjsFakeQuant.exportTFLite(pageModel);
      // @ts-expect-error numBits is a number
      tf.fakeQuantWithMinMaxVars(pageX, -1, 1, '8');
    `;
    // A page with the first bundle only (ops on tf-core.min.js or tf.min.js).
    const pageOps = `
      /// <reference types="${PKG_NAME}/dist/tfjs-fake-quant.min.js" />
      const opsX: tf.Tensor2D = tf.zeros([2, 3]);
      const opsY: tf.Tensor2D = tf.fakeQuantWithMinMaxVarsPerChannel(opsX, [-1, -1, -1], [1, 1, 1]);
      const opsG: tf.Scalar = tfjsFakeQuant.fakeQuantWithMinMaxVarsGradient(opsY, opsX, -1, 1).backpropWrtMin;
      // @ts-expect-error the Layers API comes with the second bundle
      tfjsFakeQuant.quantizeModel;
    `;
    // All .d.ts files (ours and tfjs's) are checked once, in the node16 project.
    const projects: Array<[string, object, Record<string, string>]> = [
      ['node10', {module: 'commonjs', moduleResolution: 'node', skipLibCheck: true}, {'index.ts': usage}],
      ['node16', {module: 'node16', moduleResolution: 'node16', skipLibCheck: false},
       {'esm.mts': usage + esmOnly, 'cjs.cts': usage}],
      ['nodenext', {module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: true},
       {'esm.mts': usage + esmOnly + layersEntries}],
      ['bundler', {module: 'esnext', moduleResolution: 'bundler', skipLibCheck: true},
       {'index.ts': usage + esmOnly + layersEntries}],
      ['page', {module: 'esnext', moduleResolution: 'bundler', skipLibCheck: true}, {'page.ts': page}],
      ['page_ops', {module: 'esnext', moduleResolution: 'bundler', skipLibCheck: false}, {'page.ts': pageOps}],
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
  }, 300000);

  it('registers each kernel and gradient once when both builds load (ESM app, CJS dependency)', async () => {
    write('both_builds.mjs', `
      import {createRequire} from 'module';
      const require = createRequire(import.meta.url);
      const warnings = [];
      console.warn = (...a) => { warnings.push(a.join(' ')); };
      const tf = await import('@tensorflow/tfjs-core');
      await import('@tensorflow/tfjs-backend-cpu');
      const esm = await import('${PKG_NAME}');
      const cjs = require('${PKG_NAME}');
      await import('${PKG_NAME}/webgl');
      require('${PKG_NAME}/cpu');
      const x = tf.tensor1d([-1.2, 0, 0.3, 1.7]);
      console.log(JSON.stringify({
        duplicates: warnings.filter((w) => /already registered|Overriding the gradient/.test(w)),
        twoBuilds: esm.fakeQuantWithMinMaxVars !== cjs.fakeQuantWithMinMaxVars,
        esm: Array.from(esm.fakeQuantWithMinMaxVars(x, -1, 1).dataSync()),
        cjs: Array.from(cjs.fakeQuantWithMinMaxVars(x, -1, 1).dataSync()),
        chained: Array.from(x.fakeQuantWithMinMaxVars(-1, 1).dataSync()),
        grad: Array.from(tf.grad((t) => cjs.fakeQuantWithMinMaxVars(t, -1, 1))(x).dataSync()),
      }));`);
    const r = await runNode('both_builds.mjs');
    expect(r.twoBuilds).toBe(true);
    expect(r.duplicates).toEqual([]);
    for (const key of ['esm', 'cjs', 'chained']) {
      (r[key] as number[]).forEach((v, i) => expect(v).toBeCloseTo(EXPECTED_FORWARD[i], 6));
    }
    expect(r.grad).toEqual([0, 1, 1, 0]);
  });

  /**
   * A project as npm lays it out when the app's TensorFlow.js is not the version this package
   * supports: `tfjsAt` is the app's tfjs-core (copied from the installed one, its version rewritten),
   * `nested` puts a supported copy under node_modules/tfjs-fake-quant/node_modules as npm does
   * when the app's copy does not satisfy the peer range.
   */
  function mismatchedProject(name: string, appVersion: string, nested: boolean): string {
    const dir = path.join(work, name);
    const core = path.join(work, 'node_modules/@tensorflow/tfjs-core');
    const copyCore = (to: string, version: string) => {
      fs.mkdirSync(path.join(to, 'dist'), {recursive: true});
      const pkg = JSON.parse(fs.readFileSync(path.join(core, 'package.json'), 'utf8'));
      fs.writeFileSync(path.join(to, 'package.json'), JSON.stringify({...pkg, version}));
      const code = fs.readFileSync(path.join(core, pkg.main), 'utf8');
      expect(code).toContain(`version = '${TFJS_VERSION}'`);
      fs.writeFileSync(path.join(to, pkg.main), code.replace(`version = '${TFJS_VERSION}'`, `version = '${version}'`));
    };
    copyCore(path.join(dir, 'node_modules/@tensorflow/tfjs-core'), appVersion);
    const ours = path.join(dir, 'node_modules', PKG_NAME);
    fs.cpSync(path.join(work, 'node_modules', PKG_NAME), ours, {recursive: true});
    if (nested) copyCore(path.join(ours, 'node_modules/@tensorflow/tfjs-core'), TFJS_VERSION);
    return dir;
  }

  async function importError(dir: string, file: string, text: string): Promise<string> {
    fs.writeFileSync(path.join(dir, file), text);
    try {
      await execFileAsync(process.execPath, [file], {cwd: dir});
      return 'no error';
    } catch (e) {
      return String((e as {stderr?: string}).stderr);
    }
  }

  it('a tfjs-core outside the supported range fails the import with what to do', async () => {
    const dir = mismatchedProject('old_tfjs', '4.21.0', false);
    const message = /tfjs-fake-quant supports @tensorflow\/tfjs-core ~4\.22\.0, but 4\.21\.0 is loaded\. Install one TensorFlow\.js version in that range .*npm ls @tensorflow\/tfjs-core/;
    expect(await importError(dir, 'app.js', `require('${PKG_NAME}');`)).toMatch(message);
    expect(await importError(dir, 'app.mjs', `import '${PKG_NAME}/layers';`)).toMatch(message);
  });

  it('a second tfjs-core (the app\'s at another version) fails the import with what to do', async () => {
    const dir = mismatchedProject('two_tfjs', '4.21.0', true);
    const message = /tfjs-fake-quant found two copies of @tensorflow\/tfjs-core: 4\.22\.0 \(the one it imports\) and another that loaded first.*npm ls @tensorflow\/tfjs-core/;
    const app = (load: string) => `${load}\nconsole.log('loaded');`;
    expect(await importError(dir, 'app.js', app(
        `require('@tensorflow/tfjs-core');\nrequire('${PKG_NAME}');`))).toMatch(message);
    expect(await importError(dir, 'app.mjs', app(
        `await import('@tensorflow/tfjs-core');\nawait import('${PKG_NAME}/webgl');`))).toMatch(message);
    // One error, not the warnings of a half-working second copy (the second tfjs-core still warns
    // "Platform node has already been set" as it loads, before this package runs).
    const stderr = await importError(dir, 'app2.js', `require('@tensorflow/tfjs-core');\nrequire('${PKG_NAME}');`);
    expect(stderr).not.toMatch(/already registered/);
    expect(stderr.match(/Error: /g)).toHaveLength(1);
  });

  /** esbuild bundles an app of the consumer project (tfjs external unless `bundleTfjs`). */
  async function bundle(file: string, text: string, bundleTfjs = false): Promise<string> {
    const esbuild = require(require.resolve('esbuild', {paths: [ROOT]}));
    write(file, text);
    const outfile = path.join(work, `${file}.bundle.js`);
    await esbuild.build({
      entryPoints: [path.join(work, file)], absWorkingDir: work, bundle: true, minify: true,
      format: bundleTfjs ? 'iife' : 'esm', platform: 'browser', outfile, logLevel: 'silent',
      external: bundleTfjs ? [] : ['@tensorflow/*'],
    });
    return fs.readFileSync(outfile, 'utf8');
  }

  /** Our kernels name their backend as an argument of kernelConfig: `f(spec,"wasm",body)` minified. */
  const registersFor = (backend: string) => new RegExp(`[,(]"${backend}"[,)]`);

  it('a webgl-only app bundled from tfjs-fake-quant/webgl leaves the other backends out', async () => {
    const app = (entry: string) => `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-webgl';
      import {fakeQuantWithMinMaxVars} from '${entry}';
      fakeQuantWithMinMaxVars(tf.tensor1d([0.3]), -1, 1).print();`;
    const [all, webgl] = await Promise.all([
      bundle('app_all.mjs', app(PKG_NAME)), bundle('app_webgl.mjs', app(`${PKG_NAME}/webgl`))]);
    const hasWebgpu = (code: string) => registersFor('webgpu').test(code);
    const hasWasm = (code: string) => registersFor('wasm').test(code);
    expect([hasWebgpu(all), hasWasm(all)]).toEqual([true, true]);
    expect([hasWebgpu(webgl), hasWasm(webgl)]).toEqual([false, false]);
    // Size check (minified, tfjs external): 62 kB from the main entry, 28 kB from /webgl.
    expect(all.length - webgl.length).toBeGreaterThan(25 * 1024);
    expect(webgl.length).toBeLessThan(all.length * 0.6);
  }, 60000);

  it('a page bundled from the package for the browser runs the ops and the gradient', async () => {
    const code = await bundle('page.mjs', `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      import {fakeQuantWithMinMaxVars} from '${PKG_NAME}/cpu';
      globalThis.pageResult = tf.setBackend('cpu').then(() => {
        const x = tf.tensor1d([-1.2, 0, 0.3, 1.7]);
        return {forward: Array.from(fakeQuantWithMinMaxVars(x, -1, 1).dataSync()),
                grad: Array.from(tf.grad((t) => fakeQuantWithMinMaxVars(t, -1, 1))(x).dataSync())};
      });`, true);
    write('page_check.js', `
      const vm = require('vm');
      // A worker-like global (self, WorkerGlobalScope): tfjs picks its browser platform.
      const context = vm.createContext({console, setTimeout, clearTimeout, queueMicrotask,
                                        TextEncoder, TextDecoder, performance, WorkerGlobalScope: class {}});
      context.self = context;
      vm.runInContext(require('fs').readFileSync(process.argv[2], 'utf8'), context);
      context.pageResult.then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`);
    const {stdout} = await execFileAsync(process.execPath, ['page_check.js', path.join(work, 'page.mjs.bundle.js')], {cwd: work});
    const r = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(code).toMatch(registersFor('cpu'));
    expect(code).not.toMatch(registersFor('(webgl|webgpu|wasm)'));
    (r.forward as number[]).forEach((v, i) => expect(v).toBeCloseTo(EXPECTED_FORWARD[i], 6));
    expect(r.grad).toEqual([0, 1, 1, 0]);
  }, 60000);
});
