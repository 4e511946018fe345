/**
 * `npm run bench`: the cpu backend in Node. Prints a Markdown table on stdout (progress on stderr).
 *
 *   npm run bench -- --quick                 1e4 and 1e5 only, few rounds (< 1 min)
 *   npm run bench -- --json out.json         also write the results as JSON
 *   npm run bench -- --save                  write bench/results/cpu.json and README.md
 *   npm run bench -- --sizes 1e6 --filter grad   a subset (case ids: ours.grad, composite.grad.*,
 *                                            floor.mulSum, ours.fwd, composite.fwd.*, loop.*)
 *   --machine "text"                         how to describe the machine in the results
 */
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {defaultOptions, runBench} from './harness';
import {BenchResult, evaluateGoals, renderMarkdown, sizeLabel} from './report';
import {hostDescription, parseArgs, RESULTS_DIR, sourceVersion, writeJson, writeResultsReadme} from './results_file';

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2));
  await tf.setBackend('cpu');
  await tf.ready();
  const opts = {
    ...defaultOptions('cpu', cli.quick, 'node'),
    ...(cli.sizes ? {sizes: cli.sizes} : {}),
    filter: cli.filter ? new RegExp(cli.filter) : undefined,
    log: (m: string) => console.error(m),
  };
  const cpus = os.cpus();
  const machine = cli.machine ?? `${hostDescription()} (${os.platform()} ${os.release()})`;
  console.error(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}, sizes ${
      opts.sizes.map(sizeLabel).join(', ')}${cli.quick ? ' (quick)' : ''}`);
  const source = sourceVersion();
  const loadAvg1mAtStart = Number(os.loadavg()[0].toFixed(2));
  const t0 = performance.now();
  const {results, checks} = await runBench({
    ...opts,
    onCheck: c => {
      if (!c.ok) console.error(`CHECK FAILED n=${sizeLabel(c.n)} ${c.what}: ${c.detail}`);
    },
  });
  const res: BenchResult = {
    meta: {
      backend: 'cpu',
      machine,
      details: {
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        logicalCpus: cpus.length,
        totalMemGB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
        loadAvg1mAtStart,
        loadAvg1mAtEnd: Number(os.loadavg()[0].toFixed(2)),
        node: process.version,
        tfjs: tf.version.tfjs,
        runtime: 'Node (tfjs cpu backend, pure JS)',
        source,
      },
      date: new Date().toISOString(),
      quick: cli.quick,
      sizes: opts.sizes,
      options: {
        warmupMs: opts.warmupMs, minWarmCalls: opts.minWarmCalls, minRounds: opts.minRounds,
        maxRounds: opts.maxRounds, sizeBudgetMs: opts.sizeBudgetMs,
        targetSampleMs: opts.targetSampleMs, numBits: opts.numBits, narrowRange: opts.narrowRange,
        ...(cli.filter ? {filter: cli.filter} : {}),
      },
      totalSeconds: (performance.now() - t0) / 1000,
    },
    results,
    checks,
  };
  res.goals = evaluateGoals(res);
  console.log(renderMarkdown(res));
  if (cli.json) writeJson(cli.json, res);
  if (cli.save) {
    writeJson(path.join(RESULTS_DIR, 'cpu.json'), res);
    writeResultsReadme();
  }
  if (checks.some(c => !c.ok)) process.exitCode = 1;
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
