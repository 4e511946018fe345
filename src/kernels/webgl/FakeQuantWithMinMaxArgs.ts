import {FakeQuantWithMinMaxArgs} from '../../kernel_names';
import {FAKE_QUANT_KERNEL_SPECS} from '../kernel_spec';
import {webglKernelConfig} from './fake_quant_webgl';

export const fakeQuantWithMinMaxArgsConfig = webglKernelConfig(FAKE_QUANT_KERNEL_SPECS[FakeQuantWithMinMaxArgs]);
