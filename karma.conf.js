/**
 * Browser tests: `npm run test:browser` (after `npm run build`; `npm test` builds first).
 *
 * - Specs: test/browser/**\/*.spec.ts, bundled into one IIFE by karma-esbuild (no type check here:
 *   `npm run typecheck` covers the specs). tfjs resolves to its ESM builds (mainFields below).
 * - Browser: Debian chromium, headless, WebGL2 on SwiftShader (no GPU needed). tfjs refuses
 *   software WebGL unless the flag SOFTWARE_WEBGL_ENABLED (default: IS_TEST) is true, so webgl
 *   specs must set it. WebGPU is enabled too, on SwiftShader's Vulkan (pages served from
 *   localhost are a secure context, which WebGPU needs). CHROME_BIN overrides the binary.
 * - Served but not included (a spec loads them itself, e.g. into an iframe): the built browser
 *   bundle dist/tfjs-fake-quant(.min).js and the tfjs UMD builds, at /base/<path>.
 *
 * KARMA_SPECS=<glob> runs some spec files; KARMA_GREP=<pattern> only the specs whose full name
 * (describes and `it`) matches it, e.g. KARMA_GREP='/large and high-rank|integer gradients/' (a
 * /regex/ or a plain substring; karma-jasmine's --grep). scripts/shader-mutants.js uses both.
 *
 * karma-esbuild writes its entry file to os.tmpdir() and breaks for projects inside it (/tmp):
 * run from a checkout elsewhere or set TMPDIR (.ci/run does).
 */
const fs = require('fs');
const path = require('path');

process.env.CHROME_BIN = process.env.CHROME_BIN || '/usr/bin/chromium';

/** KARMA_SPECS=<glob> runs a subset, e.g. KARMA_SPECS=test/browser/bundle.spec.ts. */
const SPECS = process.env.KARMA_SPECS || 'test/browser/**/*.spec.ts';
/** KARMA_GREP=<pattern>: only the specs whose full name matches (see the header). */
const GREP = process.env.KARMA_GREP ? ['--grep', process.env.KARMA_GREP] : [];

const BUNDLE = 'dist/tfjs-fake-quant.min.js';
if (!fs.existsSync(path.join(__dirname, BUNDLE))) {
  throw new Error(`${BUNDLE} is missing: run \`npm run build\` first (\`npm test\` does).`);
}

/** Files a spec may fetch or load with <script src="/base/...">. */
const served = [
  'dist/tfjs-fake-quant.js',
  'dist/tfjs-fake-quant.min.js',
  'node_modules/@tensorflow/tfjs/dist/tf.min.js',
  'node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js',
  'node_modules/@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js',
  'node_modules/@tensorflow/tfjs-backend-webgl/dist/tf-backend-webgl.min.js',
  'node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js',
].map((pattern) => ({pattern, included: false, served: true, watched: false, nocache: true}));

/** Lists the specs that took longer than 10 s, so slow suites are visible in CI logs. */
function SlowSpecReporter(baseReporterDecorator) {
  baseReporterDecorator(this);
  const slow = [];
  this.onSpecComplete = (browser, result) => {
    if (result.time > 10000) slow.push(`${(result.time / 1000).toFixed(1)} s  ${result.fullName}`);
  };
  this.onRunComplete = () => {
    if (slow.length) this.write(`\nSlow specs:\n  ${slow.join('\n  ')}\n`);
  };
}
SlowSpecReporter.$inject = ['baseReporterDecorator'];

module.exports = function(config) {
  config.set({
    basePath: __dirname,
    frameworks: ['jasmine'],
    files: [
      {pattern: SPECS, watched: false},
      ...served,
    ],
    preprocessors: {[SPECS]: ['esbuild']},
    esbuild: {
      target: 'es2020',
      sourcemap: true,
      mainFields: ['browser', 'module', 'main'],
      define: {'process.env.NODE_ENV': '"test"'},
    },
    browsers: ['ChromeHeadlessSwiftShader'],
    customLaunchers: {
      ChromeHeadlessSwiftShader: {
        // ChromeHeadless adds --headless --disable-gpu --disable-dev-shm-usage --remote-debugging-port
        base: 'ChromeHeadless',
        flags: [
          '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
          '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader',
        ],
      },
    },
    client: {
      args: GREP,
      // 5 minutes a spec: the shared matrix's tie sweep compiles shaders for every bit width.
      jasmine: {random: false, timeoutInterval: 300000},
      captureConsole: true,
    },
    browserConsoleLogOptions: {level: 'warn', terminal: true},
    plugins: ['karma-*', {'reporter:slow-specs': ['type', SlowSpecReporter]}],
    reporters: ['progress', 'slow-specs'],
    singleRun: true,
    autoWatch: false,
    concurrency: 1,
    captureTimeout: 120000,
    browserNoActivityTimeout: 300000,
    // Shader compiles and readbacks on SwiftShader can block the page for a long time; keep the
    // socket alive through them instead of reporting a disconnect.
    pingTimeout: 300000,
    browserDisconnectTimeout: 300000,
  });
};
