/**
 * The import-time tfjs-core check (src/tfjs_check.ts) as a function: the supported range is the
 * one package.json promises, versions are compared as npm's tilde ranges do, and each problem
 * gets a message that says what to do. (test/node/package_exports.test.ts runs the check itself:
 * the packed package imported next to a 4.21.0 tfjs-core, alone and as a second copy.)
 */
import * as path from 'path';

import {Tensor} from '@tensorflow/tfjs-core';

import {inTildeRange, SUPPORTED_TFJS_CORE, tfjsCoreProblem} from '../../src/tfjs_check';

const pkg = require(path.join(__dirname, '../../package.json'));

describe('tfjs-core check', () => {
  it('supports the peerDependencies range', () => {
    expect(SUPPORTED_TFJS_CORE).toBe(pkg.peerDependencies['@tensorflow/tfjs-core']);
    for (const dep of Object.keys(pkg.peerDependencies)) {
      expect([dep, pkg.peerDependencies[dep]]).toEqual([dep, SUPPORTED_TFJS_CORE]);
    }
  });

  it('reads ~x.y.z as npm does: same major and minor, patch at least z', () => {
    // npm semver: ~4.22.0 := >=4.22.0 <4.23.0-0
    const cases: Array<[string, boolean]> = [
      ['4.22.0', true], ['4.22.7', true], ['4.21.0', false], ['4.23.0', false], ['5.22.0', false],
      ['3.22.0', false], ['4.2.0', false], ['4.220.0', false],
    ];
    for (const [version, expected] of cases) {
      expect([version, inTildeRange(version, '~4.22.0')]).toEqual([version, expected]);
    }
    expect(inTildeRange('4.22.0', '~4.22.1')).toBe(false);
  });

  it('accepts the installed tfjs-core, alone', () => {
    expect(tfjsCoreProblem('4.22.0', Tensor, Tensor)).toBeNull();
    expect(tfjsCoreProblem('4.22.0', undefined, Tensor)).toBeNull();
  });

  it('names the loaded version and the fix for an unsupported one', () => {
    const message = tfjsCoreProblem('4.21.0', Tensor, Tensor);
    expect(message).toContain('supports @tensorflow/tfjs-core ~4.22.0, but 4.21.0 is loaded');
    expect(message).toContain('npm install @tensorflow/tfjs@4.22');
    expect(message).toContain('npm ls @tensorflow/tfjs-core');
  });

  it('reports a second copy of tfjs-core (another Tensor class registered first)', () => {
    class OtherTensor {}
    const message = tfjsCoreProblem('4.22.0', OtherTensor, Tensor);
    expect(message).toContain('two copies of @tensorflow/tfjs-core');
    expect(message).toContain('npm ls @tensorflow/tfjs-core');
  });
});
