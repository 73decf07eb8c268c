import type { ExperimentDetail } from '../results';
import type { Variant } from '../spec';
import { TABLE_HEADERS, resultsRows, rowText, tableColumns, variantNotes, type RowText } from './results-table';

/** The results table as GitHub-flavoured Markdown; the winning ticket row is bold and starred. */
export function markdownTable(details: readonly ExperimentDetail[], opts: { rounds?: number[]; variants?: Variant[] } = {}): string {
  const rows = resultsRows(details, opts);
  const keys = tableColumns(rows);
  const numeric = (k: keyof RowText) => k !== 'experiment' && k !== 'variant';
  const lines = [
    `| ${keys.map((k) => TABLE_HEADERS[k]).join(' | ')} |`,
    `| ${keys.map((k) => (numeric(k) ? '---:' : ':---')).join(' | ')} |`,
  ];
  for (const row of rows) {
    const text = rowText(row, '±', '×');
    if (row.winning) text.variant = `${text.variant} ★`;
    const cells = keys.map((k) => escapeMarkdown(text[k])).map((c) => (row.winning ? `**${c}**` : c));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const trials = [...new Set(rows.map((r) => r.trials))].sort((a, b) => a - b).join('/');
  lines.push(
    '',
    `Mean ± std over ${trials} trial(s). Compression = parameters / nonzero parameters; speed-up = dense FLOPs / remaining FLOPs (theoretical). ★ bold: the winning ticket.${variantNotes(details, rows).map((n) => ` ${n}`).join('')}`,
  );
  return lines.join('\n') + '\n';
}

function escapeMarkdown(s: string): string {
  return s.replace(/([|\\*_`])/g, '\\$1');
}
