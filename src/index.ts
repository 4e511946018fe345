/**
 * tfjs-fake-quant: TensorFlow's fake-quantization ops for TensorFlow.js. Importing this module
 * registers the kernels (cpu, webgl) and the gradients.
 */
import './kernels/cpu/register';
import './kernels/webgl/register';
import './gradients/register';

export * from './kernel_names';
export {quantRange, nudge, NudgedRange, QuantRange} from './quant/nudge';
export {fakeQuantWithMinMaxVars} from './ops/fake_quant_with_min_max_vars';
export {fakeQuantWithMinMaxVarsGradient, FakeQuantWithMinMaxVarsGradientResult} from './ops/fake_quant_with_min_max_vars_gradient';
