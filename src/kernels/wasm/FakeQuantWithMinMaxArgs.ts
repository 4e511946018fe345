import {FakeQuantWithMinMaxArgs} from '../../kernel_names';
import {FAKE_QUANT_KERNEL_SPECS} from '../kernel_spec';
import {wasmKernelConfig} from './wasm_util';

export const fakeQuantWithMinMaxArgsConfig = wasmKernelConfig(FAKE_QUANT_KERNEL_SPECS[FakeQuantWithMinMaxArgs]);
