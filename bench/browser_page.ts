/**
 * The browser benchmark page (bundled by bench/bench_browser.ts into out/bench-page/bench.js, next
 * to bench/page/index.html). It runs on load and reports the gpu-chromium way:
 * `console.log('RESULT ' + json)` for every message below, then `console.log('DONE')`.
 *
 *   RESULT {"type":"meta", ...BenchMeta}
 *   RESULT {"type":"check", ...Check}      (per size, untimed output comparisons)
 *   RESULT {"type":"case", ...CaseResult}  (per size and case)
 *   RESULT {"type":"end", "totalSeconds": s, "goals": [...]}
 *   RESULT {"type":"error", "message": ...} (then DONE)
 *
 * Query string: ?quick, ?sizes=1e4,1e6, ?filter=REGEX, ?backend=cpu|webgl|webgpu (default webgl),
 * ?packed=0 (skip the variants on packed x and dy), ?readDx (also read one element of dx per
 * gradient call).
 */
import * as tf from '@tensorflow/tfjs';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
// Registers the webgpu backend where the browser has navigator.gpu (a secure context).
import '@tensorflow/tfjs-backend-webgpu';

import {defaultOptions, recordedOptions, runBench} from './harness';
import {type BenchMeta, type BenchResult, evaluateGoals, type PageMessage, parseSize, renderMarkdown} from './report';

interface BenchState {
  done: boolean;
  messages: PageMessage[];
  markdown?: string;
}

const state: BenchState = {done: false, messages: []};
(globalThis as unknown as {benchState: BenchState}).benchState = state;

function emit(m: PageMessage): void {
  state.messages.push(m);
  console.log('RESULT ' + JSON.stringify(m));
}

function setText(id: string, text: string): void {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}

function rendererInfo(): {renderer: string, vendor: string} {
  try {
    const gl = (tf.backend() as unknown as MathBackendWebGL).gpgpu.gl;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return {
      renderer: String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER)),
      vendor: String(gl.getParameter(ext ? ext.UNMASKED_VENDOR_WEBGL : gl.VENDOR)),
    };
  } catch (e) {
    return {renderer: `unknown (${String(e)})`, vendor: 'unknown'};
  }
}

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const quick = q.has('quick') && q.get('quick') !== '0' && q.get('quick') !== 'false';
  const backend = (q.get('backend') ?? 'webgl') as 'cpu'|'webgl'|'webgpu';
  if (!['cpu', 'webgl', 'webgpu'].includes(backend)) throw new Error(`unknown backend ${backend}`);
  const sizes = q.get('sizes');
  const filter = q.get('filter');
  const packedVariants = q.get('packed') !== '0';
  const readDxElement = q.has('readDx');

  // Run every op on the GPU (no small-tensor CPU forwarding) and accept software WebGL.
  tf.env().set('WEBGL_CPU_FORWARD', false);
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  tf.env().set('SOFTWARE_WEBGL_ENABLED', true);
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();

  const opts = {
    ...defaultOptions(backend, quick, 'browser'),
    ...(sizes ? {sizes: sizes.split(',').map(parseSize)} : {}),
    filter: filter ? new RegExp(filter) : undefined,
    packedVariants,
    readDxElement,
  };
  const details: Record<string, string|number|boolean> = {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
  };
  let machine = `${navigator.hardwareConcurrency} logical CPUs (browser)`;
  if (backend === 'webgl') {
    const {renderer, vendor} = rendererInfo();
    Object.assign(details, {renderer, vendor});
    for (const flag of ['WEBGL_VERSION', 'WEBGL_RENDER_FLOAT32_ENABLED', 'WEBGL_PACK',
                        'WEBGL_CPU_FORWARD', 'SOFTWARE_WEBGL_ENABLED', 'WEBGL_MAX_TEXTURE_SIZE',
                        'WEBGL_DISJOINT_QUERY_TIMER_EXTENSION_VERSION']) {
      details[flag] = tf.env().get(flag) as number|boolean;
    }
    machine = `${renderer}; ${navigator.hardwareConcurrency} logical CPUs` +
        (/swiftshader/i.test(renderer) ? ' (SwiftShader: WebGL rendered on the CPU)' : '');
  } else if (backend === 'webgpu') {
    const info = (tf.backend() as unknown as {adapterInfo?: Record<string, string>}).adapterInfo ?? {};
    const adapter = `${info.vendor ?? 'unknown'} ${info.architecture ?? ''}`.trim();
    details.adapter = adapter;
    machine = `WebGPU adapter ${adapter}; ${navigator.hardwareConcurrency} logical CPUs` +
        (/swiftshader/i.test(adapter) ? ' (SwiftShader: WebGPU run on the CPU)' : '');
  }
  const meta: BenchMeta = {
    backend, machine, details, date: new Date().toISOString(), quick, sizes: opts.sizes,
    options: {
      ...recordedOptions(opts),
      ...(backend === 'webgl' ?
              {packedVariants, minMax: 'packed variables', readDxElement} :
              {}),
      ...(filter ? {filter} : {}),
    },
  };
  emit({type: 'meta', ...meta});
  setText('status', `running on ${machine}…`);

  const t0 = performance.now();
  const {results, checks} = await runBench({
    ...opts,
    log: m => {
      console.log(`progress: ${m}`);
      setText('status', m);
    },
    onResult: r => emit({type: 'case', ...r}),
    onCheck: c => emit({type: 'check', ...c}),
  });
  const totalSeconds = (performance.now() - t0) / 1000;
  const res: BenchResult = {meta: {...meta, totalSeconds}, results, checks};
  res.goals = evaluateGoals(res);
  emit({type: 'end', totalSeconds});
  state.markdown = renderMarkdown(res);
  setText('status', `finished in ${totalSeconds.toFixed(0)} s`);
  setText('report', state.markdown);
}

main()
    .catch(err => {
      const message = err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
      emit({type: 'error', message});
      setText('status', `error: ${message}`);
    })
    .finally(() => {
      state.done = true;
      console.log('DONE');
    });
