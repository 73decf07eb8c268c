import { ablationLines, ablationVerdicts } from '../../shared/ablation-verdict';
import type { ExperimentDetail } from '../../shared/results';
import { VariantSchema } from '../../shared/spec';
import type { LabRuntime } from '../services';
import { CliError, EXIT_INTERRUPTED } from './errors';
import { printJson } from './context';
import { progressReporter } from './progress';
import { earlyBirdLines, resultsTable, winningTicketLine } from './table';

const VARIANT_ORDER: readonly string[] = VariantSchema.options;

/** The JSON `lth run --json` prints: one object, accuracies and weightsRemaining as fractions of 1. */
export function runJson(detail: ExperimentDetail) {
  const w = detail.winningTicket;
  return {
    experimentId: detail.id,
    backend: detail.backend,
    status: detail.status,
    // Mean over trials (the verdict), with the spread and each trial's own numbers at that round.
    winningTicket: w
      ? {
          round: w.round,
          weightsRemaining: w.weightsRemaining,
          valAccuracy: w.valAccuracy,
          testAccuracy: w.testAccuracy,
          earlyStopIteration: w.earlyStopIteration,
          trials: w.trials ?? 1,
          spread: w.spread ?? null,
          perTrial: w.perTrial ?? null,
        }
      : null,
    winningTicketReason: detail.winningTicketReason,
    ...(detail.earlyBird ? { earlyBird: detail.earlyBird } : {}),
    method: detail.spec.pruning.method ?? 'magnitude',
    // Issue 13: does the method's accuracy survive each ablation (Frankle et al. 2021)?
    ablations: ablationVerdicts(detail.runs, detail.spec),
    results: [...detail.runs]
      .sort((a, b) => a.trial - b.trial || a.round - b.round || VARIANT_ORDER.indexOf(a.variant) - VARIANT_ORDER.indexOf(b.variant))
      .map((r) => ({
        trial: r.trial,
        variant: r.variant,
        round: r.round,
        weightsRemaining: r.weightsRemaining,
        earlyStopIteration: r.earlyStopIteration,
        valAccuracy: r.valAccuracy,
        testAccuracy: r.testAccuracy,
        finalTestAccuracy: r.finalTestAccuracy,
      })),
  };
}

/**
 * Shows a queued experiment's progress until it stops. The first Ctrl-C interrupts it (finished rounds stay
 * in the store, `lth resume` continues) and exits 130; a second one exits at once.
 */
export async function followExperiment(services: LabRuntime, id: string, json: boolean, printResult = true): Promise<ExperimentDetail> {
  const reporter = progressReporter();
  const unsubscribe = services.subscribe((e) => {
    if (e.experimentId === id) reporter.onEvent(e);
  });
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(EXIT_INTERRUPTED);
    process.stderr.write('\nstopping: finished runs are kept (Ctrl-C again to quit now)\n');
    void services.interruptAll();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let status;
  try {
    status = await services.waitFor(id);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    reporter.stop();
    unsubscribe();
  }
  const detail = services.experiments.get(id);
  if (json) {
    if (printResult) printJson(runJson(detail));
  } else {
    process.stdout.write(`\n${detail.name} (${detail.id}) on ${detail.backend}: ${detail.status}\n\n`);
    if (detail.runs.length > 0) process.stdout.write(`${resultsTable(detail)}\n\n`);
    process.stdout.write(`${winningTicketLine(detail.winningTicket, detail.winningTicketReason)}\n`);
    if (detail.earlyBird) process.stdout.write(`${earlyBirdLines(detail)}\n`);
    if (detail.spec.ablations?.length) {
      const verdicts = ablationVerdicts(detail.runs, detail.spec);
      process.stdout.write(`Ablations (shuffle, reinit, invert: Frankle et al. 2021; sign: Zhou et al. 2019):\n${ablationLines(verdicts, detail.spec.tolerance).join('\n')}\n`);
    }
  }
  if (status === 'interrupted' || status === 'paused' || status === 'cancelled') {
    process.stderr.write(`experiment ${id} ${status} with ${detail.runs.length} finished run(s) kept; continue with: lth resume ${id}\n`);
    process.exitCode = EXIT_INTERRUPTED;
  } else if (status === 'failed') {
    throw new CliError(`experiment ${id} failed: ${detail.error ?? 'unknown error'}`, 1);
  }
  return detail;
}
