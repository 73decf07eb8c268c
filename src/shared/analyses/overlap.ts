/** Pairwise overlap of stored masks (tickets, or any trial and round of an experiment): IoU and Hamming distance. */
export interface OverlapMatrix {
  /** What was compared: the reference given (`ticket:ID`, `experiment:ID:TRIAL:ROUND`) and a readable label. */
  masks: { ref: string; label: string }[];
  layers: string[];
  /** [i][j] over all prunable weights: IoU of the kept sets, and the fraction of positions that differ. */
  iou: number[][];
  hamming: number[][];
  /** [i][j][layer]. */
  iouPerLayer: number[][][];
  hammingPerLayer: number[][][];
}
