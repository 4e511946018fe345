import {FakeQuantWithMinMaxArgsGradient} from '../../kernel_names';
import {FAKE_QUANT_KERNEL_SPECS} from '../kernel_spec';
import {webglKernelConfig} from './fake_quant_webgl';

export const fakeQuantWithMinMaxArgsGradientConfig = webglKernelConfig(FAKE_QUANT_KERNEL_SPECS[FakeQuantWithMinMaxArgsGradient]);
