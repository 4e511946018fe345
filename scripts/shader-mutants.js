#!/usr/bin/env node
/**
 * Hand-written mutants of the shader sources (WGSL and GLSL inside TypeScript strings, which
 * StrykerJS cannot mutate meaningfully): mask flips, dropped partial sums, off-by-one windows and
 * tree levels. Each mutant is applied to a copy of the project (src, test, scripts, configs and
 * dist, node_modules linked) in the temp dir, never to the checkout, and its suite is run there:
 * the webgpu ones with scripts/test-webgpu.js (Dawn on SwiftShader), the webgl ones with karma on
 * one spec file. Every mutant must make its suite fail; the script exits 1 if one survives.
 *
 * Usage: node scripts/shader-mutants.js [--webgpu] [--webgl] [--only NAME,...] [--list]
 *   (default: both suites; the webgl mutants need dist/ built and chromium, a few minutes each)
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {spawnSync} = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const WGSL_GRADIENT = 'src/kernels/webgpu/fake_quant_grad_webgpu.ts';
const WGSL_TILE = 'src/kernels/webgpu/tile_wgsl.ts';
const WGSL_NUDGE = 'src/kernels/webgpu/nudge_wgsl.ts';
const GLSL_GRADIENT = 'src/kernels/webgl/fake_quant_grad_gpu.ts';
const GLSL_NUDGE = 'src/kernels/webgl/nudge_glsl.ts';
const WEBGPU_SPEC = 'test/webgpu/fake_quant.webgpu.ts';
const WEBGPU_ADAPTER_SPEC = 'test/webgpu/adapter.webgpu.ts';
// The backend matrix on webgl (TF's cases, random problems, range sums over hundreds of windows).
const WEBGL_SPEC = 'test/browser/webgl_matrix.spec.ts';
const WEBGL_LAYOUT_SPEC = 'test/browser/webgl_nudge_layout.spec.ts';

/** {name, suite, spec, file, from, to}: `from` must occur exactly once in `file`. */
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
  {name: 'glsl-totals-skip-window-0-above-100', suite: 'webgl', spec: WEBGL_SPEC,
   file: GLSL_GRADIENT, from: 'for (int k = 0; k < ${windows}; k++) {',
   to: 'for (int k = ${windows} > 100 ? 1 : 0; k < ${windows}; k++) {'},
  {name: 'glsl-sums-zero-above-100-windows', suite: 'webgl', spec: WEBGL_SPEC,
   file: GLSL_GRADIENT, from: 'setOutput(total);', to: 'setOutput(${windows} > 100 ? 0.0 : total);'},
  {name: 'glsl-window-drops-its-last-row', suite: 'webgl', spec: WEBGL_SPEC,
   file: GLSL_GRADIENT, from: 'for (int i = 0; i < ${windowRows}; i++) {',
   to: 'for (int i = 0; i < ${windowRows} - 1; i++) {'},
  {name: 'glsl-below-mask-inclusive', suite: 'webgl', spec: WEBGL_SPEC,
   file: GLSL_NUDGE, from: 'vec2(v < r.nudgedMin ? 1.0 : 0.0,', to: 'vec2(v <= r.nudgedMin ? 1.0 : 0.0,'},
  {name: 'glsl-nudge-writes-scale-and-invScale-swapped', suite: 'webgl', spec: WEBGL_LAYOUT_SPEC,
   file: GLSL_NUDGE, from: "if (param == ${paramIndex('scale')}) return scale;",
   to: "if (param == ${paramIndex('invScale')}) return scale;\n  if (param == ${paramIndex('scale')}) return invScale;"},
  {name: 'glsl-packed-params-read-the-other-lane', suite: 'webgl', spec: WEBGL_LAYOUT_SPEC,
   file: GLSL_NUDGE, from: '${texelName(i)}.${lanes[i % 2]}', to: '${texelName(i)}.${lanes[(i + 1) % 2]}'},
];

