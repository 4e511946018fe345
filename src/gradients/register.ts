import {GradConfig, registerGradient} from '@tensorflow/tfjs-core';

import {fakeQuantWithMinMaxArgsGradConfig} from './FakeQuantWithMinMaxArgs_grad';
import {fakeQuantWithMinMaxVarsGradConfig} from './FakeQuantWithMinMaxVars_grad';
import {fakeQuantWithMinMaxVarsPerChannelGradConfig} from './FakeQuantWithMinMaxVarsPerChannel_grad';

export const gradConfigs: GradConfig[] = [
  fakeQuantWithMinMaxArgsGradConfig,
  fakeQuantWithMinMaxVarsGradConfig,
  fakeQuantWithMinMaxVarsPerChannelGradConfig,
];

for (const config of gradConfigs) registerGradient(config);
