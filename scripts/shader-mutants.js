#!/usr/bin/env node
/**
 * Hand-written mutants of the sources StrykerJS cannot mutate: the shaders (WGSL and GLSL inside
 * TypeScript strings, which its mutant switching cannot reach meaningfully) and the wasm kernels'
 * AssemblyScript (src/kernels/wasm/assembly, compiled by asc into src/kernels/wasm/wasm_binaries.ts).
 * Mask flips, dropped or misfolded partial sums, off-by-one windows, lanes and remainders, wrong
 * rounding and clamp order. Each mutant is applied to a copy of the project (src, test, scripts,
 * configs and dist, node_modules linked) in the temp dir, never to the checkout, and its suite is
 * run there:
 *   webgpu  scripts/test-webgpu.js on one spec (Dawn on SwiftShader);
 *   webgl   karma on one spec file, only the specs that pin the mutated code (`grep`, passed as
 *           KARMA_GREP; needs dist/ built and chromium);
 *   wasm    `node scripts/build-wasm.js` in the copy (its binaries rebuilt from the mutated
 *           source; a mutant that compiles to the same bytes is reported, not run), then jest on
 *           test/node/wasm_simd.test.ts and wasm.test.ts, transpile-only.
 * First every distinct suite run is made once unmutated and must pass (--skip-baseline skips
 * that); then every mutant must make its suite fail (a run past --timeout-min counts as killed,
 * as a hang is). Exits 1 if a mutant survives, 2 if a baseline fails.
 *
 * Usage: node scripts/shader-mutants.js [--webgpu] [--webgl] [--wasm] [--only NAME,...] [--list]
 *            [--skip-baseline] [--timeout-min N]
 *   (default: all three suites; one mutant at a time: each takes minutes on two cores)
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {spawnSync} = require('child_process');
const {stripVTControlCharacters} = require('util');

const ROOT = path.resolve(__dirname, '..');
const WGSL_GRADIENT = 'src/kernels/webgpu/fake_quant_grad_webgpu.ts';
const WGSL_TILE = 'src/kernels/webgpu/tile_wgsl.ts';
const WGSL_NUDGE = 'src/kernels/webgpu/nudge_wgsl.ts';
const GLSL_GRADIENT = 'src/kernels/webgl/fake_quant_grad_gpu.ts';
const GLSL_NUDGE = 'src/kernels/webgl/nudge_glsl.ts';
const AS_STEPS = 'src/kernels/wasm/assembly/steps.ts';
const AS_SIMD = 'src/kernels/wasm/assembly/simd.ts';
const AS_SCALAR = 'src/kernels/wasm/assembly/scalar.ts';
const WASM_BINARIES = 'src/kernels/wasm/wasm_binaries.ts';
const WEBGPU_SPEC = 'test/webgpu/fake_quant.webgpu.ts';
const WEBGPU_ADAPTER_SPEC = 'test/webgpu/adapter.webgpu.ts';
// The backend matrix on webgl (TF's cases, random problems, range sums over hundreds of windows).
const WEBGL_SPEC = 'test/browser/webgl_matrix.spec.ts';
const WEBGL_LAYOUT_SPEC = 'test/browser/webgl_nudge_layout.spec.ts';
// Each path forced (simd, scalar, js), then the backend matrix on the default (SIMD) path.
const WASM_SPECS = 'test/node/wasm_simd.test.ts test/node/wasm.test.ts';
// The matrix's specs that pin the GLSL range sums (70,000 rows: 265 default windows, thousands of
// 2-row ones) and the masks (TF's gradient cases, inputs on the bounds).
const RANGE_SUMS_GREP = '/large and high-rank|integer gradients/';
const MASKS_GREP = '/C\\+\\+ kernel tests: (gradients exactly|the same gradients)/';

/**
 * {name, suite, spec, grep?, file, from, to}: `from` must occur exactly once in `file`; `grep`
 * (webgl) selects the specs that run.
 */
