import fc from 'fast-check';
import { CommanderError } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand, specsFromRunFlags } from '../../src/main/cli/commands/run';
import { CliError } from '../../src/main/cli/errors';
import { specFromFlags } from '../../src/main/cli/spec-from-flags';
import { PRESETS } from '../../src/shared/presets';
import { parseSpec, SpecError } from '../../src/shared/spec';
import { cleanupTemps, SEED, tempDir } from './helpers';

/*
 * Experiment specs arrive from the wizard (IPC/WebSocket), spec files (`lth run --spec`), and flags. Whatever they
 * hold, parsing ends in a valid spec or in the one error type of that door with a specific message, quickly.
 */
afterAll(() => cleanupTemps());

/** Cases per property; each case must finish within CASE_MS. */
const N = 1500;
// Cases take 0.1-20 ms; the bound is for a parse that hangs or goes quadratic, not for a loaded machine's stalls.
const CASE_MS = 2000;
export const counted: Record<string, number> = {};

function timed<T>(name: string, fn: () => T): T {
  const t = performance.now();
  try {
    return fn();
  } finally {
    const ms = performance.now() - t;
    counted[name] = (counted[name] ?? 0) + 1;
    if (ms > CASE_MS) throw new Error(`${name}: one case took ${ms.toFixed(0)} ms`);
  }
}

/** Values that break naive validators: non-finite and huge numbers, prototype keys, deep nesting, long strings. */
const nasty = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, -1, 1, 0.5, 1e308, 2 ** 31, 2 ** 53 + 1, -(2 ** 53), Number.MIN_VALUE),
  fc.constantFrom('', 'pool', 'adam', 'sgd', 'global', 'layerwise', 'reinit', 'random', 'mnist', '__proto__', 'constructor', 'x'.repeat(100_000)),
  fc.constantFrom(null, undefined, true, false, [], {}, { __proto__: { polluted: true } }, JSON.parse('{"__proto__": {"polluted": 1}}')),
  fc.letrec((tie) => ({ deep: fc.oneof({ depthSize: 'small' }, fc.constant({}), fc.array(tie('deep'), { maxLength: 2 }), fc.dictionary(fc.string(), tie('deep'), { maxKeys: 2 })) })).deep,
  fc.jsonValue(),
);

type Path = (string | number)[];
function paths(v: unknown, prefix: Path = []): Path[] {
  if (v === null || typeof v !== 'object') return [prefix];
  const out: Path[] = [prefix];
  for (const [k, c] of Object.entries(v)) out.push(...paths(c, [...prefix, Array.isArray(v) ? Number(k) : k]));
  return out;
}
/** Sets (or deletes, with `del`) the value at `path` of a deep copy. */
function mutate(spec: unknown, path: Path, value: unknown, del: boolean): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(spec) as Record<string | number, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (del) delete o[last];
  else o[last] = value;
  return copy;
}
const presetSpecs = PRESETS.map((p) => p.spec as unknown);
const mutatedSpec = fc
  .tuple(fc.nat(presetSpecs.length - 1), fc.array(fc.tuple(fc.nat(), nasty, fc.boolean()), { minLength: 1, maxLength: 3 }))
  .map(([i, muts]) => {
    let s: unknown = presetSpecs[i];
    for (const [at, value, del] of muts) {
      const ps = paths(s);
      s = mutate(s, ps[at % ps.length]!, value, del);
    }
    return s;
  });

function expectSpecOutcome(input: unknown): 'valid' | 'refused' {
  try {
    const spec = timed('parseSpec', () => parseSpec(input));
    // What parses is a fixed point: storing it as JSON and reading it back changes nothing (-0 is stored as 0).
    expect(JSON.stringify(parseSpec(JSON.parse(JSON.stringify(spec))))).toBe(JSON.stringify(spec));
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    return 'valid';
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    const err = e as SpecError;
    expect(err.message.startsWith('invalid experiment spec:\n')).toBe(true);
    expect(err.issues.length).toBeGreaterThan(0);
    for (const i of err.issues) {
      expect(typeof i.path).toBe('string');
      expect(i.message.length).toBeGreaterThan(0);
    }
    return 'refused';
  }
}

