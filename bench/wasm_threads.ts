/**
 * tfjs's threaded wasm build and our kernels (issue 16). In Node the backend never picks that
 * build (WASM_HAS_MULTITHREAD_SUPPORT is false there), and forcing it fails: its pthread workers
 * are created from a blob: URL, which Node's worker_threads refuses. So this runs the harness's
 * wasm cases in Debian's headless Chromium, on a page served from 127.0.0.1 with COOP/COEP
 * headers (cross-origin isolated: SharedArrayBuffer), once on the plain SIMD build and once per
 * thread count on the threaded one, and prints, per size, ours and the stock-op rows side by side.
 * Our kernels run single-threaded on either build (on the threaded one, the shared-memory module).
 * tfjs caps XNNPACK's pool at min(requested, 8, navigator.hardwareConcurrency / 2) threads (its
 * backend.cc): each run's setup line says how many it got (`threads`, getThreadsCount()).
 *
 *   node scripts/run-ts.js bench/wasm_threads.ts [--threads 1,2] [--sizes 1e5,1e6,4e6]
 *                                                [--chrome /usr/bin/chromium]
 */
import * as fs from 'fs';
import * as http from 'http';
import type {AddressInfo} from 'net';
import * as path from 'path';

import * as esbuild from 'esbuild';
import puppeteer from 'puppeteer-core';

import {bestComposite, type CaseResult, type Check, sizeLabel} from './report';
import {ROOT} from './results_file';

const PAGE_DIR = path.join(ROOT, 'out', 'wasm-threads-page');
const WASM_DIR = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function buildPage(): Promise<void> {
  fs.mkdirSync(PAGE_DIR, {recursive: true});
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, 'bench', 'wasm_threads_page.ts')],
    outfile: path.join(PAGE_DIR, 'page.js'),
    bundle: true, format: 'iife', platform: 'browser', target: 'es2020', minify: true,
    logLevel: 'warning',
  });
  fs.writeFileSync(path.join(PAGE_DIR, 'index.html'),
                   '<!doctype html><meta charset="utf-8"><script src="page.js"></script>\n');
}

/** The page and tfjs's .wasm files, cross-origin isolated, on a loopback port. */
function serve(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file = url.pathname.startsWith('/wasm/') ?
        path.join(WASM_DIR, path.basename(url.pathname)) :
        path.join(PAGE_DIR, url.pathname === '/' ? 'index.html' : path.basename(url.pathname));
    const type = file.endsWith('.wasm') ? 'application/wasm' :
        file.endsWith('.js') ? 'text/javascript' : 'text/html';
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': type, 'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    res.end(fs.readFileSync(file));
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface PageRun {
  setup: Record<string, unknown>;
  results: CaseResult[];
  checks: Check[];
}

async function runPage(origin: string, threads: number, sizes: string, chrome: string): Promise<PageRun> {
  const browser = await puppeteer.launch({executablePath: chrome, headless: true, args: ['--no-sandbox'],
                                         protocolTimeout: 1800000});
  try {
    const page = await browser.newPage();
    const done = new Promise<PageRun>((resolve, reject) => {
      page.on('console', msg => {
        const text = msg.text();
        if (!text.startsWith('RESULT ')) return;
        const m = JSON.parse(text.slice(7));
        if (m.type === 'done') resolve(m); else reject(new Error(`page: ${m.message}`));
      });
      page.on('pageerror', e => reject(e));
    });
    await page.goto(`${origin}/index.html?threads=${threads}&sizes=${sizes}`);
    return await done;
  } finally {
    await browser.close();
  }
}

function row(run: PageRun, label: string, n: number): string {
  const find = (id: string) => run.results.find(r => r.n === n && r.id === id);
  const [grad, floor, fwd] = ['ours.grad', 'floor.mulSum', 'ours.fwd'].map(find);
  const compositeGrad = bestComposite(run.results, n, 'gradient');
  const compositeFwd = bestComposite(run.results, n, 'forward');
  const ms = (r?: CaseResult) => r?.medianMs.toPrecision(3) ?? '—';
  const ratio = (a?: CaseResult, b?: CaseResult) =>
      a && b ? `${(a.medianMs / b.medianMs).toFixed(2)}×` : '—';
  return `| ${sizeLabel(n)} | ${label} | ${ms(grad)} | ${ms(floor)} | ${ms(compositeGrad)} | ` +
      `${ms(fwd)} | ${ms(compositeFwd)} | ${ratio(grad, floor)} | ${ratio(compositeGrad, grad)} | ` +
      `${ratio(compositeFwd, fwd)} |`;
}

async function main(): Promise<void> {
  const threadCounts = argValue('--threads', '1,2').split(',').map(Number);
  const sizes = argValue('--sizes', '1e5,1e6,4e6');
  const chrome = argValue('--chrome', process.env.CHROME_BIN ?? '/usr/bin/chromium');
  await buildPage();
  const server = await serve();
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const runs: Array<[string, PageRun]> = [];
  try {
    for (const threads of [0, ...threadCounts]) {
      console.error(`running ${threads === 0 ? 'the plain SIMD build' : `${threads} threads`}…`);
      const run = await runPage(origin, threads, sizes, chrome);
      console.error(JSON.stringify(run.setup));
      runs.push([threads === 0 ? 'SIMD build' : `threaded, ${threads}`, run]);
    }
  } finally {
    server.close();
  }
  console.log('| n | build | ours grad ms | mul+sum ms | composite grad ms | ours fwd ms | ' +
              'composite fwd ms | grad ÷ mul+sum | composite ÷ grad | composite ÷ fwd |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const ns = [...new Set(runs[0][1].results.map(r => r.n))];
  for (const n of ns) {
    for (const [label, run] of runs) console.log(row(run, label, n));
  }
  for (const [label, run] of runs) {
    const failed = run.checks.filter(c => !c.ok).map(c => `${sizeLabel(c.n)} ${c.what}: ${c.detail}`);
    console.log(`\n${label}: ${JSON.stringify(run.setup)}; sanity checks ` +
                `${run.checks.length - failed.length}/${run.checks.length} ok` +
                (failed.length ? `; failed: ${failed.join('; ')}` : ''));
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
