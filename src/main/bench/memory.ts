import { initBackend, type BackendChoice } from '../engine/backend';
import { inlineExecutor } from '../engine/executor';
import { runImp } from '../engine/imp';
import { emptyResumeState, type ExperimentSink } from '../engine/types';
import { benchData, benchSpec, NET_TITLE, type BenchNet } from './networks';

export interface MemoryResult {
  network: string;
  peakRssMB: number;
  experiment: string;
}

const nullSink: ExperimentSink = {
  saveRewindWeights: () => {},
  saveMask: () => {},
  saveTrainedWeights: () => {},
  saveRun: () => {},
  saveCheckpoint: () => {},
};

/**
 * Runs in its own process (`lth bench --task memory`): a small 2-round experiment with the reinit control,
 * trained inline, and the process's peak resident set (getrusage maxrss) at the end: runtime, tfjs backend,
 * dataset, parameters, optimizer state and every tensor of a step, over the whole run.
 */
export async function memoryTask(net: BenchNet, quick: boolean, backend: BackendChoice): Promise<MemoryResult> {
  await initBackend(backend);
  const data = benchData(net);
  const lenet = net === 'lenet300';
  const iterations = lenet ? (quick ? 200 : 1000) : quick ? 3 : 10;
  const evalInterval = lenet ? 100 : iterations;
  const validationSize = lenet ? 5000 : 200;
  const spec = benchSpec(net, { iterations, rounds: 2, evalInterval, validationSize, controls: ['reinit'] });
  await runImp({ spec, data, executor: inlineExecutor(data), sink: nullSink, resume: emptyResumeState() });
  const test = data.testLabels.length;
  return {
    network: NET_TITLE[net],
    peakRssMB: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
    experiment: `2 rounds x ${iterations} iterations + reinit control, eval every ${evalInterval} (${validationSize} val + ${test} test${lenet ? '' : ', CIFAR-shaped random data'}), one process`,
  };
}