const MUTANTS = [
  {name: 'wgsl-combine-drops-partial-0-above-8', suite: 'webgpu', spec: WEBGPU_SPEC,
   file: WGSL_TILE, from: 'below = below + partials[o];',
   to: 'below = below + select(partials[o], 0.0, chunk == 0u && uniforms.tilesY > 8u);'},
  {name: 'wgsl-combine-drops-partial-0-above-2', suite: 'webgpu', spec: WEBGPU_SPEC,
   file: WGSL_TILE, from: 'above = above + partials[o + 1u];',
   to: 'above = above + select(partials[o + 1u], 0.0, chunk == 0u && uniforms.tilesY > 2u);'},
  {name: 'wgsl-combine-tree-skips-a-level', suite: 'webgpu', spec: WEBGPU_SPEC,
   file: WGSL_TILE, from: 'fqSumRows(li, 1u, ${COMBINE_WORKGROUP_SIZE}u,',
   to: 'fqSumRows(li, 1u, ${COMBINE_WORKGROUP_SIZE / 2}u,'},
  {name: 'wgsl-tree-stops-one-level-early', suite: 'webgpu', spec: WEBGPU_SPEC,
   file: WGSL_TILE, from: 'for (var s = rows / 2u; s > 0u;', to: 'for (var s = rows / 2u; s > 1u;'},
  {name: 'wgsl-partials-indexed-by-lane', suite: 'webgpu', spec: WEBGPU_SPEC,
   file: WGSL_GRADIENT, from: "${uniform('channels')} + tile.channel) * 2u;",
   to: "${uniform('channels')} + tile.lx) * 2u;"},
  {name: 'wgsl-public-path-range-sums-swapped', suite: 'webgpu', spec: WEBGPU_ADAPTER_SPEC,
   file: WGSL_GRADIENT, from: "select(totals.x, totals.y, ${uniform('sumIndex')} == 1u)",
   to: "select(totals.x, totals.y, ${uniform('sumIndex')} == 0u)"},
  {name: 'wgsl-below-mask-inclusive', suite: 'webgpu', spec: WEBGPU_SPEC,
   file: WGSL_NUDGE, from: 'comparable && k < lo, comparable && k > hi',
   to: 'comparable && k <= lo, comparable && k > hi'},
  {name: 'wgsl-above-mask-flipped', suite: 'webgpu', spec: WEBGPU_SPEC,
   file: WGSL_NUDGE, from: 'comparable && k < lo, comparable && k > hi',
   to: 'comparable && k < lo, comparable && k < hi'},
  {name: 'glsl-totals-skip-window-0-above-100', suite: 'webgl', spec: WEBGL_SPEC, grep: RANGE_SUMS_GREP,
   file: GLSL_GRADIENT, from: 'for (int k = 0; k < ${windows}; k++) {',
   to: 'for (int k = ${windows} > 100 ? 1 : 0; k < ${windows}; k++) {'},
  {name: 'glsl-sums-zero-above-100-windows', suite: 'webgl', spec: WEBGL_SPEC, grep: RANGE_SUMS_GREP,
   file: GLSL_GRADIENT, from: 'setOutput(total);', to: 'setOutput(${windows} > 100 ? 0.0 : total);'},
  {name: 'glsl-window-drops-its-last-row', suite: 'webgl', spec: WEBGL_SPEC, grep: RANGE_SUMS_GREP,
   file: GLSL_GRADIENT, from: 'for (int i = 0; i < ${windowRows}; i++) {',
   to: 'for (int i = 0; i < ${windowRows} - 1; i++) {'},
  {name: 'glsl-below-mask-inclusive', suite: 'webgl', spec: WEBGL_SPEC, grep: MASKS_GREP,
   file: GLSL_NUDGE, from: 'vec2(v < r.nudgedMin ? 1.0 : 0.0,', to: 'vec2(v <= r.nudgedMin ? 1.0 : 0.0,'},
  {name: 'glsl-nudge-writes-scale-and-invScale-swapped', suite: 'webgl', spec: WEBGL_LAYOUT_SPEC,
   file: GLSL_NUDGE, from: "if (param == ${paramIndex('scale')}) return scale;",
   to: "if (param == ${paramIndex('invScale')}) return scale;\n  if (param == ${paramIndex('scale')}) return invScale;"},
  {name: 'glsl-packed-params-read-the-other-lane', suite: 'webgl', spec: WEBGL_LAYOUT_SPEC,
   file: GLSL_NUDGE, from: '${texelName(i)}.${lanes[i % 2]}', to: '${texelName(i)}.${lanes[(i + 1) % 2]}'},
  // The per-element steps (the scalar module's loops, the SIMD module's remainders).
  {name: 'as-steps-inside-mask-excludes-lo', suite: 'wasm', spec: WASM_SPECS,
   file: AS_STEPS, from: 'masked(load<f32>(dy + o), v >= lo && v <= hi)',
   to: 'masked(load<f32>(dy + o), v > lo && v <= hi)'},
  {name: 'as-steps-rounds-half-to-even', suite: 'wasm', spec: WASM_SPECS,
   file: AS_STEPS, from: 'floor<f32>(unrounded - quantZero + <f32>0.5)', to: 'nearest<f32>(unrounded - quantZero)'},
  {name: 'as-steps-clamp-loses-nan', suite: 'wasm', spec: WASM_SPECS,
   file: AS_STEPS, from: 'const belowHi = hi < x ? hi : x;', to: 'const belowHi = x < hi ? x : hi;'},
  // The scalar module's range sums.
  {name: 'as-scalar-below-sum-inclusive', suite: 'wasm', spec: WASM_SPECS,
   file: AS_SCALAR, from: 'below += masked(g, v < lo);', to: 'below += masked(g, v <= lo);'},
  {name: 'as-scalar-channel-sums-in-float64', suite: 'wasm', spec: WASM_SPECS,
   file: AS_SCALAR, from: 'store<f64>(sums + s, <f64>(<f32>load<f64>(sums + s) + masked(g, v < lo)));',
   to: 'store<f64>(sums + s, load<f64>(sums + s) + <f64>masked(g, v < lo));'},
  {name: 'as-scalar-channel-entry-wraps-late', suite: 'wasm', spec: WASM_SPECS,
   file: AS_SCALAR, from: 'masked(g, v > hi)));\n    entry = entry + 1 == period ? 0 : entry + 1;',
   to: 'masked(g, v > hi)));\n    entry = entry + 1 > period ? 0 : entry + 1;'},
  // The SIMD module: lanes, remainders, sum blocks, per-channel periods, the level step.
  {name: 'as-simd-forward-remainder-starts-one-late', suite: 'wasm', spec: WASM_SPECS,
   file: AS_SIMD, from: 'quantizeFrom(i, x, out, n,', to: 'quantizeFrom(i + 1, x, out, n,'},
  {name: 'as-simd-inside-mask-excludes-hi', suite: 'wasm', spec: WASM_SPECS,
   file: AS_SIMD, from: 'v128.and(f32x4.ge(x, lo), f32x4.le(x, hi))', to: 'v128.and(f32x4.ge(x, lo), f32x4.lt(x, hi))'},
  {name: 'as-simd-lane-sums-never-flushed', suite: 'wasm', spec: WASM_SPECS,
   file: AS_SIMD, from: 'const blockEnd = min(i + BLOCK_VECTORS * 4, vectorEnd);', to: 'const blockEnd = vectorEnd;'},
  {name: 'as-simd-widen-drops-lanes-2-3', suite: 'wasm', spec: WASM_SPECS,
   file: AS_SIMD,
   from: 'return f64x2.add(f64x2.add(acc, f64x2.promote_low_f32x4(lanes)), f64x2.promote_low_f32x4(high));',
   to: 'return f64x2.add(acc, f64x2.promote_low_f32x4(lanes));'},
  {name: 'as-simd-channel-block-of-4-lanes-not-periods', suite: 'wasm', spec: WASM_SPECS,
   file: AS_SIMD, from: 'min(i + BLOCK_VECTORS * period, vectorEnd)', to: 'min(i + BLOCK_VECTORS * 4, vectorEnd)'},
  {name: 'as-simd-channel-forward-remainder-entry-in-bytes', suite: 'wasm', spec: WASM_SPECS,
   file: AS_SIMD, from: 'for (let entry = p >> 2; i < n;', to: 'for (let entry = p; i < n;'},
  {name: 'as-simd-channel-gradient-remainder-entry-restarts', suite: 'wasm', spec: WASM_SPECS,
   file: AS_SIMD, from: 'for (let entry = vectorEnd % period; i < n;', to: 'for (let entry: usize = 0; i < n;'},
  {name: 'as-simd-vars-multiplies-by-inverse-scale', suite: 'wasm', spec: WASM_SPECS,
   file: AS_SIMD, from: 'divide ? f32x4.div(shifted, scaling) :',
   to: 'divide ? f32x4.mul(shifted, f32x4.div(f32x4.splat(1), scaling)) :'},
];