/** What a mutant's copy of the project holds (node_modules is linked). */
const COPIED = ['src', 'test', 'scripts', 'dist', 'package.json', 'tsconfig.json',
                'tsconfig.jest.json', 'jest.config.js', 'karma.conf.js'];

function parseArgs(argv) {
  const suites = ['webgpu', 'webgl'].filter(s => argv.includes(`--${s}`));
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : null;
  if (only != null) {
    const unknown = only.filter(name => !MUTANTS.some(m => m.name === name));
    if (unknown.length > 0) throw new Error(`--only: unknown mutant(s) ${unknown.join(', ')}`);
  }
  return {suites: suites.length > 0 ? suites : ['webgpu', 'webgl'], only, list: argv.includes('--list')};
}

/** A copy of the project with `mutant` applied; returns its root. */
function mutatedCopy(mutant) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tfjs-fake-quant-${mutant.name}-`));
  for (const entry of COPIED) {
    const from = path.join(ROOT, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, entry), {recursive: true});
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const file = path.join(dir, mutant.file);
  const source = fs.readFileSync(file, 'utf8');
  const count = source.split(mutant.from).length - 1;
  if (count !== 1) {
    throw new Error(`mutant ${mutant.name}: "${mutant.from}" occurs ${count} times in ${mutant.file}`);
  }
  fs.writeFileSync(file, source.replace(mutant.from, mutant.to));
  return dir;
}

/** Runs the mutant's suite in `dir`; true when the suite failed (the mutant is killed). */
function killed(mutant, dir) {
  const env = {...process.env, TFJS_FAKE_QUANT_REQUIRE_WEBGPU: '1'};
  const command = mutant.suite === 'webgpu' ?
      [path.join(dir, 'scripts/test-webgpu.js'), mutant.spec] :
      [path.join(dir, 'node_modules/karma/bin/karma'), 'start', path.join(dir, 'karma.conf.js')];
  if (mutant.suite === 'webgl') {
    env.KARMA_SPECS = mutant.spec;
    // karma-esbuild cannot bundle specs below its own temp dir (see .ci/run).
    env.TMPDIR = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.cache-shader-mutants-'));
  }
  const log = path.join(os.tmpdir(), `${mutant.name}.log`);
  const r = spawnSync(process.execPath, command, {cwd: dir, env, encoding: 'utf8', maxBuffer: 1 << 28});
  fs.writeFileSync(log, `${r.stdout}\n${r.stderr}`);
  if (env.TMPDIR !== process.env.TMPDIR) fs.rmSync(env.TMPDIR, {recursive: true, force: true});
  const failedTests = /Tests:.*\d+ failed|FAILED|\d+ FAILED/.test(`${r.stdout}${r.stderr}`);
  console.log(`  exit ${r.status}${failedTests ? ', failing tests' : ''}; log ${log}`);
  return r.status !== 0 && failedTests;
}

function main() {
  const {suites, only, list} = parseArgs(process.argv.slice(2));
  const mutants = MUTANTS.filter(m => suites.includes(m.suite) && (only == null || only.includes(m.name)));
  if (list) {
    for (const m of mutants) console.log(`${m.name} (${m.suite}: ${m.spec})`);
    return;
  }
  const survivors = [];
  for (const mutant of mutants) {
    console.log(`${mutant.name}: ${mutant.file}: ${mutant.from}  ->  ${mutant.to}`);
    const dir = mutatedCopy(mutant);
    const start = Date.now();
    try {
      const dead = killed(mutant, dir);
      console.log(`  ${dead ? 'killed' : 'SURVIVED'} (${((Date.now() - start) / 1000).toFixed(0)} s)`);
      if (!dead) survivors.push(mutant.name);
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  }
  console.log(`${mutants.length - survivors.length} of ${mutants.length} shader mutants killed` +
              (survivors.length > 0 ? `; survived: ${survivors.join(', ')}` : ''));
  process.exit(survivors.length > 0 ? 1 : 0);
}

main();
