/**
 * One jest test file for a Stryker part (stryker.config.mjs `oneFile`): it loads the part's test
 * files, named in TFJS_FAKE_QUANT_MUTATION_TESTS, into one module registry, so each mutant's run
 * loads tfjs and the sources once instead of once per file (three quarters of a layers run).
 */
const tests = process.env.TFJS_FAKE_QUANT_MUTATION_TESTS;
if (tests == null || tests === '') {
  throw new Error('test/mutation/entry.ts runs under Stryker only: TFJS_FAKE_QUANT_MUTATION_TESTS is not set');
}
for (const file of tests.split(',')) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(`../../${file}`);
}
