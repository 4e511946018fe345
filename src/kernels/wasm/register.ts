import {KernelConfig, registerKernel} from '@tensorflow/tfjs-core';

import {fakeQuantWithMinMaxArgsConfig} from './FakeQuantWithMinMaxArgs';
import {fakeQuantWithMinMaxArgsGradientConfig} from './FakeQuantWithMinMaxArgsGradient';
import {fakeQuantWithMinMaxVarsConfig} from './FakeQuantWithMinMaxVars';
import {fakeQuantWithMinMaxVarsGradientConfig} from './FakeQuantWithMinMaxVarsGradient';
import {fakeQuantWithMinMaxVarsPerChannelConfig} from './FakeQuantWithMinMaxVarsPerChannel';
import {fakeQuantWithMinMaxVarsPerChannelGradientConfig} from './FakeQuantWithMinMaxVarsPerChannelGradient';

export const wasmKernelConfigs: KernelConfig[] = [
  fakeQuantWithMinMaxArgsConfig,
  fakeQuantWithMinMaxArgsGradientConfig,
  fakeQuantWithMinMaxVarsConfig,
  fakeQuantWithMinMaxVarsGradientConfig,
  fakeQuantWithMinMaxVarsPerChannelConfig,
  fakeQuantWithMinMaxVarsPerChannelGradientConfig,
];

for (const config of wasmKernelConfigs) registerKernel(config);
