/**
 * The <script>-tag bundle (dist/tfjs-fake-quant.min.js), as a web page uses it: each case loads
 * TensorFlow.js's UMD builds and then the bundle into a fresh iframe (so the tfjs bundled into
 * this spec file by karma-esbuild cannot interfere), and calls the ops through the global `tf`.
 * Results are compared with the independent float32 reference in test/shared/reference.ts.
 *
 * The webgl cases run the plugin's webgl kernels on SwiftShader (software WebGL2), the webgpu case
 * its WGSL kernels on Chromium's WebGPU (SwiftShader's Vulkan).
 */
import type * as tfjs from '@tensorflow/tfjs';

import type * as fakeQuant from '../../src';
import {refFakeQuantArgs, refFakeQuantArgsGradient, refFakeQuantPerChannel, refFakeQuantPerChannelGradient, refFakeQuantVars, refFakeQuantVarsGradient} from '../shared/reference';
import {uniformFloat32} from '../shared/random';

/** The page's global `tf` after the bundle has added the ops (every `fakeQuant*` export) to it. */
type FakeQuantOps = {
  [K in keyof typeof fakeQuant as K extends `fakeQuant${string}` ? K : never]: (typeof fakeQuant)[K]
};
type Tf = typeof tfjs & FakeQuantOps;
interface FrameWindow extends Window {
  tf?: Tf;
  tfjsFakeQuant?: typeof fakeQuant;
}

const TFJS = '/base/node_modules/@tensorflow/tfjs/dist/tf.min.js';
const TFJS_CORE = '/base/node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js';
const TFJS_CPU = '/base/node_modules/@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js';
const TFJS_WEBGL = '/base/node_modules/@tensorflow/tfjs-backend-webgl/dist/tf-backend-webgl.min.js';
const TFJS_WEBGPU = '/base/node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js';
const BUNDLE = '/base/dist/tfjs-fake-quant.min.js';
const BUNDLE_DEV = '/base/dist/tfjs-fake-quant.js';

const frames: HTMLIFrameElement[] = [];

/**
 * Loads `scripts` one after another into a new same-origin iframe. Returns its window and the
 * uncaught errors its scripts threw.
 */
async function loadInFrame(scripts: string[]): Promise<{win: FrameWindow; errors: string[]}> {
  const frame = document.createElement('iframe');
  frame.style.width = frame.style.height = '0';
  frame.style.border = 'none';
  document.body.appendChild(frame);
  frames.push(frame);
  const win = frame.contentWindow as FrameWindow;
  const doc = frame.contentDocument as Document;
  const errors: string[] = [];
  win.addEventListener('error', (e) => errors.push(e.message));
  for (const src of scripts) {
    await new Promise<void>((resolve, reject) => {
      const script = doc.createElement('script');
      script.src = new URL(src, location.href).href;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`could not load ${src}`));
      doc.head.appendChild(script);
    });
  }
  return {win, errors};
}

async function loadTf(scripts: string[]): Promise<Tf> {
  const {win, errors} = await loadInFrame(scripts);
  expect(errors).toEqual([]);
  const tf = win.tf;
  if (tf == null) throw new Error('no global tf in the frame');
  return tf;
}

/** Deterministic float32 values in [lo, hi), as a plain array for the frame's tfjs. */
function uniform(n: number, lo: number, hi: number, seed: number): number[] {
  return Array.from(uniformFloat32(n, lo, hi, seed));
}

/** Element-wise equality (=== : +0 equals -0); lists the first mismatches. */
function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length).withContext(`${what}: length`).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(a === e || (a !== a && e !== e))) bad.push(`[${i}] got ${a}, want ${e}`);
  }
  expect(bad.slice(0, 8)).withContext(`${what}: ${bad.length} mismatches`).toEqual([]);
}

/** Sums may be reduced in another order (webgl): relative tolerance on sum(|g|). */
function expectSumClose(actual: number, expected: number, scale: number, what: string): void {
  const tol = 1e-5 * Math.max(1, scale);
  expect(Math.abs(actual - expected)).withContext(`${what}: got ${actual}, want ${expected}`)
      .toBeLessThanOrEqual(tol);
}

