import {KernelConfig, registerKernel} from '@tensorflow/tfjs-core';

import {fakeQuantWithMinMaxVarsConfig} from './FakeQuantWithMinMaxVars';
import {fakeQuantWithMinMaxVarsGradientConfig} from './FakeQuantWithMinMaxVarsGradient';

export const webglKernelConfigs: KernelConfig[] = [
  fakeQuantWithMinMaxVarsConfig,
  fakeQuantWithMinMaxVarsGradientConfig,
];

for (const config of webglKernelConfigs) registerKernel(config);
