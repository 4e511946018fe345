import {GradConfig, registerGradient} from '@tensorflow/tfjs-core';

import {fakeQuantWithMinMaxVarsGradConfig} from './FakeQuantWithMinMaxVars_grad';

export const gradConfigs: GradConfig[] = [fakeQuantWithMinMaxVarsGradConfig];

for (const config of gradConfigs) registerGradient(config);
