import { SingleBar } from 'cli-progress';
import type { LabEvent } from '../../shared/events';

const pct = (x: number | null) => (x === null ? '  -  ' : `${(x * 100).toFixed(1)}%`);

/**
 * Progress on stderr so stdout stays clean for --json. A live bar on a terminal; one line per finished run
 * otherwise (logs, CI), so nothing is lost when the output is not a TTY.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): { onEvent(e: LabEvent): void; stop(): void } {
  const tty = Boolean(stream.isTTY);
  const bar = tty
    ? new SingleBar(
        {
          stream,
          format: 'round {round} {variant} trial {trial} |{bar}| {percentage}% | it {iteration}/{iterations} | val acc {acc} | ETA {etaText}',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
      )
    : null;
  let started = false;
  return {
    onEvent(e) {
      if (e.type === 'progress' && bar) {
        const payload = {
          round: e.round,
          variant: e.variant.padEnd(6),
          trial: e.trial,
          iteration: e.iteration,
          iterations: e.totalIterations,
          acc: pct(e.valAccuracy),
          etaText: e.etaSeconds === null ? '-' : formatDuration(e.etaSeconds),
        };
        if (!started) {
          bar.start(1000, Math.round(e.fractionDone * 1000), payload);
          started = true;
        } else bar.update(Math.round(e.fractionDone * 1000), payload);
      } else if (e.type === 'run-complete') {
        const r = e.result;
        const line =
          `trial ${r.trial} round ${r.round} ${r.variant.padEnd(6)} weights ${(r.weightsRemaining * 100).toFixed(1).padStart(5)}%  ` +
          `val ${pct(r.valAccuracy)} test ${pct(r.testAccuracy)} at iteration ${r.earlyStopIteration}  (${(r.durationMs / 1000).toFixed(1)} s)`;
        stream.write(`${tty ? '\r\x1b[2K' : ''}${line}\n`);
      }
    },
    stop() {
      if (bar && started) bar.stop();
    },
  };
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
