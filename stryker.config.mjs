/**
 * Mutation testing (`npm run test:mutation`, not part of `npm test`: slow on few cores): StrykerJS
 * mutates the code that runs on the CPU (the quantization math, the cpu and wasm kernels, the
 * Layers API) and runs the jest tests that exercise it against each mutant. The shader sources
 * (src/kernels/webgl/nudge_glsl.ts, src/kernels/webgpu/nudge_wgsl.ts and the GPU programs) are
 * WGSL/GLSL inside strings, which Stryker cannot mutate meaningfully: scripts/shader-mutants.js
 * covers them, and the wasm kernels' AssemblyScript (compiled by asc, not run as JS).
 *
 * TFJS_FAKE_QUANT_MUTATE picks one part (quant, cpu, wasm, layers) with only the tests that pin
 * it, so a long run can go in pieces that each keep their report; unset, everything is mutated
 * against all those tests. `npm run test:mutation:quant` is the quant part (20 to 30 minutes on
 * two shared cores; the layers part about an hour, the wasm part about half an hour).
 * TFJS_FAKE_QUANT_MUTATE_FILES (comma-separated) narrows a part to some of its files. Each part
 * writes test-output/mutation/<part>.json and keeps an incremental file there, so `--incremental`
 * reruns only the mutants whose code or tests changed.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';

const quantTests = ['quant_impl', 'tf_cases', 'property', 'args_per_channel', 'cpu'];

const parts = {
  quant: {
    mutate: ['src/quant/nudge.ts', 'src/quant/fake_quant_impl.ts'],
    tests: quantTests,
  },
  cpu: {
    mutate: ['src/kernels/cpu/**/*.ts', 'src/kernels/kernel_spec.ts', 'src/kernels/cpu_compute.ts'],
    tests: [...quantTests, 'errors_and_leaks', 'gradient_routing', 'kernel_spec'],
  },
  wasm: {
    // wasm_binaries.ts is the built modules as base64: data, not code.
    mutate: ['src/kernels/wasm/**/*.ts', '!src/kernels/wasm/wasm_binaries.ts'],
    tests: ['wasm', 'wasm_simd', 'adversarial'],
  },
  layers: {
    mutate: ['src/layers/**/*.ts'],
    tests: ['layers', 'layers_fusion', 'layers_hardening', 'layers_internals', 'mutants_layers',
            'layers_fake_quant', 'layers_weights', 'layers_rewrite', 'layers_options'],
    // Module-level tables (the class lists): each such mutant reloads everything and runs every
    // test; the report counts them as ignored. TFJS_FAKE_QUANT_MUTATE_STATIC=1 runs them, best with
    // TFJS_FAKE_QUANT_MUTATE_FILES narrowed to the tables' lines (file.ts:27-31).
    ignoreStatic: true,
    // Its test files share no global set-up, so they can run as one (test/mutation/entry.ts).
    oneFile: true,
  },
};

/** A mutated file's name in a report's name: `src/layers/fusion.ts:41-48` is `fusion@41-48`. */
function reportLabel(file) {
  return path.basename(file).replace(/\.ts(:|$)/, '$1').replace(':', '@');
}

function selectedPart() {
  const name = process.env.TFJS_FAKE_QUANT_MUTATE;
  if (name == null || name === '') {
    const all = Object.values(parts);
    return {
      name: 'mutation',
      mutate: all.flatMap(part => part.mutate),
      tests: [...new Set(all.flatMap(part => part.tests))],
      ignoreStatic: false,
      oneFile: false,
    };
  }
  if (!(name in parts)) {
    throw new Error(`TFJS_FAKE_QUANT_MUTATE=${name} is not a part: use one of ${
        Object.keys(parts).join(', ')} or leave it unset for all of them`);
  }
  const files = process.env.TFJS_FAKE_QUANT_MUTATE_FILES;
  const mutate = files ? files.split(',').map(file => file.trim()) : parts[name].mutate;
  // A narrowed part reports under its files' names, beside the whole part's report.
  const reportName = files ? `${name}-${mutate.map(reportLabel).join('+')}` : name;
  return {
    name: reportName, mutate, tests: parts[name].tests,
    ignoreStatic: (parts[name].ignoreStatic ?? false) && process.env.TFJS_FAKE_QUANT_MUTATE_STATIC !== '1',
    oneFile: parts[name].oneFile ?? false,
  };
}

/** Test files come and go as suites move to test/shared: only those that exist are run. */
function existingTests(names) {
  const files = names.map(name => `test/node/${name}.test.ts`).filter(file => fs.existsSync(file));
  if (files.length === 0) {
    throw new Error(`none of the mutation tests (${names.join(', ')}) exists under test/node`);
  }
  return files;
}

const part = selectedPart();
const reports = 'test-output/mutation';
const testFiles = existingTests(part.tests);
// Read by test/node/cpu.test.ts (a strided tie sweep) and test/mutation/entry.ts; the workers
// inherit them.
process.env.TFJS_FAKE_QUANT_MUTATION = '1';
process.env.TFJS_FAKE_QUANT_MUTATION_TESTS = testFiles.join(',');

export default {
  testRunner: 'jest',
  jest: {
    configFile: 'jest.config.js',
    config: {
      testMatch: (part.oneFile ? ['test/mutation/entry.ts'] : testFiles).map(file => `<rootDir>/${file}`),
    },
    enableFindRelatedTests: false,
  },
  coverageAnalysis: 'perTest',
  // ts-jest transpiles only (isolatedModules), so Stryker's `// @ts-nocheck` headers are not needed;
  // they would also change src/kernels/wasm/wasm_binaries.ts, which a test compares with its build.
  disableTypeChecks: false,
  mutate: part.mutate,
  ignoreStatic: part.ignoreStatic,
  concurrency: 2,
  timeoutMS: 20000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: {fileName: `${reports}/${part.name}.html`},
  jsonReporter: {fileName: `${reports}/${part.name}.json`},
  incrementalFile: `${reports}/${part.name}.incremental.json`,
  // Outside the checkout, where the main jest config (test/**/*.test.ts) would find the sandbox.
  tempDirName: path.join(os.tmpdir(), `tfjs-fake-quant-stryker-${part.name}`),
};
