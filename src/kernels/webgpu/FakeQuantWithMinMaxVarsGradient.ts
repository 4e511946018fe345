import {FakeQuantWithMinMaxVarsGradient} from '../../kernel_names';
import {FAKE_QUANT_KERNEL_SPECS} from '../kernel_spec';
import {webgpuKernelConfig} from './fake_quant_webgpu';

export const fakeQuantWithMinMaxVarsGradientConfig = webgpuKernelConfig(FAKE_QUANT_KERNEL_SPECS[FakeQuantWithMinMaxVarsGradient]);
