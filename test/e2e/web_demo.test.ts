/**
 * End-to-end: the browser demo (`npm run demo:web`, examples/web/) in headless Chromium on
 * SwiftShader WebGL. Serves the page on 127.0.0.1, runs a short QAT run (1,000 training digits,
 * 1 float epoch, 1 QAT epoch per bit width), waits for it to finish, checks the table on the page
 * against the results the page exposes, and keeps a screenshot in test-output/e2e/web_demo.png.
 * The QAT 8-bit model's .tflite export: the download link's file (read back from its Blob URL) is
 * a TFLite flatbuffer, and TFLite's interpreter in the page (LiteRT.js, served from node_modules)
 * scores within 0.3 points of the QAT model on the same test digits.
 *
 * Needs Chromium at /usr/bin/chromium (or $CHROME_BIN).
 */
import * as fs from 'fs';
import * as path from 'path';

import type {Browser} from 'puppeteer-core';

const ROOT = path.resolve(__dirname, '../..');
const OUT_DIR = path.join(ROOT, 'test-output', 'e2e');
const SCREENSHOT = path.join(OUT_DIR, 'web_demo.png');
const CHROME = process.env.CHROME_BIN || '/usr/bin/chromium';
const RUN = '?epochs=1&qatEpochs=1&train=1000&bits=8,4&autostart=1';
/** The page's test split (TEST_SIZE in examples/web/main.ts). */
const TEST_DIGITS = 2000;

interface Results {
  float: number;
  ptq: {[bits: string]: number};
  qat: {[bits: string]: number};
}

/** What examples/web/main.ts puts on the page's window. */
interface DemoWindow {
  qatResults?: Results;
  qatError?: string;
  qatMemory?: {numTensors: number; numBytes: number};
  tfliteResult?: {bytes: number; accuracy: number};
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const {start} = require('../../examples/web/serve.js') as {
  start(o: {port: number; quiet: boolean}): Promise<{url: string; close(): Promise<void>}>;
};

let server: {url: string; close(): Promise<void>}|undefined;
let browser: Browser|undefined;

beforeAll(async () => {
  server = await start({port: 0, quiet: true});
  const puppeteer = await import('puppeteer-core');
  browser = await puppeteer.launch({
    executablePath: CHROME,
    headless: true,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
}, 60000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('browser demo (examples/web)', () => {
  it('runs a short QAT run on webgl and shows the final table', async () => {
    if (browser == null || server == null) throw new Error('not started');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await browser.newPage();
    await page.setViewport({width: 1100, height: 900});
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(server.url + RUN, {waitUntil: 'load'});
    await page.waitForFunction(
        () => document.body.dataset.state === 'done' || document.body.dataset.state === 'error',
        {timeout: 150000, polling: 500});
    const state = await page.evaluate(() => ({
      state: document.body.dataset.state,
      error: (window as DemoWindow).qatError,
      results: (window as DemoWindow).qatResults,
      memory: (window as DemoWindow).qatMemory,
      tflite: (window as DemoWindow).tfliteResult,
      backend: (document.getElementById('log') as HTMLElement).textContent?.match(/backend (\w+)/)?.[1],
      rows: Array.from(document.querySelectorAll('#results tbody tr')).map((tr) => ({
        run: (tr as HTMLElement).dataset.run,
        accuracy: Number((tr as HTMLElement).dataset.accuracy),
        cells: Array.from(tr.querySelectorAll('td')).map((td) => td.textContent),
      })),
    }));
    const download = await page.evaluate(async () => {
      const link = document.getElementById('tfliteDownload') as HTMLAnchorElement;
      const bytes = new Uint8Array(await (await fetch(link.href)).arrayBuffer());
      return {
        shown: !(document.getElementById('tflite') as HTMLElement).hidden,
        blob: link.href.startsWith('blob:'),
        name: link.download,
        bytes: bytes.length,
        identifier: String.fromCharCode(...bytes.subarray(4, 8)),
      };
    });
    fs.mkdirSync(OUT_DIR, {recursive: true});
    await page.screenshot({path: SCREENSHOT, fullPage: true});

    expect({state: state.state, error: state.error, pageErrors: errors})
        .toEqual({state: 'done', error: undefined, pageErrors: []});
    expect(state.backend).toBe('webgl');
    const r = state.results as Results;
    expect(Object.keys(r.ptq).sort()).toEqual(['4', '8']);
    expect(Object.keys(r.qat).sort()).toEqual(['4', '8']);
    for (const a of [r.float, ...Object.values(r.ptq), ...Object.values(r.qat)]) {
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThanOrEqual(1);
    }
    // One short epoch on 1,000 digits: far above chance (0.1), and 8-bit close to float.
    expect(r.float).toBeGreaterThan(0.6);
    expect(Math.abs(r.ptq['8'] - r.float)).toBeLessThan(0.03);
    expect(r.qat['8']).toBeGreaterThan(0.6);
    expect(r.qat['4']).toBeGreaterThan(0.5);
    // The table shows the same numbers.
    expect(state.rows.map((row) => row.run)).toEqual(['float', 'ptq8', 'ptq4', 'qat8', 'qat4', 'tflite8']);
    const tflite = state.tflite as {bytes: number; accuracy: number};
    const expected: {[run: string]: number} = {
      float: r.float, ptq8: r.ptq['8'], ptq4: r.ptq['4'], qat8: r.qat['8'], qat4: r.qat['4'], tflite8: tflite.accuracy,
    };
    for (const row of state.rows) {
      expect(row.accuracy).toBe(expected[row.run as string]);
      expect(row.cells[1]).toBe(`${(100 * expected[row.run as string]).toFixed(2)}%`);
    }
    // The .tflite file: offered as a Blob download, TFL3 identifier, the size the page reports.
    expect(download).toEqual({shown: true, blob: true, name: 'mnist_qat8.tflite', bytes: tflite.bytes, identifier: 'TFL3'});
    expect(tflite.bytes).toBeGreaterThan(1000);
    // TFLite's interpreter on the int8 file agrees with the QAT model (2,000 test digits: 0.3
    // points is 6 digits; the two differ only where an activation sits on a rounding tie).
    const digitsApart = Math.round(Math.abs(tflite.accuracy - r.qat['8']) * TEST_DIGITS);
    expect(digitsApart).toBeLessThanOrEqual(0.003 * TEST_DIGITS);
    expect(state.memory?.numTensors).toBe(0);
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10000);
    await page.close();
  }, 180000);
});
