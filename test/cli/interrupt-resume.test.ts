import { describe, expect, it } from 'vitest';
import { freshHome, json, lth, lthAsync } from './lth';

const ARGS = ['--preset', 'lenet300-mnist', '--trials', '1', '--rounds', '3', '--iterations', '200', '--eval-interval', '100', '--controls', 'reinit', '--backend', 'wasm'];

describe('Ctrl-C and resume', () => {
  it('keeps every finished run, exits 130, and `lth resume` finishes with the results of an uninterrupted run', async () => {
    const home = freshHome();
    const child = lthAsync(['run', ...ARGS], home);
    let stderr = '';
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // Interrupt once the dense round is stored, in the middle of round 1.
        if (/round 0 ticket/.test(stderr)) resolve();
      });
    });
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(stderr).toMatch(/lth resume e_/);

    const [exp] = json(lth(['experiments', 'list', '--json'], home));
    expect(exp.status).toBe('interrupted');
    const partial = json(lth(['experiments', 'show', exp.id, '--json'], home));
    expect(partial.runs.length).toBeGreaterThanOrEqual(1);
    expect(partial.runs.length).toBeLessThan(5);

    const resumed = json(lth(['resume', exp.id, '--json'], home));
    expect(resumed.status).toBe('completed');
    expect(resumed.results).toHaveLength(5);

    // The same spec and seed, never interrupted, on the same backend: identical numbers.
    const other = freshHome();
    const straight = json(lth(['run', ...ARGS, '--json'], other));
    const key = (r: any) => `${r.trial}:${r.variant}:${r.round}`;
    const sorted = (rs: any[]) => [...rs].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(resumed.results)).toEqual(sorted(straight.results));

    // Resuming a finished experiment is refused.
    const again = lth(['resume', exp.id], home);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/already completed/);
  });
});
