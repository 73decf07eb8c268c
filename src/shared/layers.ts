import { z } from 'zod';

/**
 * A prunable layer of a built network, as every file that carries layers writes it: the store's layers column,
 * ticket folders (ticket.json) and Slurm experiment folders (experiment.json). Blobs (masks, weights, batch-norm
 * state) are laid out by these fields, so each reader must keep all of them: a schema that forgot one would have
 * zod drop it silently. Strict, so a field added here by a newer version is refused by an older reader rather than
 * read with the wrong blob layout. Key order is planNetwork's, so equal layers stringify equally.
 */
export const LayerInfoSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['conv', 'dense', 'output']),
    /** Kernel shape: [in, out] for dense, [3, 3, inChannels, filters] for conv. */
    shape: z.array(z.number().int().positive()),
    weights: z.number().int().positive(),
    /** Multiply-accumulates per example through this layer's kernel when dense (for theoretical speed-up). */
    macsPerExample: z.number().nonnegative(),
    /** Batch norm follows the conv: the bias is its β, and γ and the running statistics are kept beside (never pruned). */
    batchNorm: z.literal(true).optional(),
  })
  .strict();

/** A prunable layer of a built network. Biases are never pruned and not counted. */
export type LayerInfo = z.infer<typeof LayerInfoSchema>;
export type LayerKind = LayerInfo['kind'];

/** Every field of every layer equal (blob layouts and costs alike), whatever order the keys were written in. */
export function sameLayerInfo(a: readonly LayerInfo[], b: readonly LayerInfo[]): boolean {
  return (
    a.length === b.length &&
    a.every((l, i) => {
      const o = b[i]!;
      return (
        l.name === o.name &&
        l.kind === o.kind &&
        l.shape.length === o.shape.length &&
        l.shape.every((d, j) => d === o.shape[j]) &&
        l.weights === o.weights &&
        l.macsPerExample === o.macsPerExample &&
        (l.batchNorm ?? false) === (o.batchNorm ?? false)
      );
    })
  );
}
