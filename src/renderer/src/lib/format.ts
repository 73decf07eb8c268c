import type { NetworkSpec } from '../../../shared/spec';

export function pct(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  const v = fraction * 100;
  // Sparse tickets live below 1%: keep two significant digits there.
  return `${v < 1 && v > 0 ? v.toPrecision(2) : v.toFixed(digits)}%`;
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

export function count(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}K`;
  return n.toLocaleString('en-US');
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(s / 3600);
  if (h < 48) return `${h}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  const d = Math.round(h / 24);
  // A deep network on a CPU backend can estimate decades: "36 years" reads where "13322d" does not.
  return d < 730 ? `${d}d` : `${Math.round(d / 365)} years`;
}

export { networkLabel } from '../../../shared/network';

export function shortHash(h: string): string {
  return h.slice(0, 12);
}

export function when(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 10)} ${d.toTimeString().slice(0, 5)}`;
}

/** "1 experiment", "3 experiments". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}

/** Milliseconds of training as a short duration ("4m 05s"). */
export function ms(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : duration(n / 1000);
}
