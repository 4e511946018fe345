#!/usr/bin/env node
/**
 * Builds the package into dist/ (CommonJS in dist/cjs/*.js, ES modules in dist/esm/*.mjs, every
 * @tensorflow/* package external; one file per entry, each loading the entries it builds on
 * instead of copying them):
 *   core          src/core.ts: the tfjs-core check, ops, gradients, chained methods (no kernels)
 *   cpu, webgl,   src/<backend>.ts: `tfjs-fake-quant/<backend>`, core + that backend's kernels
 *   webgpu, wasm
 *   index         src/index.ts: the main entry, core + the four backends
 *   converter     src/converter/index.ts: `tfjs-fake-quant/converter`, on the main entry
 *   layers        src/layers/index.ts: `tfjs-fake-quant/layers` (tfjs-layers external), on the main entry
 *   export        src/export/index.ts: `tfjs-fake-quant/export`, on the main and layers entries
 *   dist/types/**.d.ts   declarations (tsc -p tsconfig.build.json), plus a .d.mts per entry for
 *                        the "import" condition; only those the package.json entries reach are kept
 *   dist/tfjs-fake-quant(.min).js         <script> bundle (IIFE) from src/browser.ts; tfjs comes
 *                                         from the page's global `tf` (tf.min.js or tf-core.min.js
 *                                         + backends)
 *   dist/tfjs-fake-quant-layers(.min).js  second <script> bundle (src/browser_layers.ts): the
 *                                         Layers API and the exporters, after tf.min.js and the first
 *   dist/*.min.d.ts, dist/types/globals*.d.ts   the bundles' globals (from types/)
 * The unminified <script> bundles are for this repository's tests and debugging: package.json
 * "files" leaves them out of the tarball.
 *
 * Then asserts that no tfjs source ended up in any output (the builds must never carry a copy
 * of tfjs: a second copy would have its own kernel registry and engine), and that each build
 * bundles only the registering modules it owns.
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
const TF_GLOBAL_MODULES = /^@tensorflow\/tfjs(-core|-backend-cpu|-backend-webgl|-layers)?$/;

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
if (tf == null || typeof tf.registerKernel !== 'function' || typeof tf.engine !== 'function' ||
    (/-layers$/.test('${args.path}') && tf.layers == null)) {
  throw new Error(
    '${pkg.name}: TensorFlow.js was not found on the global \`tf\` object (needed for ' +
    '"${args.path}"). Load TensorFlow.js first, e.g. <script src="tf.min.js"></script> (it has ' +
    'tfjs-layers, which the Layers API and the exporters need), or ' +
    'tf-core.min.js followed by tf-backend-cpu.min.js / tf-backend-webgl.min.js, and then ' +
    '${pkg.name}.min.js. From a bundler or Node, load the package by its name (${pkg.name}) ' +
    'instead of this file.');
}
module.exports = tf;
`,
      }));
    },
  };
}

/**
 * The converter, layers and export entries import '../index' for its side effects (kernel,
 * gradient and chained-op registration) and its ops; the export entry also imports the layers
 * (whose classes must be the ones the user's models are made of). Bundling them would register
 * everything a second time when two entries are loaded, so such imports are rewritten to the
 * built entries (`./index.js`, `./layers.js`, ...): `externals` maps a source entry (path under
 * src/, without extension) to the file that replaces it. Other src modules they import (ops,
 * kernel names, the integer graph) are side-effect free and get bundled.
 */
function entriesExternalPlugin(externals) {
  const targets = Object.entries(externals).map(([entry, file]) => [path.join(ROOT, 'src', entry), file]);
  return {
    name: 'entries-external',
    setup(build) {
      build.onResolve({filter: /^\./}, (args) => {
        const target = path.resolve(args.resolveDir, args.path).replace(/\.ts$/, '');
        for (const [entry, file] of targets) {
          if (target === entry || target === path.dirname(entry) && entry.endsWith('/index')) {
            return {path: file, external: true};
          }
        }
        return undefined;
      });
    },
  };
}

/**
 * The same for the second <script> bundle: the main entry is the first bundle, already loaded,
 * which exposes the package as the global `tfjsFakeQuant`.
 */
