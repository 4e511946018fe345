import {KernelConfig, registerKernel} from '@tensorflow/tfjs-core';

import {fakeQuantWithMinMaxVarsConfig} from './FakeQuantWithMinMaxVars';
import {fakeQuantWithMinMaxVarsGradientConfig} from './FakeQuantWithMinMaxVarsGradient';

export const cpuKernelConfigs: KernelConfig[] = [
  fakeQuantWithMinMaxVarsConfig,
  fakeQuantWithMinMaxVarsGradientConfig,
];

for (const config of cpuKernelConfigs) registerKernel(config);
