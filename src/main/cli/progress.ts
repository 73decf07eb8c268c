import { MultiBar, type SingleBar } from 'cli-progress';
import type { LabEvent } from '../../shared/events';

const pct = (x: number | null) => (x === null ? '  -  ' : `${(x * 100).toFixed(1)}%`);

function runLine(e: Extract<LabEvent, { type: 'run-complete' }>): string {
  const r = e.result;
  return (
    `trial ${r.trial} round ${r.round} ${r.variant.padEnd(6)} weights ${(r.weightsRemaining * 100).toFixed(1).padStart(5)}%  ` +
    `val ${pct(r.valAccuracy)} test ${pct(r.testAccuracy)} at iteration ${r.earlyStopIteration}  (${(r.durationMs / 1000).toFixed(1)} s)`
  );
}

/**
 * Progress on stderr so stdout stays clean for --json. A live bar on a terminal, with each finished run
 * logged above it; one line per finished run otherwise (logs, CI), so nothing is lost without a TTY.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): { onEvent(e: LabEvent): void; stop(): void } {
  const multi = stream.isTTY
    ? new MultiBar({
        stream,
        format: 'round {round} {variant} trial {trial} |{bar}| {percentage}% | it {iteration}/{iterations} | val acc {acc} | ETA {etaText}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        gracefulExit: false,
      })
    : null;
  let bar: SingleBar | null = null;
  return {
    onEvent(e) {
      if (e.type === 'progress' && multi) {
        const payload = {
          round: e.round,
          variant: e.variant.padEnd(6),
          trial: e.trial,
          iteration: e.iteration,
          iterations: e.totalIterations,
          acc: pct(e.valAccuracy),
          etaText: e.etaSeconds === null ? '-' : formatDuration(e.etaSeconds),
        };
        const value = Math.round(e.fractionDone * 1000);
        if (!bar) bar = multi.create(1000, value, payload);
        else bar.update(value, payload);
      } else if (e.type === 'run-complete') {
        if (multi) multi.log(`${runLine(e)}\n`);
        else stream.write(`${runLine(e)}\n`);
      }
    },
    stop() {
      multi?.stop();
    },
  };
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