const SUITES = ['webgpu', 'webgl', 'wasm'];

/** What a copy of the project holds (node_modules is linked). */
const COPIED = ['src', 'test', 'scripts', 'dist', 'package.json', 'tsconfig.json',
                'tsconfig.jest.json', 'jest.config.js', 'karma.conf.js'];

function parseArgs(argv) {
  const valueOf = (flag) => argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : null;
  const suites = SUITES.filter(s => argv.includes(`--${s}`));
  const only = valueOf('--only')?.split(',') ?? null;
  if (only != null) {
    const unknown = only.filter(name => !MUTANTS.some(m => m.name === name));
    if (unknown.length > 0) throw new Error(`--only: unknown mutant(s) ${unknown.join(', ')}`);
  }
  const timeoutMin = Number(valueOf('--timeout-min') ?? 30);
  if (!(timeoutMin > 0)) throw new Error('--timeout-min: give a positive number of minutes');
  return {
    suites: suites.length > 0 ? suites : SUITES, only, list: argv.includes('--list'),
    skipBaseline: argv.includes('--skip-baseline'), timeoutSeconds: Math.round(timeoutMin * 60),
  };
}

/** A copy of the project in the temp dir, with `mutant` applied unless null; returns its root. */
function projectCopy(mutant, label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tfjs-fake-quant-${label}-`));
  for (const entry of COPIED) {
    const from = path.join(ROOT, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, entry), {recursive: true});
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  if (mutant != null) {
    const file = path.join(dir, mutant.file);
    const source = fs.readFileSync(file, 'utf8');
    const problem = applyProblem(mutant, source);
    if (problem != null) throw new Error(problem);
    fs.writeFileSync(file, source.replace(mutant.from, mutant.to));
  }
  return dir;
}

/** Why `mutant` does not apply to `source` (its `from` must occur exactly once); null if it does. */
function applyProblem(mutant, source) {
  const count = source.split(mutant.from).length - 1;
  return count === 1 ? null : `mutant ${mutant.name}: "${mutant.from}" occurs ${count} times in ${mutant.file}`;
}

/**
 * wasm: rebuilds the copy's binaries from its source with the copy's own build script (which
 * writes below its own root); returns whether they differ from the checkout's.
 */
function rebuildWasm(dir) {
  const r = spawnSync(process.execPath, [path.join(dir, 'scripts/build-wasm.js')],
                      {cwd: dir, encoding: 'utf8'});
  if (r.status !== 0) throw new Error(`build-wasm failed in ${dir}:\n${r.stdout}${r.stderr}`);
  const built = (root) => fs.readFileSync(path.join(root, WASM_BINARIES), 'utf8');
  return built(dir) !== built(ROOT);
}

/**
 * jest in the copy, one file after the other, stopping at the first failing one; ts-jest only
 * transpiles (isolatedModules: a type check would be most of each run; npm run typecheck has it).
 */
function jestArgs(dir, specs) {
  const tsconfig = path.join(dir, 'tsconfig.shader-mutants.json');
  fs.writeFileSync(tsconfig, JSON.stringify(
      {extends: './tsconfig.jest.json', compilerOptions: {isolatedModules: true}}));
  const config = {...require(path.join(dir, 'jest.config.js')), rootDir: dir};
  config.transform = {'^.+\\.ts$': ['ts-jest', {tsconfig}]};
  // The committed-bytes check passes by construction here (the copy's bytes were just rebuilt).
  return [path.join(dir, 'node_modules/jest/bin/jest.js'), '--config', JSON.stringify(config),
          '--runInBand', '--bail', '--testNamePattern', '^(?!the committed wasm bytes)', ...specs];
}

/** The command line and environment of `run`'s suite in `dir`. */
function suiteCommand(run, dir) {
  const env = {...process.env};
  if (run.suite === 'webgpu') {
    env.TFJS_FAKE_QUANT_REQUIRE_WEBGPU = '1';
    return {args: [path.join(dir, 'scripts/test-webgpu.js'), run.spec], env};
  }
  if (run.suite === 'wasm') return {args: jestArgs(dir, run.spec.split(' ')), env};
  env.KARMA_SPECS = run.spec;
  if (run.grep != null) env.KARMA_GREP = run.grep;
  // karma-esbuild cannot bundle specs below its own temp dir (see .ci/run).
  env.TMPDIR = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.cache-shader-mutants-'));
  return {args: [path.join(dir, 'node_modules/karma/bin/karma'), 'start', path.join(dir, 'karma.conf.js')], env};
}

/**
 * Runs `run`'s suite in `dir` under `timeout` (its process group: karma's browser too); returns
 * {passed, failed, timedOut, ran, log}: `failed` when tests failed, `ran` the summary line.
 */
function runSuite(run, dir, label, timeoutSeconds) {
  const {args, env} = suiteCommand(run, dir);
  const log = path.join(os.tmpdir(), `${label}.log`);
  const r = spawnSync('timeout', ['-k', '30', String(timeoutSeconds), process.execPath, ...args],
                      {cwd: dir, env, encoding: 'utf8', maxBuffer: 1 << 28});
  if (env.TMPDIR !== process.env.TMPDIR) fs.rmSync(env.TMPDIR, {recursive: true, force: true});
  const output = stripVTControlCharacters(`${r.stdout}\n${r.stderr}`);  // no colours
  fs.writeFileSync(log, output);
  // jest's last summary line, or karma's last progress line.
  const ran = (output.match(/Tests: .*|Executed \d+ of \d+[^\n\r]*/g) ?? ['']).at(-1).trim();
  const timedOut = r.status === 124 || r.status === 137;
  const failed = /Tests:.*\d+ failed|FAILED/.test(output);
  const none = /^(Executed 0 of|Tests:\s+0 total)/.test(ran) || /No tests found/.test(output);
  console.log(`  exit ${r.status}${timedOut ? ' (timed out)' : ''}; ${ran || 'no summary'}; log ${log}`);
  return {passed: r.status === 0 && !failed && !none, failed: r.status !== 0 && failed, timedOut, log};
}

/** What a suite run is: its suite, spec files and grep (mutants sharing one share a baseline). */
const runKey = (m) => `${m.suite} ${m.spec}${m.grep != null ? ` grep ${m.grep}` : ''}`;

function withCopy(mutant, label, body) {
  const dir = projectCopy(mutant, label);
  try {
    return body(dir);
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

const seconds = (start) => `${((Date.now() - start) / 1000).toFixed(0)} s`;

/** Each distinct suite run once on the unmutated source; false if one does not pass. */
function baselinesPass(mutants, timeoutSeconds) {
  const runs = [...new Map(mutants.map(m => [runKey(m), m])).values()];
  for (const [k, run] of runs.entries()) {
    console.log(`baseline (unmutated): ${runKey(run)}`);
    const start = Date.now();
    const result = withCopy(null, `baseline-${run.suite}-${k}`, (dir) => {
      if (run.suite === 'wasm' && rebuildWasm(dir)) {
        throw new Error(`${WASM_BINARIES} is not what its source builds to: run node scripts/build-wasm.js`);
      }
      return runSuite(run, dir, `baseline-${run.suite}-${k}`, timeoutSeconds);
    });
    console.log(`  ${result.passed ? 'passed' : 'DID NOT PASS'} (${seconds(start)})`);
    if (!result.passed) return false;
  }
  return true;
}

/** Applies and runs one mutant; returns null when it is killed, else why it survived. */
function survival(mutant, timeoutSeconds) {
  return withCopy(mutant, mutant.name, (dir) => {
    if (mutant.suite === 'wasm' && !rebuildWasm(dir)) return 'compiles to the same bytes';
    const result = runSuite(mutant, dir, mutant.name, timeoutSeconds);
    return result.failed || result.timedOut ? null : 'its suite passed';
  });
}

function main() {
  const {suites, only, list, skipBaseline, timeoutSeconds} = parseArgs(process.argv.slice(2));
  const mutants = MUTANTS.filter(m => suites.includes(m.suite) && (only == null || only.includes(m.name)));
  if (list) {
    for (const m of mutants) {
      const problem = applyProblem(m, fs.readFileSync(path.join(ROOT, m.file), 'utf8'));
      console.log(`${m.name} (${runKey(m)})${problem != null ? `: DOES NOT APPLY: ${problem}` : ''}`);
    }
    return;
  }
  if (mutants.some(m => m.suite === 'webgl') && !fs.existsSync(path.join(ROOT, 'dist'))) {
    throw new Error('the webgl mutants run karma on dist/: run node scripts/build.js --no-types first');
  }
  if (!skipBaseline && !baselinesPass(mutants, timeoutSeconds)) {
    console.log('an unmutated suite run does not pass: no mutant run');
    process.exit(2);
  }
  const survivors = [];
  for (const mutant of mutants) {
    console.log(`${mutant.name}: ${mutant.file}: ${mutant.from}  ->  ${mutant.to}`);
    const start = Date.now();
    const why = survival(mutant, timeoutSeconds);
    console.log(`  ${why == null ? 'killed' : `SURVIVED: ${why}`} (${seconds(start)})`);
    if (why != null) survivors.push(mutant.name);
  }
  console.log(`${mutants.length - survivors.length} of ${mutants.length} hand-written mutants killed` +
              (survivors.length > 0 ? `; survived: ${survivors.join(', ')}` : ''));
  process.exit(survivors.length > 0 ? 1 : 0);
}

main();