function mainBundleGlobalPlugin() {
  const mainEntry = path.join(ROOT, 'src', 'index');
  return {
    name: 'main-bundle-global',
    setup(build) {
      build.onResolve({filter: /^\./}, (args) => {
        const target = path.resolve(args.resolveDir, args.path).replace(/\.ts$/, '');
        if (target === mainEntry || target === path.dirname(mainEntry)) {
          return {path: 'tfjs-fake-quant', namespace: 'main-bundle-global'};
        }
        return undefined;
      });
      build.onLoad({filter: /.*/, namespace: 'main-bundle-global'}, () => ({
        loader: 'js',
        contents: `
var fq = typeof globalThis !== 'undefined' ? globalThis.tfjsFakeQuant : undefined;
if (fq == null) {
  throw new Error('${pkg.name}-layers: load ${pkg.name}.min.js (the ops) before this script, ' +
    'after tf.min.js.');
}
module.exports = fq;
`,
      }));
    },
  };
}

/** The per-backend entries (src/<backend>.ts -> `tfjs-fake-quant/<backend>`). */
const BACKENDS = ['cpu', 'webgl', 'webgpu', 'wasm'];

/**
 * The package's entries, each built as CommonJS and as an ES module (MODULE_FORMATS):
 *   source    the entry; tsc writes its declarations to dist/types/<source under src/>.d.ts
 *   loads     the entries it imports but loads at run time instead of bundling (source entry
 *             under src/, without extension -> built entry), so that nothing registers twice
 *   owns      the registering modules (paths under src/) it may bundle; every other one must be
 *             reached through the built entry that owns it
 *   noLayers  it must bundle no src/layers module (their classes are the layers entry's)
 *   internal  no subpath of its own (no .d.mts): core is only loaded by the other entries
 */
const MODULE_ENTRIES = [
  {name: 'core', source: 'src/core.ts', loads: {}, internal: true,
   owns: ['core.ts', 'tfjs_check.ts', 'chained_ops.ts', 'gradients/register.ts']},
  ...BACKENDS.map((name) => ({name, source: `src/${name}.ts`, loads: {core: 'core'},
                              owns: [`${name}.ts`, `kernels/${name}/register.ts`]})),
  {name: 'index', source: 'src/index.ts', owns: ['index.ts'],
   loads: Object.fromEntries(['core', ...BACKENDS].map((name) => [name, name]))},
  {name: 'converter', source: 'src/converter/index.ts', loads: {index: 'index'}},
  {name: 'layers', source: 'src/layers/index.ts', loads: {index: 'index'}},
  {name: 'export', source: 'src/export/index.ts', loads: {index: 'index', 'layers/index': 'layers'},
   noLayers: true},
];

/** dist/cjs/<name>.js and dist/esm/<name>.mjs. */
const MODULE_FORMATS = [
  {format: 'cjs', platform: 'node', ext: '.js'},
  {format: 'esm', platform: 'neutral', ext: '.mjs'},
];

/**
 * The <script> bundles, each as dist/<file>.js and dist/<file>.min.js:
 *   plugins  where tfjs (and the first bundle, for the second) come from: the page's globals
 *   owns     as for the entries; null: any (the first bundle is the whole package)
 *   globals  types/<globals>: the globals it defines, referenced by dist/<file>.min.d.ts
 */
const SCRIPT_BUNDLES = [
  {name: 'browser', source: 'src/browser.ts', file: 'tfjs-fake-quant', owns: null,
   plugins: [tfGlobalPlugin()], globals: 'globals.d.ts'},
  {name: 'browser layers', source: 'src/browser_layers.ts', file: 'tfjs-fake-quant-layers', owns: [],
   plugins: [tfGlobalPlugin(), mainBundleGlobalPlugin()], globals: 'globals-layers.d.ts'},
];

/** Every bundle, one row each: what esbuild builds (bundleOptions) and what it must not carry. */
const BUNDLES = [
  ...MODULE_ENTRIES.flatMap((entry) => MODULE_FORMATS.map(({format, platform, ext}) => ({
    label: `${format} ${entry.name}`,
    source: entry.source,
    format,
    platform,
    target: 'es2020',
    outfile: `dist/${format}/${entry.name}${ext}`,
    minify: false,
    packagesExternal: true,
    plugins: [entriesExternalPlugin(
        Object.fromEntries(Object.entries(entry.loads).map(([src, out]) => [src, `./${out}${ext}`])))],
    owns: entry.owns ?? [],
    noLayers: entry.noLayers ?? false,
  }))),
  ...SCRIPT_BUNDLES.flatMap((script) => ['', '.min'].map((suffix) => ({
    label: `${script.name}${suffix}`,
    source: script.source,
    format: 'iife',
    platform: 'browser',
    target: 'es2017',
    outfile: `dist/${script.file}${suffix}.js`,
    minify: suffix === '.min',
    packagesExternal: false,
    plugins: script.plugins,
    owns: script.owns,
    noLayers: false,
  }))),
];

