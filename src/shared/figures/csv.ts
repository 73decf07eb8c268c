import type { CsvTable } from './types';

/** RFC 4180: quote fields holding a comma, quote or line break; numbers at full precision. */
export function toCsv(table: CsvTable): string {
  const line = (cells: readonly (string | number)[]) => cells.map(csvField).join(',');
  return [line(table.columns), ...table.rows.map(line)].join('\n') + '\n';
}

function csvField(v: string | number): string {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
