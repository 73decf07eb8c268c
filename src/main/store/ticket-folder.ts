import { applyMask } from '../engine/weights';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { LayerInfo } from '../../shared/results';
import { ExperimentSpecSchema, formatIssues } from '../../shared/spec';
import { LayerInfoSchema } from '../../shared/layers';
import type { WeightSet } from '../engine/types';
import { packMask, packWeights, unpackMask, weightsByteLength } from './blobs';
import type { Db } from './db';
import { StoreError } from './errors';
import { newId, sha256Hex } from './ids';
import { checkLayers, totalWeights } from './layers';
import { ensureDirectory } from './paths';
import { modelJson, modelTopology, tfjsWeightData, fromTfjsWeightData, weightSpecs, WEIGHTS_FILE, type TfjsModelJson } from './tfjs-model';
import type { LoadedTicket, TicketRepo } from './tickets';

/*
 * A ticket folder holds exactly these files and nothing else is read:
 *   model.json   TensorFlow.js layers-model topology + weightsManifest -> weights.bin
 *   weights.bin  float32 LE, per layer kernel then bias (tf.io order; a conv with batch norm: kernel, then gamma,
 *                beta = its bias, moving mean, moving variance): the trained weights when the ticket kept
 *                them, else the rewind weights; pruned kernel entries are exactly +0 (import accepts -0 too)
 *   rewind.bin   float32 LE, same layout: the weights to rewind to (all of them, pruned ones included)
 *   mask.bin     one bit per kernel weight, layers concatenated, least significant bit first, zero padding
 *   ticket.json  format/version, ticket metadata, spec, layers, dataset facts, file sizes and sha256
 */

export const TICKET_FORMAT = 'lth-lab-ticket';
export const TICKET_FORMAT_VERSION = 1;
export const FILES = { model: 'model.json', weights: WEIGHTS_FILE, rewind: 'rewind.bin', mask: 'mask.bin', ticket: 'ticket.json' } as const;
/** JSON files are small (spec + layers); refuse larger ones before reading them. */
export const MAX_JSON_BYTES = 8 * 1024 * 1024;
/** 512 MiB (134M float32 values): beyond any network the spec allows to train here, and under SQLite's 1 GB blob limit. */
export const MAX_BIN_BYTES = 512 * 1024 * 1024;

const num = z.number().nullable();
const FileEntry = z.object({ bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
const TicketJsonSchema = z.object({
  format: z.literal(TICKET_FORMAT),
  formatVersion: z.number().int(),
  generatedBy: z.string().max(200),
  ticket: z.object({
    id: z.string().regex(/^t_[0-9a-z]{1,32}$/),
    name: z.string().min(1).max(200),
    notes: z.string().max(100_000),
    tags: z.array(z.string().max(64)).max(32),
    createdAt: z.string().max(64),
    experimentId: z.string().max(64),
    trial: z.number().int().nonnegative(),
    round: z.number().int().nonnegative(),
    weightsRemaining: z.number().min(0).max(1),
    layerDensity: z.array(z.number().min(0).max(1)),
    valAccuracy: num,
    testAccuracy: num,
  }),
  spec: z.unknown(),
  layers: z.array(LayerInfoSchema).min(1).max(256),
  dataset: z.object({
    id: z.string().max(128),
    hash: z.string().max(128),
    shape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]).nullable(),
  }),
  versions: z.object({ lthLab: z.string().max(64), tfjs: z.string().max(64) }),
  weightsSource: z.enum(['trained', 'rewind']),
  files: z.object({ [FILES.model]: FileEntry, [FILES.weights]: FileEntry, [FILES.rewind]: FileEntry, [FILES.mask]: FileEntry }),
});
export type TicketJson = z.infer<typeof TicketJsonSchema>;