const N = 1500;  // above WEBGL_CPU_FORWARD's handoff size, so webgl runs its shaders
const CASES: Array<{min: number; max: number; numBits: number; narrowRange: boolean}> = [
  {min: -1, max: 1, numBits: 8, narrowRange: false},
  {min: -0.3, max: 2.7, numBits: 4, narrowRange: true},
  {min: 0.5, max: 3, numBits: 8, narrowRange: false},  // min > 0: nudged to include 0
  {min: -6, max: -2.5, numBits: 16, narrowRange: false},
];

/** Runs both ops for every case through the global `tf` and checks them against the reference. */
async function checkOps(tf: Tf): Promise<void> {
  const x = uniform(N, -4, 4, 11);
  const dy = uniform(N, -1, 1, 12);
  const sumAbsDy = dy.reduce((s, v) => s + Math.abs(v), 0);
  for (const {min, max, numBits, narrowRange} of CASES) {
    const what = `[${min}, ${max}] numBits ${numBits} narrowRange ${narrowRange} on ${tf.getBackend()}`;
    const before = tf.memory().numTensors;
    const xt = tf.tensor2d(x, [30, N / 30]);
    const dyt = tf.tensor2d(dy, [30, N / 30]);

    const y = tf.fakeQuantWithMinMaxVars(xt, min, max, numBits, narrowRange);
    expect(y.shape).toEqual([30, N / 30]);
    expectSame(await y.data(), refFakeQuantVars(x, min, max, numBits, narrowRange), `forward ${what}`);

    const ref = refFakeQuantVarsGradient(dy, x, min, max, numBits, narrowRange);
    const g = tf.fakeQuantWithMinMaxVarsGradient(dyt, xt, min, max, numBits, narrowRange);
    expect(g.backpropsWrtInput.shape).toEqual([30, N / 30]);
    expect(g.backpropWrtMin.shape).toEqual([]);
    expectSame(await g.backpropsWrtInput.data(), ref.backpropsWrtInput, `dx ${what}`);
    expectSumClose((await g.backpropWrtMin.data())[0], ref.backpropWrtMin, sumAbsDy, `dmin ${what}`);
    expectSumClose((await g.backpropWrtMax.data())[0], ref.backpropWrtMax, sumAbsDy, `dmax ${what}`);

    // The registered gradient, through tf.grads with tensor min / max.
    const lo = tf.scalar(min);
    const hi = tf.scalar(max);
    const [gx, gmin, gmax] = tf.grads(
        (a: tfjs.Tensor, l: tfjs.Tensor, h: tfjs.Tensor) =>
            tf.fakeQuantWithMinMaxVars(a, l as tfjs.Scalar, h as tfjs.Scalar, numBits, narrowRange))(
        [xt, lo, hi], dyt);
    expectSame(await gx.data(), ref.backpropsWrtInput, `tf.grads dx ${what}`);
    expectSumClose((await gmin.data())[0], ref.backpropWrtMin, sumAbsDy, `tf.grads dmin ${what}`);
    expectSumClose((await gmax.data())[0], ref.backpropWrtMax, sumAbsDy, `tf.grads dmax ${what}`);

    tf.dispose([xt, dyt, lo, hi, y, g.backpropsWrtInput, g.backpropWrtMin, g.backpropWrtMax, gx, gmin, gmax]);
    expect(tf.memory().numTensors).withContext(`leaked tensors ${what}`).toBe(before);
  }
  await checkArgsAndPerChannel(tf, x, dy);
}

