/**
 * The webgpu test project, run by scripts/test-webgpu.js (which sets up the Vulkan driver Dawn
 * needs). Test files are named *.webgpu.ts so that the main jest project (test/**\/*.test.ts)
 * never picks them up without a GPU.
 */
module.exports = {
  rootDir: '../..',
  displayName: 'webgpu',
  testEnvironment: '<rootDir>/test/webgpu/environment.js',
  testMatch: ['<rootDir>/test/webgpu/**/*.webgpu.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/webgpu/setup.ts'],
  transform: {'^.+\\.ts$': ['ts-jest', {tsconfig: 'tsconfig.jest.json'}]},
  testTimeout: 600000,
};
