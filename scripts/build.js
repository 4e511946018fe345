#!/usr/bin/env node
/**
 * Builds the package into dist/:
 *   dist/cjs/index.js          CommonJS (require), every @tensorflow/* package external
 *   dist/esm/index.mjs         ES module (import), every @tensorflow/* package external
 *   dist/cjs/converter.js      the `tfjs-fake-quant/converter` entry (src/converter/index.ts), which
 *   dist/esm/converter.mjs       loads the main entry above instead of a second copy of it
 *   dist/cjs/layers.js         the `tfjs-fake-quant/layers` entry (src/layers/index.ts; tfjs-layers
 *   dist/esm/layers.mjs          external), which also loads the main entry instead of copying it
 *   dist/types/**.d.ts         declarations (tsc --emitDeclarationOnly -p tsconfig.build.json)
 *   dist/tfjs-fake-quant.js    browser <script> bundle (IIFE) from src/browser.ts; tfjs comes
 *   dist/tfjs-fake-quant.min.js  from the page's global `tf` (tf.min.js or tf-core.min.js + backends)
 *
 * Then asserts that no tfjs source ended up in any output: the builds must never carry a copy
 * of tfjs (a second copy would have its own kernel registry and engine).
 *
 * Usage: node scripts/build.js [--no-types]
 */
'use strict';

const fs = require('fs');
const path = require('path');
const {execFileSync} = require('child_process');
const esbuild = require('esbuild');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const pkg = require(path.join(ROOT, 'package.json'));

const banner = `/**
 * ${pkg.name} ${pkg.version}
 * ${pkg.description}
 * License: ${pkg.license}
 */`;

/**
 * Browser bundle: `@tensorflow/tfjs`, `-core`, `-backend-cpu` and `-backend-webgl` all resolve to
 * the page's global `tf` (their UMD builds all attach their exports to that one object). Deep
 * imports (`@tensorflow/x/dist/...`) cannot be served from the global and fail the build.
 */
const TF_GLOBAL_MODULES = /^@tensorflow\/tfjs(-core|-backend-cpu|-backend-webgl)?$/;

function tfGlobalPlugin() {
  return {
    name: 'tfjs-global',
    setup(build) {
      build.onResolve({filter: /^@tensorflow\//}, (args) => {
        if (!TF_GLOBAL_MODULES.test(args.path)) {
          return {
            errors: [{
              text: `${args.path} cannot be mapped to the global \`tf\` of the browser bundle ` +
                  `(imported by ${path.relative(ROOT, args.importer)}). Import from the package ` +
                  `root instead, or extend TF_GLOBAL_MODULES in scripts/build.js.`,
            }],
          };
        }
        return {path: args.path, namespace: 'tfjs-global'};
      });
      build.onLoad({filter: /.*/, namespace: 'tfjs-global'}, (args) => ({
        loader: 'js',
        contents: `
var tf = typeof globalThis !== 'undefined' ? globalThis.tf : undefined;
if (tf == null || typeof tf.registerKernel !== 'function' || typeof tf.engine !== 'function') {
  throw new Error(
    '${pkg.name}: TensorFlow.js was not found on the global \`tf\` object (needed for ' +
    '"${args.path}"). Load TensorFlow.js first, e.g. <script src="tf.min.js"></script>, or ' +
    'tf-core.min.js followed by tf-backend-cpu.min.js / tf-backend-webgl.min.js, and then ' +
    '${pkg.name}.min.js. From a bundler or Node, import "${pkg.name}" instead of this file.');
}
module.exports = tf;
`,
      }));
    },
  };
}

/**
 * The converter and layers entries import '../index' for its side effects (kernel, gradient and
 * chained-op registration) and its ops. Bundling that would register everything a second time
 * when two entries are loaded, so the import is rewritten to the built main entry (`./index.js` /
 * `./index.mjs`). Other src modules they import (ops, kernel names) are side-effect free and get
 * bundled.
 */
function mainEntryExternalPlugin(mainFile) {
  const mainEntry = path.join(ROOT, 'src', 'index.ts');
  return {
    name: 'main-entry-external',
    setup(build) {
      build.onResolve({filter: /^\./}, (args) => {
        const target = path.resolve(args.resolveDir, args.path);
        if (target === mainEntry || target === mainEntry.replace(/\.ts$/, '') ||
            target === path.dirname(mainEntry)) {
          return {path: mainFile, external: true};
        }
        return undefined;
      });
    },
  };
}

/** Modules with registration side effects: they must only be reached through the main entry. */
const SIDE_EFFECT_MODULES = /(^|\/)src\/(index\.ts|chained_ops\.ts|.*\/register\.ts)$/;

function assertNoSideEffectModules(result, label) {
  const found = Object.keys(result.metafile.inputs).filter((p) => SIDE_EFFECT_MODULES.test(p));
  if (found.length > 0) {
    throw new Error(
        `${label}: a subpath entry bundles registering modules (${found.join(', ')}); ` +
        'import them only through src/index.ts.');
  }
}

/** Strings that only occur inside tfjs sources (core, cpu backend, webgl backend). */
const TFJS_MARKERS = [
  '_tfengine',                 // tfjs-core engine.ts: the global engine slot
  'Cannot evaluate flag',      // tfjs-core environment.ts
  'version_core',              // tfjs-core/src/version.ts
  'version_cpu',               // tfjs-backend-cpu/src/version.ts
  'version_webgl',             // tfjs-backend-webgl/src/version.ts
  'gpgpu_util',                // tfjs-backend-webgl namespace
];
/** A copy of tfjs-core alone is > 300 kB minified; our code is a few kB. */
const MAX_BUNDLE_BYTES = 200 * 1024;

