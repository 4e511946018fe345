/**
 * `tfjs-fake-quant/converter`: importing this entry makes graph models run TF's fake-quant nodes
 * quantized. tfjs-converter maps ops when a model loads, so import this BEFORE `loadGraphModel`.
 * Without it FakeQuantWithMinMaxVars runs as Identity and the other two fail as unknown ops.
 */
import {registerOp} from '@tensorflow/tfjs-converter';

import '../index';
import {registerGraphExecutors, type RegisterOp} from './executors';

export {graphExecutors, type FakeQuantGraphNode} from './executors';

registerGraphExecutors(registerOp as unknown as RegisterOp);