const nullIfNaN = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** The files of a ticket folder, in memory: what exportTicket writes and tests load into tfjs. */
export function ticketArtifacts(t: LoadedTicket, generatedBy: string): { files: Record<string, Buffer>; model: TfjsModelJson } {
  const { layers } = t;
  const topology = modelTopology(t.spec.network, layers, t.datasetShape);
  const model = modelJson(topology, layers, generatedBy);
  const weights = tfjsWeightData(applyMask(t.trainedWeights ?? t.rewindWeights, t.mask), layers);
  const rewind = tfjsWeightData(t.rewindWeights, layers);
  const mask = packMask(t.mask, layers);
  const modelBuf = Buffer.from(JSON.stringify(model, null, 1));
  const entry = (b: Buffer) => ({ bytes: b.length, sha256: sha256Hex(b) });
  const r = t.record;
  const meta: TicketJson = {
    format: TICKET_FORMAT,
    formatVersion: TICKET_FORMAT_VERSION,
    generatedBy,
    ticket: {
      id: r.id,
      name: r.name,
      notes: r.notes,
      tags: r.tags,
      createdAt: r.createdAt,
      experimentId: r.experimentId,
      trial: r.trial,
      round: r.round,
      weightsRemaining: r.weightsRemaining,
      layerDensity: r.layerDensity,
      valAccuracy: nullIfNaN(r.valAccuracy),
      testAccuracy: nullIfNaN(r.testAccuracy),
    },
    spec: t.spec,
    layers,
    dataset: { id: t.spec.dataset, hash: t.datasetHash, shape: t.datasetShape },
    versions: t.versions,
    weightsSource: t.trainedWeights ? 'trained' : 'rewind',
    files: { [FILES.model]: entry(modelBuf), [FILES.weights]: entry(weights), [FILES.rewind]: entry(rewind), [FILES.mask]: entry(mask) },
  };
  return {
    model,
    files: {
      [FILES.model]: modelBuf,
      [FILES.weights]: weights,
      [FILES.rewind]: rewind,
      [FILES.mask]: mask,
      [FILES.ticket]: Buffer.from(JSON.stringify(meta, null, 2)),
    },
  };
}

/**
 * Writes the ticket to `folder`, which must not exist or be empty. Files go to a sibling temporary folder
 * first and are renamed into place, so a failure leaves no half-written ticket behind. Returns the folder.
 */
