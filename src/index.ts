/**
 * tfjs-fake-quant: TensorFlow's fake-quantization ops for TensorFlow.js. Importing this module
 * registers the kernels (cpu, webgl, webgpu, wasm), the gradients and the chained tensor methods.
 */
import './kernels/cpu/register';
import './kernels/webgl/register';
import './kernels/webgpu/register';
import './kernels/wasm/register';
import './gradients/register';
import './chained_ops';

export * from './kernel_names';
export {quantRange, nudge, NudgedRange, QuantRange} from './quant/nudge';
export {fakeQuantWithMinMaxArgs} from './ops/fake_quant_with_min_max_args';
export {fakeQuantWithMinMaxArgsGradient} from './ops/fake_quant_with_min_max_args_gradient';
export {fakeQuantWithMinMaxVars} from './ops/fake_quant_with_min_max_vars';
export {fakeQuantWithMinMaxVarsGradient, FakeQuantWithMinMaxVarsGradientResult} from './ops/fake_quant_with_min_max_vars_gradient';
export {fakeQuantWithMinMaxVarsPerChannel} from './ops/fake_quant_with_min_max_vars_per_channel';
export {fakeQuantWithMinMaxVarsPerChannelGradient, FakeQuantWithMinMaxVarsPerChannelGradientResult} from './ops/fake_quant_with_min_max_vars_per_channel_gradient';
