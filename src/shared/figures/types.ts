import type { ChartConfiguration } from 'chart.js';
import type { Variant } from '../spec';
import type { FigureKind } from './options';
import type { FigureMedium, ScreenTheme } from './style';

/** Raw data behind a figure: one row per plotted point per trial, so readers can re-plot or re-test it. */
export interface CsvTable {
  columns: string[];
  rows: (string | number)[][];
}

/**
 * A figure as pure data: a Chart.js configuration in print units (1 unit = 1 pt at the given physical
 * size) plus its data as CSV. The Node exporter and the Vue window draw the same configuration.
 * The configuration holds callbacks and Chart.js mutates it while drawing: build a fresh one per chart.
 */
export interface FigureSpec {
  kind: FigureKind;
  title: string;
  widthInches: number;
  heightInches: number;
  config: ChartConfiguration;
  csv: CsvTable;
  /** Legend labels of the plotted series, in drawing order (bands and helpers excluded). */
  series: string[];
}

export interface FigureOptions {
  widthInches: number;
  /** Rounds to show; every round when absent (curves and layers pick a few spread-out rounds). */
  rounds?: number[];
  variants?: Variant[];
  /** 'print' (default): the paper figure, in points. 'screen': the same figure styled for the app on screen. */
  medium?: FigureMedium;
  /** Screen colours and font scale (the app's theme); ignored in print. */
  theme?: Partial<ScreenTheme>;
}

/** Input of the mask figure: what LabServices.tickets.pixelHeatmap returns, plus the ticket for labels. */
export interface MaskInput {
  height: number;
  width: number;
  /** Row-major, height*width entries: first-layer connections each input pixel keeps. */
  counts: readonly number[];
  ticket?: { id: string; name?: string; trial: number; round: number; weightsRemaining: number; experimentId?: string };
}