/** Modules with registration side effects (or the import-time tfjs check). */
const SIDE_EFFECT_MODULES =
    /(^|\/)src\/((index|core|tfjs_check|chained_ops|cpu|webgl|webgpu|wasm)\.ts|.*\/register\.ts)$/;
/** The layer classes register themselves for serialization: one copy, in the layers entry. */
const LAYERS_MODULES = /(^|\/)src\/layers\//;

function assertOwnSideEffectsOnly(result, label, owned, forbidden = SIDE_EFFECT_MODULES) {
  const found = Object.keys(result.metafile.inputs)
      .filter((p) => forbidden.test(p) && !owned.some((o) => p === `src/${o}`));
  if (found.length > 0) {
    throw new Error(
        `${label}: bundles modules that register things (${found.join(', ')}) owned by another ` +
        'entry; import them only through their entry (src/core.ts, src/index.ts, src/layers/index.ts).');
  }
}

/** Strings that only occur inside tfjs sources (core, cpu backend, webgl backend). */
const TFJS_MARKERS = [
  '_tfengine',                 // tfjs-core engine.ts: the global engine slot
  'Cannot evaluate flag',      // tfjs-core environment.ts
  'Overwriting the platform',  // tfjs-core environment.ts (setPlatform)
  'version_cpu',               // tfjs-backend-cpu/src/version.ts
  'version_webgl',             // tfjs-backend-webgl/src/version.ts
  'gpgpu_util',                // tfjs-backend-webgl namespace
];
/** A copy of tfjs-core alone is > 300 kB minified; our code is a few kB. */
const MAX_BUNDLE_BYTES = 200 * 1024;

/** Runtime dependencies that the <script> bundles carry (they have no global of their own). */
const BUNDLED_DEPENDENCIES = /(^|\/)node_modules\/flatbuffers\//;

function assertNoTfjs(result, label) {
  const inputs = Object.keys(result.metafile.inputs);
  const bundled = inputs.filter((p) => /(^|\/)node_modules\//.test(p) && !BUNDLED_DEPENDENCIES.test(p));
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

/** The esbuild options of a row of BUNDLES. */
function bundleOptions(bundle) {
  return {
    absWorkingDir: ROOT,
    entryPoints: [bundle.source],
    bundle: true,
    format: bundle.format,
    platform: bundle.platform,
    target: bundle.target,
    outfile: bundle.outfile,
    minify: bundle.minify,
    ...(bundle.packagesExternal ? {packages: 'external'} : {}),
    plugins: bundle.plugins,
    // No source maps: without their sources they point nowhere, with them they doubled the
    // package. The CommonJS and ES module builds are not minified, so stack traces read as is.
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
    banner: {js: banner},
    legalComments: 'none',
  };
}

/** Builds one row of BUNDLES and checks what it bundled. */
async function buildBundle(bundle) {
  const result = await esbuild.build(bundleOptions(bundle));
  assertNoTfjs(result, bundle.label);
  if (bundle.owns) assertOwnSideEffectsOnly(result, bundle.label, bundle.owns);
  if (bundle.noLayers) assertOwnSideEffectsOnly(result, bundle.label, [], LAYERS_MODULES);
  return result;
}

/**
 * TypeScript reads a .d.ts of this package (no "type": "module") as CommonJS, which is wrong for
 * `import`: a default import would type-check, then fail in Node and bundlers. So each entry's
 * declarations get an ES module face (.d.mts, the "import" condition's types) that re-exports
 * them: one set of declarations, so a class is the same type from .mts and .cts files.
 */
function writeEsmDeclarations(entries) {
  for (const entry of entries) {
    const file = path.join(DIST, 'types', `${entry}.d.mts`);
    fs.writeFileSync(file, `export * from './${path.basename(entry)}.js';\n`);
  }
}

/** The package's declaration entries: package.json "types" and every "types" condition of "exports". */
function declarationEntries() {
  const found = [pkg.types];
  const walk = (node) => {
    if (node == null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'types' && typeof value === 'string') found.push(value);
      else walk(value);
    }
  };
  walk(pkg.exports);
  return [...new Set(found)].map((file) => path.join(ROOT, file));
}

/**
 * The declaration files (absolute paths) that the entries reach through their imports, exports,
 * import types and `/// <reference path>`s. A relative specifier or a reference that leads to no
 * file fails the build, naming both; package specifiers (@tensorflow/..., flatbuffers) are the
 * consumer's to resolve.
 */
function reachableDeclarations(entries) {
  const ts = require('typescript');
  const options = {moduleResolution: ts.ModuleResolutionKind.Node10};
  const reached = new Set();
  const pending = entries.map((file) => ({file, from: 'package.json'}));
  while (pending.length > 0) {
    const {file, from} = pending.pop();
    if (reached.has(file)) continue;
    if (!fs.existsSync(file)) {
      throw new Error(`${path.relative(ROOT, from)} refers to ${path.relative(ROOT, file)}, which is missing`);
    }
    reached.add(file);
    const {importedFiles, referencedFiles} = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const {fileName} of referencedFiles) {
      pending.push({file: path.resolve(path.dirname(file), fileName), from: file});
    }
    for (const {fileName: specifier} of importedFiles.filter(({fileName}) => fileName.startsWith('.'))) {
      const resolved = ts.resolveModuleName(specifier, file, options, ts.sys).resolvedModule;
      if (resolved == null || !resolved.resolvedFileName.startsWith(DIST + path.sep)) {
        throw new Error(`${path.relative(ROOT, file)} imports '${specifier}', which resolves to no ` +
                        'declaration file in dist/');
      }
      pending.push({file: path.resolve(resolved.resolvedFileName), from: file});
    }
  }
  return reached;
}