/** The other two op families, one configuration each (the node suite covers them in depth). */
async function checkArgsAndPerChannel(tf: Tf, x: number[], dy: number[]): Promise<void> {
  const backend = tf.getBackend();
  const before = tf.memory().numTensors;
  const shape: [number, number] = [30, N / 30];
  const xt = tf.tensor2d(x, shape);
  const dyt = tf.tensor2d(dy, shape);

  const args = {min: -2.5, max: 3.25, numBits: 6, narrowRange: true};
  const ya = tf.fakeQuantWithMinMaxArgs(xt, args.min, args.max, args.numBits, args.narrowRange);
  expectSame(await ya.data(), refFakeQuantArgs(x, args.min, args.max, args.numBits, args.narrowRange),
             `Args forward on ${backend}`);
  const ga = tf.fakeQuantWithMinMaxArgsGradient(dyt, xt, args.min, args.max, args.numBits, args.narrowRange);
  expectSame(await ga.data(), refFakeQuantArgsGradient(dy, x, args.min, args.max, args.numBits, args.narrowRange),
             `Args gradient on ${backend}`);

  const d = shape[1];
  const min = uniform(d, -3, 0.5, 21);
  const max = min.map((m, i) => Math.fround(m + 0.25 + 3 * ((i * 7) % 11) / 11));
  const yp = tf.fakeQuantWithMinMaxVarsPerChannel(xt, min, max, 8, false);
  expectSame(await yp.data(), refFakeQuantPerChannel(x, min, max, 8, false), `PerChannel forward on ${backend}`);
  const gp = tf.fakeQuantWithMinMaxVarsPerChannelGradient(dyt, xt, min, max, 8, false);
  const ref = refFakeQuantPerChannelGradient(dy, x, min, max, 8, false);
  expectSame(await gp.backpropsWrtInput.data(), ref.backpropsWrtInput, `PerChannel dx on ${backend}`);
  const gmin = await gp.backpropWrtMin.data();
  const gmax = await gp.backpropWrtMax.data();
  expect(gp.backpropWrtMin.shape).toEqual([d]);
  for (let c = 0; c < d; c++) {
    expectSumClose(gmin[c], ref.backpropWrtMin[c], shape[0], `PerChannel dmin[${c}] on ${backend}`);
    expectSumClose(gmax[c], ref.backpropWrtMax[c], shape[0], `PerChannel dmax[${c}] on ${backend}`);
  }
  tf.dispose([xt, dyt, ya, ga, yp, gp.backpropsWrtInput, gp.backpropWrtMin, gp.backpropWrtMax]);
  expect(tf.memory().numTensors).withContext(`leaked tensors (Args/PerChannel on ${backend})`).toBe(before);
}

/** Switches the frame's tfjs to webgl on SwiftShader, with the bundle's webgl kernels. */
async function useWebgl(tf: Tf): Promise<void> {
  tf.env().set('IS_TEST', true);
  tf.env().set('SOFTWARE_WEBGL_ENABLED', true);  // SwiftShader is a software context
  tf.env().set('WEBGL_CPU_FORWARD', false);       // always run the shaders
  expect(await tf.setBackend('webgl')).withContext('setBackend("webgl")').toBe(true);
  expect(tf.env().getNumber('WEBGL_VERSION')).toBe(2);
  const registered = tf.getKernel('FakeQuantWithMinMaxVars', 'webgl') != null &&
      tf.getKernel('FakeQuantWithMinMaxVarsGradient', 'webgl') != null;
  expect(registered).withContext('webgl kernels registered by the bundle').toBe(true);
}

/** Switches the frame's tfjs to webgpu (Chromium's, on SwiftShader), with the bundle's kernels. */
async function useWebgpu(tf: Tf): Promise<void> {
  tf.env().set('IS_TEST', true);
  tf.env().set('WEBGPU_CPU_FORWARD', false);  // always run the WGSL programs
  expect(await tf.setBackend('webgpu')).withContext('setBackend("webgpu")').toBe(true);
  const registered = ['FakeQuantWithMinMaxVars', 'FakeQuantWithMinMaxVarsGradient'].every(
      (name) => tf.getKernel(name, 'webgpu') != null);
  expect(registered).withContext('webgpu kernels registered by the bundle').toBe(true);
}

