import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCifarData, makeIdxData, writeCifarFolder, writeIdxFolder } from '../data/fixtures';
import { freshHome, json, lth } from './lth';

/** One clear line on stderr, a non-zero exit, and nothing written to the store. */
function expectRefused(home: string, args: string[], pattern: RegExp) {
  const before = lth(['experiments', 'list', '--json'], home).stdout + lth(['datasets', 'list', '--json'], home).stdout;
  const r = lth(args, home);
  expect(r.status, r.stderr).not.toBe(0);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines.some((l) => pattern.test(l)), r.stderr).toBe(true);
  expect(lines.length).toBeLessThanOrEqual(2);
  const after = lth(['experiments', 'list', '--json'], home).stdout + lth(['datasets', 'list', '--json'], home).stdout;
  expect(after).toBe(before);
}

describe('lth refuses bad input with one clear line and leaves the store untouched', () => {
  const home = freshHome();

  it.each([
    [['run', '--preset', 'resnet-imagenet'], /unknown preset 'resnet-imagenet'/],
    [['run', '--dataset', 'nope', '--iterations', '10'], /dataset 'nope' not found/],
    [['run', '--rate-dense', '1.5'], /--rate-dense: .*\[0, 1\)/],
    [['run', '--rate-output', '-0.1'], /--rate-output/],
    [['run', '--global-rate', '0', '--strategy', 'global'], /--global-rate/],
    [['run', '--iterations', '0'], /--iterations: .*>=1/],
    [['run', '--iterations', '-5'], /--iterations/],
    [['run', '--iterations', '12abc'], /'12abc' is not a number/],
    [['run', '--rounds', '0'], /--rounds/],
    [['run', '--rewind', '700', '--iterations', '600'], /--rewind: must be below/],
    [['run', '--batch-size', '0'], /--batch-size/],
    [['run', '--validation-size', '70000', '--iterations', '10'], /--validation-size: 70,000 is not below the 60,000 training examples of dataset 'MNIST'/],
    [['run', '--validation-size', '60000', '--iterations', '10', '--retrain', 'rewind,finetune'], /--validation-size: 60,000 is not below/],
    [['run', '--lr', '0'], /--lr/],
    [['run', '--dense', '300,abc'], /'abc' is not a layer width/],
    [['run', '--controls', 'reinit,bogus'], /--controls/],
    [['run', '--backend', 'cuda'], /--backend/],
    [['run', '--spec', '/nonexistent/spec.json'], /--spec .*cannot read/],
    [['experiments', 'show', 'e_missing'], /experiment e_missing not found/],
    [['tickets', 'show', 't_missing'], /ticket t_missing not found/],
  ])('lth %j', (args, pattern) => {
    expectRefused(home, args as string[], pattern as RegExp);
  });

  it('refuses a spec file that is not JSON, naming the file', () => {
    const file = join(home, 'broken.json');
    writeFileSync(file, '{"dataset": "mnist",');
    expectRefused(home, ['run', '--spec', file], /broken\.json: not valid JSON/);
  });

  it('refuses a database path under a regular file and creates nothing', () => {
    const file = join(home, 'plain-file');
    writeFileSync(file, 'not a directory');
    const r = lth(['--db', join(file, 'sub', 'lth.sqlite'), 'datasets', 'list'], home);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/plain-file/);
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });

  describe('dataset imports', () => {
    const good = makeIdxData(30, 10, 28, 28, 10, 3);

    it('refuses a truncated IDX file', () => {
      const dir = join(home, 'truncated');
      mkdirSync(dir);
      writeIdxFolder(dir, good);
      const f = join(dir, 'train-images-idx3-ubyte');
      writeFileSync(f, readFileSync(f).subarray(0, 1000));
      expectRefused(home, ['datasets', 'import', 'idx', dir], /train-images-idx3-ubyte: truncated/);
    });

    it('refuses a wrong magic number', () => {
      const dir = join(home, 'magic');
      mkdirSync(dir);
      writeIdxFolder(dir, good);
      const f = join(dir, 't10k-labels-idx1-ubyte');
      const b = readFileSync(f);
      b[2] = 0x0d;
      writeFileSync(f, b);
      expectRefused(home, ['datasets', 'import', 'idx', dir], /t10k-labels-idx1-ubyte/);
    });

    it('refuses mismatched image and label counts', () => {
      const dir = join(home, 'mismatch');
      mkdirSync(dir);
      writeIdxFolder(dir, good);
      mkdirSync(join(home, 'other'));
      writeIdxFolder(join(home, 'other'), makeIdxData(31, 10, 28, 28, 10, 4));
      writeFileSync(join(dir, 'train-labels-idx1-ubyte'), readFileSync(join(home, 'other', 'train-labels-idx1-ubyte')));
      expectRefused(home, ['datasets', 'import', 'idx', dir], /30.*31|31.*30/);
    });

    it('refuses a CIFAR-10 folder whose batch is cut mid-record', () => {
      const dir = join(home, 'cifar-bad');
      mkdirSync(dir);
      writeCifarFolder(dir, makeCifarData(5, 2));
      const f = join(dir, 'data_batch_3.bin');
      writeFileSync(f, readFileSync(f).subarray(0, 3073 * 2 + 100));
      expectRefused(home, ['datasets', 'import', 'cifar10', dir], /data_batch_3\.bin/);
    });

    it('imports a good folder and lists it with its hash', () => {
      const dir = join(home, 'good');
      mkdirSync(dir);
      writeIdxFolder(dir, good, true);
      const d = json(lth(['datasets', 'import', 'idx', dir, '--name', 'tiny digits', '--json'], home));
      expect(d.trainCount).toBe(30);
      expect(d.shape).toEqual([28, 28, 1]);
      const listed = json(lth(['datasets', 'list', '--json'], home));
      expect(listed.map((x: any) => x.id)).toEqual(expect.arrayContaining(['mnist', d.id]));
    });
  });
});