export function exportTicket(tickets: TicketRepo, id: string, folder: string, generatedBy: string): string {
  const target = resolve(folder);
  const { files } = ticketArtifacts(tickets.load(id), generatedBy);
  let emptyExisting = false;
  try {
    const st = lstatSync(target);
    if (!st.isDirectory() || readdirSync(target).length > 0) {
      throw new StoreError(`cannot export ticket ${id} to ${target}: it exists and is not an empty folder`, 'path');
    }
    emptyExisting = true;
  } catch (e) {
    if (e instanceof StoreError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreError(`cannot export ticket ${id} to ${target}: ${(e as Error).message}`, 'path');
  }
  ensureDirectory(dirname(target), 'export folder');
  const tmp = join(dirname(target), `.${basename(target)}.${newId('t_').slice(2)}.partial`);
  try {
    mkdirSync(tmp);
    for (const [name, data] of Object.entries(files)) writeFileSync(join(tmp, name), data, { flag: 'wx' });
    if (emptyExisting) rmdirSync(target);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new StoreError(`cannot export ticket ${id} to ${target}: ${(e as Error).message}`, 'path');
  }
  return target;
}

/**
 * Reads one known file of the folder: never follows a symbolic link (O_NOFOLLOW, and lstat where the platform
 * lacks it), refuses anything but a regular file, and checks the size on the open descriptor before reading.
 */
function readKnownFile(folder: string, name: string, maxBytes: number, exactBytes?: number): Buffer {
  const path = join(folder, name);
  const fail = (why: string) => new StoreError(`ticket folder ${folder}: ${name} ${why}`, 'ticket-folder');
  let lst;
  try {
    lst = lstatSync(path);
  } catch {
    throw fail('is missing');
  }
  if (lst.isSymbolicLink()) throw fail('is a symbolic link: refused');
  if (!lst.isFile()) throw fail('is not a regular file');
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    throw fail(`cannot be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw fail('is not a regular file');
    if (st.size > maxBytes) throw fail(`has ${st.size} bytes, more than the ${maxBytes} allowed`);
    if (exactBytes !== undefined && st.size !== exactBytes) throw fail(`has ${st.size} bytes, expected ${exactBytes} for the ticket's layers`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== buf.length) throw fail('changed while being read');
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Validates a ticket folder completely, then inserts the ticket in one transaction; nothing is written on any failure. */
export function importTicket(db: Db, tickets: TicketRepo, folder: string): string {
  const dir = resolve(folder);
  const fail = (why: string) => new StoreError(`ticket folder ${dir}: ${why}`, 'ticket-folder');
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw fail('does not exist');
  }
  if (!st.isDirectory()) throw fail('is not a folder');

  const metaText = readKnownFile(dir, FILES.ticket, MAX_JSON_BYTES).toString('utf8');
  let metaRaw: unknown;
  try {
    metaRaw = JSON.parse(metaText);
  } catch {
    throw fail(`${FILES.ticket} is not valid JSON`);
  }
  const head = z.object({ format: z.string(), formatVersion: z.number() }).safeParse(metaRaw);
  if (!head.success || head.data.format !== TICKET_FORMAT) throw fail(`${FILES.ticket} is not an LTH Lab ticket (format must be "${TICKET_FORMAT}")`);
  if (head.data.formatVersion !== TICKET_FORMAT_VERSION) {
    throw fail(
      head.data.formatVersion > TICKET_FORMAT_VERSION
        ? `${FILES.ticket} has format version ${head.data.formatVersion}, newer than this LTH Lab reads (${TICKET_FORMAT_VERSION}): upgrade LTH Lab`
        : `${FILES.ticket} has unknown format version ${head.data.formatVersion}`,
    );
  }
  const parsed = TicketJsonSchema.safeParse(metaRaw);
  if (!parsed.success) throw fail(`${FILES.ticket} is invalid: ${formatIssues(parsed.error).replace(/\n/g, '; ')}`);
  const meta = parsed.data;
  // Tickets exported before engine version 2 were made with version 1's conventions: say so, not the default.
  const rawSpec = meta.spec as Record<string, unknown> | null;
  const specR = ExperimentSpecSchema.safeParse(
    rawSpec && typeof rawSpec === 'object' && rawSpec.engineVersion === undefined ? { ...rawSpec, engineVersion: 1 } : rawSpec,
  );
  if (!specR.success) throw fail(`${FILES.ticket} has an invalid spec: ${formatIssues(specR.error).replace(/\n/g, '; ')}`);
  const spec = specR.data;
  const layers = meta.layers as LayerInfo[];
  try {
    checkLayers(layers, FILES.ticket);
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (meta.dataset.id !== spec.dataset) throw fail(`${FILES.ticket}: dataset id ${meta.dataset.id} differs from the spec's ${spec.dataset}`);

  // Sizes follow from the layers; check them on the descriptors before reading any binary.
  const wBytes = weightsByteLength(layers);
  const mBytes = Math.ceil(totalWeights(layers) / 8);
  const files = {
    model: readKnownFile(dir, FILES.model, MAX_JSON_BYTES),
    mask: readKnownFile(dir, FILES.mask, MAX_BIN_BYTES, mBytes),
    rewind: readKnownFile(dir, FILES.rewind, MAX_BIN_BYTES, wBytes),
    weights: readKnownFile(dir, FILES.weights, MAX_BIN_BYTES, wBytes),
  };
  for (const [key, name] of [['model', FILES.model], ['mask', FILES.mask], ['rewind', FILES.rewind], ['weights', FILES.weights]] as const) {
    const e = meta.files[name];
    const b = files[key];
    if (b.length !== e.bytes || sha256Hex(b) !== e.sha256) throw fail(`${name} does not match the size and sha256 recorded in ${FILES.ticket}`);
  }

  let model: TfjsModelJson;
  try {
    model = JSON.parse(files.model.toString('utf8')) as TfjsModelJson;
  } catch {
    throw fail(`${FILES.model} is not valid JSON`);
  }
  const manifest = model?.weightsManifest;
  if (model?.format !== 'layers-model' || !Array.isArray(manifest) || manifest.length !== 1) {
    throw fail(`${FILES.model} is not a TensorFlow.js layers model with one weights group`);
  }
  if (JSON.stringify(manifest[0]?.paths) !== JSON.stringify([FILES.weights])) throw fail(`${FILES.model} must reference exactly ${FILES.weights}`);
  if (JSON.stringify(manifest[0]?.weights) !== JSON.stringify(weightSpecs(layers))) {
    throw fail(`${FILES.model} weight names or shapes do not match the ticket's layers`);
  }
  try {
    modelTopology(spec.network, layers, meta.dataset.shape);
  } catch (e) {
    throw fail((e as Error).message);
  }

  let mask;
  try {
    mask = unpackMask(files.mask, layers);
  } catch (e) {
    throw fail(`${FILES.mask}: ${(e as Error).message}`);
  }
  const density = mask.map((m, i) => m.reduce((a, v) => a + v, 0) / layers[i]!.weights);
  const remaining = mask.reduce((a, m) => a + m.reduce((s, v) => s + v, 0), 0) / totalWeights(layers);
  if (meta.ticket.layerDensity.length !== layers.length || density.some((d, i) => Math.abs(d - meta.ticket.layerDensity[i]!) > 1e-9)) {
    throw fail(`${FILES.mask} keeps a different fraction of weights per layer than ${FILES.ticket} records`);
  }
  if (Math.abs(remaining - meta.ticket.weightsRemaining) > 1e-9) throw fail(`${FILES.mask} keeps ${remaining}, ${FILES.ticket} records ${meta.ticket.weightsRemaining}`);

  const weights = fromTfjsWeightData(files.weights, layers);
  const rewind = fromTfjsWeightData(files.rewind, layers);
  weights.kernels.forEach((k, i) => {
    const m = mask[i]!;
    for (let j = 0; j < k.length; j++) {
      if (m[j] === 0 && k[j] !== 0) throw fail(`${FILES.weights}: layer ${layers[i]!.name} has a nonzero weight at index ${j} that ${FILES.mask} prunes`);
    }
  });
  if (meta.weightsSource === 'rewind') {
    const expected = tfjsWeightData(applyMask(rewind, mask), layers);
    if (!expected.equals(files.weights)) throw fail(`${FILES.weights} should hold the masked rewind weights (weightsSource "rewind") but differs`);
  }

  const t = meta.ticket;
  return db.transaction(() =>
    tickets.insert(
      {
        id: t.id,
        name: t.name,
        notes: t.notes,
        tags: t.tags,
        originExperimentId: t.experimentId,
        trial: t.trial,
        round: t.round,
        spec,
        layers,
        datasetHash: meta.dataset.hash,
        datasetShape: meta.dataset.shape,
        versions: meta.versions,
        weightsRemaining: t.weightsRemaining,
        layerDensity: t.layerDensity,
        valAccuracy: t.valAccuracy ?? NaN,
        testAccuracy: t.testAccuracy ?? NaN,
        mask: files.mask,
        rewindWeights: packWeights(rewind, layers),
        trainedWeights: meta.weightsSource === 'trained' ? packWeights(weights, layers) : null,
        createdAt: t.createdAt,
      },
      'imported',
      null,
    ),
  )();
}