function assertNoTfjs(result, label) {
  const inputs = Object.keys(result.metafile.inputs);
  const bundled = inputs.filter((p) => /(^|\/)node_modules\//.test(p));
  if (bundled.length > 0) {
    throw new Error(
        `${label}: node_modules sources got bundled (tfjs must stay external):\n  ` +
        bundled.slice(0, 20).join('\n  '));
  }
  for (const [outPath, info] of Object.entries(result.metafile.outputs)) {
    if (outPath.endsWith('.map')) continue;
    const text = fs.readFileSync(path.join(ROOT, outPath), 'utf8');
    const found = TFJS_MARKERS.filter((m) => text.includes(m));
    if (found.length > 0) {
      throw new Error(`${label}: ${outPath} contains tfjs source markers: ${found.join(', ')}`);
    }
    if (info.bytes > MAX_BUNDLE_BYTES) {
      throw new Error(
          `${label}: ${outPath} is ${info.bytes} bytes (> ${MAX_BUNDLE_BYTES}); ` +
          'did tfjs get bundled?');
    }
  }
}

async function main() {
  const noTypes = process.argv.includes('--no-types');
  const t0 = Date.now();
  fs.rmSync(DIST, {recursive: true, force: true});

  const common = {
    absWorkingDir: ROOT,
    entryPoints: ['src/index.ts'],
    bundle: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    banner: {js: banner},
    legalComments: 'none',
  };
  const builds = [
    ['cjs', {
      ...common,
      platform: 'node',
      format: 'cjs',
      target: 'es2020',
      packages: 'external',
      outfile: 'dist/cjs/index.js',
    }],
    ['esm', {
      ...common,
      platform: 'neutral',
      format: 'esm',
      target: 'es2020',
      packages: 'external',
      outfile: 'dist/esm/index.mjs',
    }],
    ['cjs converter', {
      ...common,
      entryPoints: ['src/converter/index.ts'],
      platform: 'node',
      format: 'cjs',
      target: 'es2020',
      packages: 'external',
      plugins: [mainEntryExternalPlugin('./index.js')],
      outfile: 'dist/cjs/converter.js',
    }],
    ['esm converter', {
      ...common,
      entryPoints: ['src/converter/index.ts'],
      platform: 'neutral',
      format: 'esm',
      target: 'es2020',
      packages: 'external',
      plugins: [mainEntryExternalPlugin('./index.mjs')],
      outfile: 'dist/esm/converter.mjs',
    }],
    ['cjs layers', {
      ...common,
      entryPoints: ['src/layers/index.ts'],
      platform: 'node',
      format: 'cjs',
      target: 'es2020',
      packages: 'external',
      plugins: [mainEntryExternalPlugin('./index.js')],
      outfile: 'dist/cjs/layers.js',
    }],
    ['esm layers', {
      ...common,
      entryPoints: ['src/layers/index.ts'],
      platform: 'neutral',
      format: 'esm',
      target: 'es2020',
      packages: 'external',
      plugins: [mainEntryExternalPlugin('./index.mjs')],
      outfile: 'dist/esm/layers.mjs',
    }],
    ['browser', {
      ...common,
      entryPoints: ['src/browser.ts'],
      platform: 'browser',
      format: 'iife',
      target: 'es2017',
      plugins: [tfGlobalPlugin()],
      outfile: 'dist/tfjs-fake-quant.js',
    }],
    ['browser.min', {
      ...common,
      entryPoints: ['src/browser.ts'],
      platform: 'browser',
      format: 'iife',
      target: 'es2017',
      minify: true,
      plugins: [tfGlobalPlugin()],
      outfile: 'dist/tfjs-fake-quant.min.js',
    }],
  ];

  const results = await Promise.all(builds.map(async ([label, options]) => {
    const result = await esbuild.build(options);
    assertNoTfjs(result, label);
    if (label.endsWith('converter') || label.endsWith('layers')) assertNoSideEffectModules(result, label);
    return [label, result];
  }));

  // A marker file so that Node treats dist/cjs/*.js as CommonJS whatever the root package says.
  fs.writeFileSync(path.join(DIST, 'cjs', 'package.json'), '{"type": "commonjs"}\n');

  if (!noTypes) {
    const tsc = require.resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {cwd: ROOT, stdio: 'inherit'});
    for (const types of ['index.d.ts', 'layers/index.d.ts']) {
      if (!fs.existsSync(path.join(DIST, 'types', types))) {
        throw new Error(`tsc did not write dist/types/${types}`);
      }
    }
  }

  for (const [, result] of results) {
    for (const [outPath, info] of Object.entries(result.metafile.outputs)) {
      if (outPath.endsWith('.map')) continue;
      console.log(`  ${outPath.padEnd(32)} ${(info.bytes / 1024).toFixed(1).padStart(7)} kB`);
    }
  }
  console.log(`build: ok in ${((Date.now() - t0) / 1000).toFixed(1)} s (no tfjs bundled)`);
}

main().catch((err) => {
  console.error(err && err.message ? `build failed: ${err.message}` : err);
  process.exit(1);
});
