#!/usr/bin/env node
/**
 * Runs the webgpu test project (test/webgpu, files *.webgpu.ts) with jest in Node, WebGPU coming
 * from Dawn (the npm `webgpu` package). Dawn needs a Vulkan driver, chosen before the process
 * starts (the dynamic loader reads LD_LIBRARY_PATH only then), so this script sets the environment
 * and spawns jest:
 *   - VK_DRIVER_FILES (or VK_ICD_FILENAMES) already set: that driver (e.g. a real GPU's);
 *   - else SwiftShader's Vulkan driver from Debian's chromium (installed by .ci/run):
 *     VK_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json, LD_LIBRARY_PATH=/usr/lib/chromium
 *     (chromium also ships the Vulkan loader, libvulkan.so.1, that Dawn loads);
 *   - neither: the tests are skipped with a warning (exit 0), or fail with
 *     TFJS_FAKE_QUANT_REQUIRE_WEBGPU=1; a --run entry runs without WebGPU.
 *
 * Usage:
 *   node scripts/test-webgpu.js [jest args...]       the webgpu tests
 *   node scripts/test-webgpu.js --run FILE.ts [args]  a TypeScript entry (scripts/run-ts.js) with
 *                                                    the same driver: `npm run bench` (bench/bench_node.ts)
 *   node scripts/test-webgpu.js --bundle-bench [DIR]  DIR/bench.cjs (bench/bench_node.ts with tfjs
 *       and this package bundled) and DIR/node_modules/webgpu (DIR defaults to .gpu/app,
 *       git-ignored): the app folder ../shared/tools/gpu-webgpu-node/prepare.sh packs for a GPU
 *       machine without Node; there: `bash .gpu/webgpu/run.sh --backends webgpu --sizes 1e6,16e6`
 */
'use strict';

const fs = require('fs');
const path = require('path');
const {spawnSync} = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const CHROMIUM_DIR = '/usr/lib/chromium';
const SWIFTSHADER_ICD = path.join(CHROMIUM_DIR, 'vk_swiftshader_icd.json');

const argv = process.argv.slice(2);

if (argv[0] === '--bundle-bench') {
  const dir = path.resolve(argv[1] || '.gpu/app');
  fs.mkdirSync(path.join(dir, 'node_modules'), {recursive: true});
  require('esbuild').buildSync({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, 'bench/bench_node.ts')],
    outfile: path.join(dir, 'bench.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The module builds, so that tfjs-core is bundled once (toolchain notes); Dawn stays outside,
    // and so do the browser bench's driver (puppeteer-core, esbuild), the wasm backend (its
    // binary sits next to its JS) and the model rows' runtimes (LiteRT, ONNX Runtime: wasm and
    // native files beside their JS), never loaded there.
    mainFields: ['module', 'main'],
    external: ['webgpu', 'puppeteer-core', 'esbuild', '@tensorflow/tfjs-backend-wasm', '@litertjs/core',
               'onnxruntime-node'],
    logLevel: 'warning',
  });
  for (const pkg of ['webgpu', 'debug', 'ms']) {
    const from = path.dirname(require.resolve(`${pkg}/package.json`, {paths: [ROOT]}));
    fs.cpSync(from, path.join(dir, 'node_modules', pkg), {recursive: true, dereference: true});
  }
  console.log(`wrote ${path.relative(ROOT, dir)}/bench.cjs and node_modules/{webgpu,debug,ms}`);
  process.exit(0);
}

const env = {...process.env};
const runEntry = argv[0] === '--run';
if (!env.VK_DRIVER_FILES && !env.VK_ICD_FILENAMES) {
  if (!fs.existsSync(SWIFTSHADER_ICD) && runEntry) {
    console.warn(`no Vulkan driver (${SWIFTSHADER_ICD} is missing): running without WebGPU`);
  } else if (!fs.existsSync(SWIFTSHADER_ICD)) {
    const message = `webgpu tests: no Vulkan driver (${SWIFTSHADER_ICD} is missing: ` +
        'apt-get install chromium, or set VK_DRIVER_FILES)';
    if (env.TFJS_FAKE_QUANT_REQUIRE_WEBGPU === '1') {
      console.error(`${message}; TFJS_FAKE_QUANT_REQUIRE_WEBGPU=1, failing`);
      process.exit(1);
    }
    console.warn(`${message}; skipping them`);
    process.exit(0);
  } else {
    env.VK_DRIVER_FILES = SWIFTSHADER_ICD;
    env.LD_LIBRARY_PATH = [CHROMIUM_DIR, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  }
}

// .ci/run finds the webgpu suite's jest summary after this line.
if (!runEntry) console.log(`webgpu suite: Vulkan driver ${env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES}`);
const command = runEntry ?
    [path.join(ROOT, 'scripts/run-ts.js'), ...argv.slice(1)] :
    [require.resolve('jest/bin/jest'), '--config', path.join(ROOT, 'test/webgpu/jest.config.js'),
     '--runInBand', ...argv];
const r = spawnSync(process.execPath, command, {cwd: ROOT, env, stdio: 'inherit'});
if (r.error) throw r.error;
process.exit(r.status == null ? 1 : r.status);
