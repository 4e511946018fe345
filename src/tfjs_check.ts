/**
 * Fails the import, with one message that says what to do, when the loaded @tensorflow/tfjs-core
 * cannot work with this package: a version outside the supported range, or a second copy of
 * tfjs-core (e.g. `@tensorflow/tfjs@4.21.0` next to this package's 4.22 peer). Two copies share
 * tfjs's global engine but not its Tensor class, so chained methods, kernels and tfjs-layers
 * would silently go missing later instead.
 */
import {Tensor, version_core} from '@tensorflow/tfjs-core';

/** The tfjs-core releases this package supports (package.json peerDependencies). */
export const SUPPORTED_TFJS_CORE = '~4.22.0';

const FIX = 'Install one TensorFlow.js version in that range (e.g. `npm install @tensorflow/tfjs@4.22` ' +
    'or @tensorflow/tfjs-core and the backends you use at 4.22), then check that ' +
    '`npm ls @tensorflow/tfjs-core` lists a single copy.';

/** Whether `version` (x.y.z) is in a tilde range `~x.y.z`: same major and minor, patch >= z. */
export function inTildeRange(version: string, range: string): boolean {
  const parse = (v: string) => v.replace(/^~/, '').split(/[.+-]/).slice(0, 3).map(Number);
  const [major, minor, patch] = parse(version);
  const [wantMajor, wantMinor, wantPatch] = parse(range);
  return major === wantMajor && minor === wantMinor && patch >= wantPatch;
}

/**
 * The problem with the loaded tfjs-core, or null. `sharedTensorClass` is the Tensor class in
 * tfjs's global registry (set by the first tfjs-core copy that loaded), `ownTensorClass` the one
 * of the copy this package imports.
 */
export function tfjsCoreProblem(
    version: string, sharedTensorClass: unknown, ownTensorClass: unknown): string|null {
  if (!inTildeRange(version, SUPPORTED_TFJS_CORE)) {
    return `tfjs-fake-quant supports @tensorflow/tfjs-core ${SUPPORTED_TFJS_CORE}, but ${version} ` +
        `is loaded. ${FIX}`;
  }
  if (sharedTensorClass != null && sharedTensorClass !== ownTensorClass) {
    return `tfjs-fake-quant found two copies of @tensorflow/tfjs-core: ${version} (the one it ` +
        'imports) and another that loaded first, usually through @tensorflow/tfjs at a version ' +
        `outside ${SUPPORTED_TFJS_CORE}. They would not share kernels, chained methods or ` +
        `tfjs-layers. ${FIX}`;
  }
  return null;
}

/** tfjs-core keeps its process-wide singletons (engine, Tensor class) in this global map. */
function sharedTensorClass(): unknown {
  const globals = (globalThis as {_tfGlobals?: Map<string, unknown>})._tfGlobals;
  return globals?.get('Tensor');
}

const problem = tfjsCoreProblem(version_core, sharedTensorClass(), Tensor);
if (problem != null) throw new Error(problem);
