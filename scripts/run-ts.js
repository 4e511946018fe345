#!/usr/bin/env node
/**
 * Runs a TypeScript entry point in Node: bundles it with esbuild (platform node, CommonJS, every
 * package external, so tfjs is loaded from node_modules exactly once) into out/<name>.js and runs
 * that with the current node, forwarding extra arguments and the exit code. No type checking:
 * `npm run typecheck` does that.
 *
 * Usage: node scripts/run-ts.js <entry.ts> [args...]
 */
'use strict';

const path = require('path');
const {spawnSync} = require('child_process');
const esbuild = require('esbuild');

const ROOT = path.resolve(__dirname, '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.js <entry.ts> [args...]');
  process.exit(2);
}

const entryPath = path.resolve(entry);
const rel = path.relative(ROOT, entryPath).replace(/\.[cm]?tsx?$/, '');
const outfile = path.join(ROOT, 'out', `${rel.split(path.sep).join('_')}.js`);

esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: [entryPath],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
}).then(() => {
  const r = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...args], {stdio: 'inherit'});
  if (r.error) throw r.error;
  process.exit(r.status ?? (r.signal ? 1 : 0));
}).catch((err) => {
  console.error(err && err.message ? err.message : err);
  process.exit(1);
});
