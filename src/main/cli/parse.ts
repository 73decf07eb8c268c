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
