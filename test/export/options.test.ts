import { describe, expect, it } from 'vitest';
import { FigureOptionError, parseFigure, parseFormats, parseRounds, parseVariants, parseWidth } from '../../src/shared/figures';

describe('figure options', () => {
  it('reads widths in inches, millimetres and centimetres', () => {
    expect(parseWidth('3.5in')).toBe(3.5);
    expect(parseWidth('7in')).toBe(7);
    expect(parseWidth('89mm')).toBeCloseTo(3.504, 3);
    expect(parseWidth('8.9cm')).toBeCloseTo(3.504, 3);
    expect(parseWidth('single')).toBe(3.5);
    expect(parseWidth('double')).toBe(7);
  });

  it.each(['3.5', 'abc', '3.5px', '0in', '-3in', '35in', '', 'in', '3,5in'])('rejects the width %j in one line', (w) => {
    expect(() => parseWidth(w)).toThrow(FigureOptionError);
    try {
      parseWidth(w);
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
      expect((e as Error).message).toMatch(/width/);
    }
  });

  it('reads figures and formats, rejecting unknown ones by name', () => {
    expect(parseFigure('early-stop')).toBe('early-stop');
    expect(() => parseFigure('scatter')).toThrow(/unknown figure "scatter": use one of accuracy, early-stop, curves, layers, mask/);
    expect(parseFormats('svg, PDF,png,svg')).toEqual(['svg', 'pdf', 'png']);
    expect(() => parseFormats('svg,jpg')).toThrow(/unknown format "jpg"/);
    expect(() => parseFormats(' , ')).toThrow(/no format given/);
  });

  it('reads rounds as lists and ranges and rejects empty or odd ones', () => {
    expect(parseRounds('0,3, 5')).toEqual([0, 3, 5]);
    expect(parseRounds('2-4,0,3')).toEqual([0, 2, 3, 4]);
    expect(() => parseRounds('')).toThrow(/--rounds is empty/);
    expect(() => parseRounds(',')).toThrow(/--rounds is empty/);
    expect(() => parseRounds('1.5')).toThrow(/invalid round "1.5"/);
    expect(() => parseRounds('4-2')).toThrow(/end is before the start/);
    expect(parseVariants('ticket,random')).toEqual(['ticket', 'random']);
    expect(() => parseVariants('winning')).toThrow(/unknown variant/);
  });
});
