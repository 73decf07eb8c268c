import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { exportCommand } from '../../src/main/cli/commands/export';
import { CliError } from '../../src/main/cli/errors';
import { lenetExperiment, lenetHeatmap } from './fixture';

const dir = mkdtempSync(join(tmpdir(), 'lth-export-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function harness() {
  const experiments = new Map([
    ['a', lenetExperiment({ id: 'a', name: 'A' })],
    ['b', lenetExperiment({ id: 'b', name: 'B', seed: 4 })],
  ]);
  const state = { closed: 0, dbPath: undefined as string | undefined, printed: [] as string[], stderr: '' };
  const services = {
    experiments: {
      get: (id: string) => {
        const e = experiments.get(id);
        if (!e) throw new Error(`unknown experiment ${id}`);
        return e;
      },
    },
    tickets: {
      get: (id: string) => ({ id, name: 'best', trial: 0, round: 4, weightsRemaining: 0.41, experimentId: 'a' }),
      pixelHeatmap: () => lenetHeatmap(),
    },
    close: () => void state.closed++,
  };
  const cmd = exportCommand({
    createLabServices: (async (o: { dbPath?: string }) => {
      state.dbPath = o.dbPath;
      return services;
    }) as never,
    print: (l) => void state.printed.push(l),
  })
    .exitOverride()
    .configureOutput({ writeErr: (s) => void (state.stderr += s), writeOut: () => {} });
  const run = (...args: string[]) => cmd.parseAsync(args, { from: 'user' });
  return { state, run };
}

describe('lth export', () => {
  it('writes DIR/<figure>.<format> for each format and prints the paths', async () => {
    const { state, run } = harness();
    const out = join(dir, 'one');
    await run('--experiment', 'a,b', '--figure', 'accuracy', '--format', 'svg,csv,md', '--width', '89mm', '--out', out);
    expect(readdirSync(out).sort()).toEqual(['accuracy.csv', 'accuracy.md', 'accuracy.svg']);
    expect(state.printed).toEqual(['svg', 'csv', 'md'].map((f) => join(out, `accuracy.${f}`)));
    expect(state.closed).toBe(1);
  });

  it('draws a ticket mask from --ticket', async () => {
    const { state, run } = harness();
    const out = join(dir, 'mask');
    await run('--figure', 'mask', '--ticket', 't1', '--format', 'png,csv', '--out', out);
    expect(readdirSync(out).sort()).toEqual(['mask.csv', 'mask.png']);
    expect(state.closed).toBe(1);
  });

  it.each([
    [['--width', '3.5'], /argument '3.5' is invalid.*invalid width "3.5"/],
    [['--width', '10px'], /invalid width "10px"/],
    [['--format', 'svg,gif'], /unknown format "gif"/],
    [['--rounds', ''], /--rounds is empty/],
    [['--figure', 'pie'], /unknown figure "pie"/],
  ])('rejects %j with one clear line', async (args, message) => {
    const { state, run } = harness();
    const base = ['--experiment', 'a', '--figure', 'accuracy', '--out', join(dir, 'x')];
    await expect(run(...base, ...args)).rejects.toBeInstanceOf(CommanderError);
    expect(state.stderr).toMatch(message);
    expect(state.stderr.trim().split('\n')).toHaveLength(1);
    expect(state.closed).toBe(0);
  });

  it('names what is missing and closes the services after a failure', async () => {
    const { state, run } = harness();
    await expect(run('--figure', 'accuracy')).rejects.toThrow(new CliError('the accuracy figure needs --experiment ID[,ID...]'));
    await expect(run('--figure', 'mask')).rejects.toThrow(/needs --ticket ID/);
    await expect(run('--experiment', 'a', '--figure', 'curves', '--rounds', '7', '--out', join(dir, 'y'))).rejects.toThrow(CliError);
    await expect(run('--experiment', 'a', '--figure', 'curves', '--rounds', '7', '--out', join(dir, 'y'))).rejects.toThrow(/no runs at round 7/);
    expect(state.closed).toBe(2);
  });
});