describe('browser bundle (dist/tfjs-fake-quant.min.js)', () => {
  afterEach(() => {
    while (frames.length > 0) frames.pop()!.remove();
  });

  it('fails with a clear message when tf is not loaded', async () => {
    const {win, errors} = await loadInFrame([BUNDLE]);
    expect(win.tf).toBeUndefined();
    expect(errors.length).toBe(1);
    expect(errors[0]).toMatch(/TensorFlow\.js was not found on the global `tf`.*tf\.min\.js/);
  });

  it('after tf.min.js: adds the ops to tf and exposes tfjsFakeQuant', async () => {
    const {win, errors} = await loadInFrame([TFJS, BUNDLE]);
    expect(errors).toEqual([]);
    const tf = win.tf!;
    const ns = win.tfjsFakeQuant!;
    expect(typeof tf.fakeQuantWithMinMaxVars).toBe('function');
    expect(typeof tf.fakeQuantWithMinMaxVarsGradient).toBe('function');
    expect(tf.fakeQuantWithMinMaxVars).toBe(ns.fakeQuantWithMinMaxVars);
    expect(ns.FakeQuantWithMinMaxVars).toBe('FakeQuantWithMinMaxVars');
    // Every fakeQuant* function export went onto tf.
    const ops = Object.keys(ns).filter((k) => k.startsWith('fakeQuant') && typeof (ns as Record<string, unknown>)[k] === 'function');
    expect(ops).toEqual(jasmine.arrayContaining([
      'fakeQuantWithMinMaxVars', 'fakeQuantWithMinMaxVarsGradient', 'fakeQuantWithMinMaxArgs',
      'fakeQuantWithMinMaxArgsGradient', 'fakeQuantWithMinMaxVarsPerChannel',
      'fakeQuantWithMinMaxVarsPerChannelGradient',
    ]));
    for (const k of ops) expect((tf as unknown as Record<string, unknown>)[k]).withContext(k).toBe((ns as Record<string, unknown>)[k]);
    // The kernels went into this page's tfjs registry (not a bundled copy).
    expect(tf.getKernel('FakeQuantWithMinMaxVars', 'cpu')).toBeDefined();
    expect(tf.getKernel('FakeQuantWithMinMaxVarsGradient', 'cpu')).toBeDefined();
  });

  it('after tf.min.js, cpu backend: matches the reference', async () => {
    const tf = await loadTf([TFJS, BUNDLE]);
    tf.env().set('IS_TEST', true);
    expect(await tf.setBackend('cpu')).toBe(true);
    await checkOps(tf);
  });

  it('after tf.min.js, webgl backend: matches the reference', async () => {
    const tf = await loadTf([TFJS, BUNDLE]);
    await useWebgl(tf);
    await checkOps(tf);
  });

  it('after tf-core + tf-backend-cpu (non-minified bundle): matches the reference on cpu', async () => {
    const tf = await loadTf([TFJS_CORE, TFJS_CPU, BUNDLE_DEV]);
    tf.env().set('IS_TEST', true);
    expect(await tf.setBackend('cpu')).toBe(true);
    await checkOps(tf);
  });

  it('after tf-core + tf-backend-cpu + tf-backend-webgl: matches the reference on webgl', async () => {
    const tf = await loadTf([TFJS_CORE, TFJS_CPU, TFJS_WEBGL, BUNDLE]);
    await useWebgl(tf);
    await checkOps(tf);
  });

  it('after tf.min.js + tf-backend-webgpu: matches the reference on webgpu', async () => {
    const tf = await loadTf([TFJS, TFJS_WEBGPU, BUNDLE]);
    await useWebgpu(tf);
    await checkOps(tf);
  });

  it('after tf-core + tf-backend-webgl only: loads and runs on webgl', async () => {
    const tf = await loadTf([TFJS_CORE, TFJS_WEBGL, BUNDLE]);
    expect(typeof tf.fakeQuantWithMinMaxVars).toBe('function');
    await useWebgl(tf);
    await checkOps(tf);
  });
});
