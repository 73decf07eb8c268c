import { InvalidArgumentError } from 'commander';

/** Strict number parsing for flags: '12abc', '' and 'NaN' are refused, not read as 12 or NaN. */
export function number(value: string): number {
  const trimmed = value.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(trimmed)) throw new InvalidArgumentError(`'${value}' is not a number.`);
  return Number(trimmed);
}

export function integer(value: string): number {
  const n = number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`'${value}' is not a whole number.`);
  return n;
}

export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Layer widths such as '300,100' or, for conv stages, '64,64,pool'. */
export function widths(allowPool: boolean) {
  return (value: string): (number | 'pool')[] => {
    if (value.trim() === '' || value.trim() === 'none') return [];
    return list(value).map((item) => {
      if (allowPool && item === 'pool') return 'pool';
      if (!/^\d+$/.test(item) || Number(item) < 1) {
        throw new InvalidArgumentError(`'${item}' is not a layer width${allowPool ? " or 'pool'" : ''}.`);
      }
      return Number(item);
    });
  };
}

/** Whole numbers separated by commas ('0,500,2000'): a sweep of one setting. */
export function integers(value: string): number[] {
  const items = list(value);
  if (items.length === 0) throw new InvalidArgumentError(`'${value}' holds no number.`);
  return items.map((item) => {
    try {
      return integer(item);
    } catch {
      throw new InvalidArgumentError(`'${item}' is not a whole number.`);
    }
  });
}

/** A residual network's stage widths and blocks per stage, 'WIDTHSxBLOCKS' as in '16,32,64x3' (ResNet-20). */
export function residualShape(value: string): { widths: number[]; blocks: number } {
  const m = /^\s*([\d\s,]+)x\s*(\d+)\s*$/i.exec(value);
  if (!m) throw new InvalidArgumentError(`'${value}' is not WIDTHSxBLOCKS, e.g. 16,32,64x3 for ResNet-20.`);
  const stageWidths = list(m[1]!).map((w) => {
    if (!/^\d+$/.test(w) || Number(w) < 1) throw new InvalidArgumentError(`'${w}' is not a stage width.`);
    return Number(w);
  });
  const blocks = Number(m[2]);
  if (stageWidths.length === 0 || blocks < 1) throw new InvalidArgumentError(`'${value}' needs at least one stage width and one block per stage.`);
  return { widths: stageWidths, blocks };
}