/**
 * tsc declares every module under src/; the package ships only the declarations its entries
 * reach (the kernels' internals, the wasm binaries and the shaders are no types a user can
 * name). The rest of dist/types is deleted, then the walk runs again to check that what is
 * left still resolves.
 */
function pruneDeclarations() {
  const entries = declarationEntries();
  const kept = reachableDeclarations(entries);
  removeUnlisted(path.join(DIST, 'types'), kept);
  reachableDeclarations(entries);
}

/** Deletes the files under `dir` not in `kept`, and the folders that leaves empty. */
function removeUnlisted(dir, kept) {
  for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removeUnlisted(file, kept);
      if (fs.readdirSync(file).length === 0) fs.rmdirSync(file);
    } else if (!kept.has(file)) {
      fs.rmSync(file);
    }
  }
}

/** dist/types: tsc's declarations, a .d.mts per subpath entry and the <script> bundles' globals. */
function writeTypes() {
  const tsc = require.resolve('typescript/bin/tsc');
  // No declaration maps: they would point at src/, which the package does not ship.
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--declarationMap', 'false'],
               {cwd: ROOT, stdio: 'inherit'});
  const entries = MODULE_ENTRIES.filter((e) => !e.internal)
                      .map((e) => path.relative('src', e.source).replace(/\.ts$/, ''));
  writeEsmDeclarations(entries);
  // The <script> bundles' globals, hand-written. The bundles' own types (named after them, so
  // that resolvers without "exports" find them too) export nothing, as the scripts do, and
  // pull the globals in.
  for (const {file, globals} of SCRIPT_BUNDLES) {
    fs.copyFileSync(path.join(ROOT, 'types', globals), path.join(DIST, 'types', globals));
    fs.writeFileSync(path.join(DIST, `${file}.min.d.ts`),
                     `/// <reference path="./types/${globals}" />\nexport {};\n`);
  }
  for (const types of entries.flatMap((e) => [`${e}.d.ts`, `${e}.d.mts`])) {
    if (!fs.existsSync(path.join(DIST, 'types', types))) {
      throw new Error(`tsc did not write dist/types/${types}`);
    }
  }
  pruneDeclarations();
}

async function main() {
  const noTypes = process.argv.includes('--no-types');
  const t0 = Date.now();
  fs.rmSync(DIST, {recursive: true, force: true});
  await require('./build-wasm').buildWasm();  // src/kernels/wasm/wasm_binaries.ts from its source

  const results = await Promise.all(BUNDLES.map(buildBundle));

  // A marker file so that Node treats dist/cjs/*.js as CommonJS whatever the root package says.
  fs.writeFileSync(path.join(DIST, 'cjs', 'package.json'), '{"type": "commonjs"}\n');

  if (!noTypes) writeTypes();

  for (const result of results) {
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
