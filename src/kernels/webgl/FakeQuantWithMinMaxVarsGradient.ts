import {FakeQuantWithMinMaxVarsGradient} from '../../kernel_names';
import {FAKE_QUANT_KERNEL_SPECS} from '../kernel_spec';
import {webglKernelConfig} from './fake_quant_webgl';

export const fakeQuantWithMinMaxVarsGradientConfig = webglKernelConfig(FAKE_QUANT_KERNEL_SPECS[FakeQuantWithMinMaxVarsGradient]);
