import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cleanupTemp, makeIdxData, tempDir, writeIdxFolder } from './fixtures';

// Fail the third file copy of an import, to see what a disk-full or I/O error midway leaves behind.
let copies = 0;
let failAt = -1;
vi.mock('node:fs/promises', async (orig) => {
  const real = await orig<typeof import('node:fs/promises')>();
  return {
    ...real,
    copyFile: async (...args: Parameters<typeof real.copyFile>) => {
      if (++copies === failAt) throw Object.assign(new Error('ENOSPC: no space left on device, copyfile'), { code: 'ENOSPC' });
      return real.copyFile(...args);
    },
  };
});

const { importDatasetFolder } = await import('../../src/main/engine/data/import');
const { DatasetError } = await import('../../src/main/engine/data/errors');

afterAll(cleanupTemp);

describe('import failing midway', () => {
  it('removes its staging folder and reports one line', async () => {
    const src = tempDir();
    writeIdxFolder(src, makeIdxData(10, 5));
    const dest = join(tempDir(), 'store');
    copies = 0;
    failAt = 3;
    const err = await importDatasetFolder('idx', src, dest, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toMatch(/^store: import failed: ENOSPC: no space left on device/);
    expect(copies).toBe(3);
    expect(existsSync(dest) ? readdirSync(dest) : []).toEqual([]);

    failAt = -1;
    const d = await importDatasetFolder('idx', src, dest, 'x');
    expect(readdirSync(dest)).toEqual([d.id]);
  });
});
