/**
 * Mutation testing (`npm run test:mutation`, not part of `npm test`: slow on few cores): StrykerJS
 * mutates the code that runs on the CPU (the quantization math, the cpu and wasm kernels, the
 * Layers API) and runs the jest tests that exercise it against each mutant. The shader sources
 * (src/quant/nudge_glsl.ts, nudge_wgsl.ts and the GPU programs) are WGSL/GLSL inside strings,
 * which Stryker cannot mutate meaningfully: scripts/shader-mutants.js covers them.
 * `npm run test:mutation:quant`: only src/quant's CPU math, against the cpu tests that pin it
 * (TF's cases, the reference properties, Args / PerChannel): it fits in about half an hour on two
 * cores, where the whole run takes hours.
 */
import os from 'os';
import path from 'path';

const quantOnly = process.env.TFJS_FAKE_QUANT_MUTATE === 'quant';

const tests = quantOnly ? ['quant_impl', 'tf_cases', 'property', 'args_per_channel'] : [
  'quant_impl', 'tf_cases', 'property', 'args_per_channel', 'errors_and_leaks', 'gradient_routing',
  'wasm', 'layers', 'layers_fusion', 'layers_hardening', 'adversarial',
];

const quantFiles = ['src/quant/nudge.ts', 'src/quant/fake_quant_impl.ts'];

export default {
  testRunner: 'jest',
  jest: {
    configFile: 'jest.config.js',
    config: {testMatch: tests.map(name => `<rootDir>/test/node/${name}.test.ts`)},
    enableFindRelatedTests: false,
  },
  coverageAnalysis: 'perTest',
  mutate: quantOnly ? quantFiles : [
    ...quantFiles,
    'src/kernels/cpu/**/*.ts',
    'src/kernels/wasm/**/*.ts',
    'src/layers/**/*.ts',
  ],
  concurrency: 2,
  timeoutMS: 60000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: {fileName: 'test-output/mutation/index.html'},
  jsonReporter: {fileName: 'test-output/mutation/mutation.json'},
  // Outside the checkout, where the main jest config (test/**/*.test.ts) would find the sandbox.
  tempDirName: path.join(os.tmpdir(), 'tfjs-fake-quant-stryker'),
};
