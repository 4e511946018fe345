/**
 * `npm run bench:browser`: the webgl backend in Debian's headless Chromium (SwiftShader, i.e. WebGL
 * rendered on the CPU, on a machine without a GPU), driven by puppeteer-core. It first builds the
 * static page out/bench-page/ (index.html + bench.js, an esbuild IIFE bundle of
 * bench/browser_page.ts with tfjs and this package inside), then opens it over file:// and collects
 * the page's `RESULT` console lines. Prints a Markdown table on stdout (progress on stderr).
 *
 *   npm run bench:browser -- --quick          1e4 and 1e5 only, few rounds
 *   npm run bench:browser -- --json out.json  also write the results as JSON
 *   npm run bench:browser -- --save           write bench/results/webgl-<renderer>.json + README.md
 *   --sizes 1e4,1e6  --filter REGEX           a subset (ids as in bench_node.ts)
 *   --backend cpu|webgpu                      the page's cpu or webgpu backend (Chromium's WebGPU) instead of webgl
 *   --no-packed                               skip the variants with x and dy as packed textures
 *   --read-dx                                 also read one element of dx per gradient call
 *   --build-only                              only build out/bench-page/ (e.g. for gpu-chromium)
 *   --from-log FILE                           render a saved log (puppeteer-less: the output of
 *                                             gpu-chromium's run.sh or a chromium stderr log)
 *   --chrome PATH  --timeout SECONDS          browser binary (default $CHROME_BIN or
 *                                             /usr/bin/chromium), page time limit (default 1800)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {pathToFileURL} from 'url';

import * as esbuild from 'esbuild';
import puppeteer from 'puppeteer-core';

import {type BenchResult, type PageMessage, parseResultLine, renderMarkdown, resultFromMessages} from './report';
import {hostDescription, parseArgs, RESULTS_DIR, ROOT, sourceVersion, writeJson, writeResultsReadme} from './results_file';

const PAGE_DIR = path.join(ROOT, 'out', 'bench-page');
const CHROME_FLAGS =
    ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-gpu',
     '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

async function buildPage(): Promise<void> {
  fs.mkdirSync(PAGE_DIR, {recursive: true});
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, 'bench', 'browser_page.ts')],
    outfile: path.join(PAGE_DIR, 'bench.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    keepNames: true,  // program class names in the programNames field of the results
    legalComments: 'none',
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(ROOT, 'bench', 'page', 'index.html'), path.join(PAGE_DIR, 'index.html'));
  const kb = fs.statSync(path.join(PAGE_DIR, 'bench.js')).size / 1024;
  console.error(`built ${path.relative(ROOT, PAGE_DIR)}/ (index.html, bench.js ${kb.toFixed(0)} KiB)`);
}

function pageQuery(cli: ReturnType<typeof parseArgs>): string {
  const q = new URLSearchParams();
  if (cli.quick) q.set('quick', '1');
  if (cli.sizes) q.set('sizes', cli.sizes.map(String).join(','));
  if (cli.filter) q.set('filter', cli.filter);
  const backend = cli.extra.get('--backend');
  if (typeof backend === 'string') q.set('backend', backend);
  if (cli.extra.has('--no-packed')) q.set('packed', '0');
  if (cli.extra.has('--read-dx')) q.set('readDx', '1');
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function runInChromium(cli: ReturnType<typeof parseArgs>): Promise<PageMessage[]> {
  const chrome = String(cli.extra.get('--chrome') ?? process.env.CHROME_BIN ?? '/usr/bin/chromium');
  const timeoutS = Number(cli.extra.get('--timeout') ?? 1800);
  const url = pathToFileURL(path.join(PAGE_DIR, 'index.html')).href + pageQuery(cli);
  const browser = await puppeteer.launch({
    executablePath: chrome,
    headless: true,
    args: CHROME_FLAGS,
    // A long page.evaluate or slow protocol call must not be cut at puppeteer's default 180 s.
    protocolTimeout: (timeoutS + 120) * 1000,
  });
  const messages: PageMessage[] = [];
  try {
    const page = await browser.newPage();
    const finished = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
          () => reject(new Error(`the page did not finish within ${timeoutS} s`)), timeoutS * 1000);
      page.on('console', msg => {
        const text = msg.text();
        const m = parseResultLine(text);
        if (m) {
          messages.push(m);
          if (m.type === 'case') {
            console.error(`  n=${m.n} ${m.id}: ${m.medianMs.toPrecision(3)} ms`);
          } else if (m.type === 'check' && !m.ok) {
            console.error(`  CHECK FAILED n=${m.n} ${m.what}: ${m.detail}`);
          }
        } else if (text === 'DONE') {
          clearTimeout(timer);
          resolve();
        } else if (text.startsWith('progress: ')) {
          console.error(text.slice('progress: '.length));
        } else if (msg.type() === 'error' || msg.type() === 'warn') {
          console.error(`[page ${msg.type()}] ${text}`);
        }
      });
      page.on('pageerror', err => {
        clearTimeout(timer);
        reject(err);
      });
    });
    console.error(`opening ${url}`);
    await page.goto(url, {waitUntil: 'load'});
    await finished;
  } finally {
    await browser.close();
  }
  return messages;
}

function resultFileName(res: BenchResult): string {
  if (res.meta.backend !== 'webgl') return `${res.meta.backend}-browser.json`;
  const renderer = String(res.meta.details.renderer ?? '');
  if (/swiftshader/i.test(renderer)) return 'webgl-swiftshader.json';
  const vendor = /nvidia/i.test(renderer) ? 'nvidia' : renderer.split(/[ (,]/)[0] || 'unknown';
  return `webgl-${vendor.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.json`;
}

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2), {
    '--build-only': false, '--from-log': true, '--backend': true, '--no-packed': false,
    '--read-dx': false, '--chrome': true, '--timeout': true,
  });
  let messages: PageMessage[];
  const fromLog = cli.extra.get('--from-log');
  if (typeof fromLog === 'string') {
    messages = fs.readFileSync(fromLog, 'utf8').split('\n').map(parseResultLine)
                   .filter((m): m is PageMessage => m != null);
  } else {
    const source = sourceVersion();  // of the sources being bundled now
    await buildPage();
    if (cli.extra.has('--build-only')) {
      console.error(`open ${path.relative(ROOT, PAGE_DIR)}/index.html (options: ?quick, ?sizes=, ` +
                    `?filter=, ?backend=); for a real GPU see bench/README.md`);
      return;
    }
    const loadStart = os.loadavg()[0];
    messages = await runInChromium(cli);
    const meta = messages.find(m => m.type === 'meta');
    if (meta && meta.type === 'meta') {
      meta.details.hostLoadAvg1mAtStart = Number(loadStart.toFixed(2));
      meta.details.hostLoadAvg1mAtEnd = Number(os.loadavg()[0].toFixed(2));
      meta.details.host = hostDescription();
      meta.details.chromiumFlags = CHROME_FLAGS.join(' ');
      meta.details.source = source;
    }
  }
  const res = resultFromMessages(messages);
  console.log(renderMarkdown(res));
  if (cli.json) writeJson(cli.json, res);
  if (cli.save) {
    writeJson(path.join(RESULTS_DIR, resultFileName(res)), res);
    writeResultsReadme();
  }
  if (res.checks.some(c => !c.ok)) process.exitCode = 1;
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
