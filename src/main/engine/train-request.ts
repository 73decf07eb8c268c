import type { LoadedDataset } from './data/types';
import type { FromTrainer, ToTrainer } from './pool-protocol';
import { AbortedError, trainRun } from './trainer';

type RunReply = Extract<FromTrainer, { type: 'train-progress' | 'train-checkpoint' | 'train-done' | 'train-error' }>;

/**
 * One `train` request of a trainer host, answered with progress, checkpoints and the outcome or the error: the
 * part both homes share (a pool process in Node, the desktop app's WebGPU Web Worker). No Node, no DOM.
 */
export async function answerTrainRequest(
  m: Extract<ToTrainer, { type: 'train' }>,
  data: LoadedDataset | null,
  signal: AbortSignal,
  send: (reply: RunReply) => void,
): Promise<void> {
  try {
    if (!data) throw new Error('trainer used before its dataset arrived');
    const outcome = await trainRun(m.job, data, {
      signal,
      restore: m.restore,
      checkpointEveryMs: m.checkpointEveryMs,
      checkpointEveryIterations: m.checkpointEveryIterations,
      onCheckpoint: m.checkpointEveryMs || m.checkpointEveryIterations ? (checkpoint) => send({ type: 'train-checkpoint', id: m.id, checkpoint }) : undefined,
      onProgress: (progress) => send({ type: 'train-progress', id: m.id, progress }),
    });
    send({ type: 'train-done', id: m.id, outcome });
  } catch (err) {
    send({ type: 'train-error', id: m.id, message: (err as Error).message, aborted: err instanceof AbortedError });
  }
}