describe('experiment specs under fuzzing (fast-check, fixed seeds)', () => {
  it(`parseSpec: ${N} arbitrary values and ${N} mutations of the presets end in a spec or a SpecError naming the field`, () => {
    const tally = { valid: 0, refused: 0 };
    fc.assert(
      fc.property(fc.oneof(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withTypedArray: true }), nasty), (v) => {
        tally[expectSpecOutcome(v)]++;
      }),
      { numRuns: N, seed: SEED },
    );
    fc.assert(
      fc.property(mutatedSpec, (v) => {
        tally[expectSpecOutcome(v)]++;
      }),
      { numRuns: N, seed: SEED + 1 },
    );
    console.log(`[reliability] fuzz parseSpec: ${2 * N} cases, ${tally.valid} valid, ${tally.refused} refused with a SpecError`);
    expect(tally.refused).toBeGreaterThan(N);
    expect(tally.valid).toBeGreaterThan(0);
  });

  it(`lth run flags: ${N} random argv through the real flag parsers and specFromFlags end in a spec, a usage error or a CliError`, async () => {
    const flagNames = [
      '--preset', '--name', '--dataset', '--rounds', '--iterations', '--trials', '--controls', '--rewind', '--strategy', '--seed', '--optimizer', '--lr',
      '--momentum', '--batch-size', '--eval-interval', '--validation-size', '--rate-conv', '--rate-dense', '--rate-output', '--global-rate',
      '--one-shot', '--tolerance', '--conv', '--dense', '--dropout', '--json', '--bogus', '-x', '--',
      '--residual', '--batch-norm', '--no-batch-norm', '--pooling', '--init', '--augment', '--no-augment', '--warmup', '--retrain',
      '--bn-init', '--lr-milestones',
    ];
    const bare = new Set(['--one-shot', '--json', '--batch-norm', '--no-batch-norm', '--augment', '--no-augment']);
    const values = fc.oneof(
      fc.constantFrom('0', '1', '-1', '1e999', 'NaN', '0.5', '1.5', '12abc', '', ' ', 'pool', '300,100', '64,pool,64', 'none', 'reinit,random', 'reinit,reinit', 'adam', 'global', 'lenet300-mnist', 'conv6-cifar10', '2147483648', '9'.repeat(400)),
      fc.constantFrom('16,32,64x3', '4x1', 'x3', '16,32x0', '0,500,2000', '0,0', 'average', 'flatten', 'kaiming', 'glorot', 'resnet20-cifar10', 'vgg19-cifar10', 'rewind,finetune', 'uniform', 'ones'),
      fc.string({ maxLength: 12 }),
      fc.integer({ min: -5, max: 100_000 }).map(String),
      fc.double({ noNaN: false }).map(String),
    );
    // Mostly well-formed `--flag value` pairs, so most cases reach specFromFlags; some stray tokens.
    const pair = fc.tuple(fc.constantFrom(...flagNames), values).map(([f, v]) => (bare.has(f) ? [f] : [f, v]));
    const argv = fc
      .array(fc.oneof({ weight: 9, arbitrary: pair }, { weight: 1, arbitrary: values.map((v) => [v]) }), { minLength: 1, maxLength: 6 })
      .map((parts) => parts.flat());
    const tally = { spec: 0, usage: 0, cli: 0 };
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const cmd = runCommand();
        cmd.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
        cmd.action((opts) => {
          timed('specFromFlags', () => specsFromRunFlags(opts));
        });
        try {
          await cmd.parseAsync(args, { from: 'user' });
          tally.spec++;
        } catch (e) {
          if (e instanceof CommanderError) {
            expect(e.message.length).toBeGreaterThan(0);
            tally.usage++;
          } else {
            expect(e, String(e)).toBeInstanceOf(CliError);
            expect((e as CliError).message).toMatch(/^(--[a-z-]+|spec field |give either|unknown preset|--spec )/);
            tally.cli++;
          }
        }
      }),
      { numRuns: N, seed: SEED + 2 },
    );
    console.log(`[reliability] fuzz run flags: ${N} argv, ${tally.spec} valid specs, ${tally.usage} usage errors, ${tally.cli} CliErrors`);
    expect(tally.cli).toBeGreaterThan(N / 20);
  });

  it('lth run --spec FILE: 600 random and mutated spec files end in a spec or a CliError naming the file or field', () => {
    const dir = tempDir();
    let n = 0;
    const tally = { spec: 0, cli: 0 };
    const content = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      mutatedSpec.map((v) => JSON.stringify(v) ?? 'undefined'),
      mutatedSpec.map((v) => JSON.stringify({ id: 'e_x', spec: v })),
      fc.string({ maxLength: 50 }),
      fc.constantFrom('null', '5', '"spec"', '[]', '{"spec": null}', '{"spec": 7}', '\uFEFF{}', ''),
    );
    fc.assert(
      fc.property(content, (text) => {
        const file = join(dir, `spec-${n++}.json`);
        writeFileSync(file, text);
        try {
          timed('specFromFlags --spec', () => specFromFlags({ spec: file }));
          tally.spec++;
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(CliError);
          expect((e as CliError).message).toMatch(/^(--spec |spec field |--[a-z-]+: )/);
          tally.cli++;
        }
      }),
      { numRuns: 600, seed: SEED + 3 },
    );
    console.log(`[reliability] fuzz --spec files: 600 files, ${tally.spec} valid, ${tally.cli} CliErrors`);
  });
});
