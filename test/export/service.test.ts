import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportsService } from '../../src/main/services/exports';
import { toApiError } from '../../src/main/server/dispatch';
import type { Store } from '../../src/main/store';
import { lenetExperiment } from './fixture';
import { pngSize } from './helpers';

const exp = lenetExperiment();
const dir = mkdtempSync(join(tmpdir(), 'lth-export-service-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Only what the exports service reads from the store. */
const store = {
  experimentDetail: (id: string) => {
    if (id !== exp.id) throw Object.assign(new Error(`experiment ${id} not found`), { name: 'StoreError', code: 'not-found' });
    return exp;
  },
} as unknown as Store;
const service = exportsService(store);
const request = { experimentIds: [exp.id], figure: 'accuracy' as const, formats: ['svg' as const, 'png' as const, 'csv' as const, 'tex' as const], widthInches: 3.5 };

describe('exports service (what the Compare view calls)', () => {
  it('writes DIR/<figure>.<format> with the same exporter as lth export', async () => {
    const folder = join(dir, 'new', 'nested');
    const { files } = await service.figures({ ...request, folder });
    expect(files).toEqual(['svg', 'png', 'csv', 'tex'].map((f) => join(folder, `accuracy.${f}`)));
    expect(pngSize(readFileSync(files[1]!)).width).toBe(1050);
    expect(readFileSync(files[3]!, 'utf8')).toContain('\\toprule');
  });

  it('refuses a relative folder and blames the field, before writing anything', async () => {
    const err = await service.figures({ ...request, folder: 'relative/figs' }).catch((e: unknown) => e);
    expect(toApiError(err)).toMatchObject({ code: 'invalid', field: 'folder', message: expect.stringMatching(/not an absolute path/) });
    expect(existsSync(join(process.cwd(), 'relative'))).toBe(false);
  });

  it('names the field of figure-option and file-system problems', async () => {
    const rounds = await service.figures({ ...request, folder: dir, rounds: [42] }).catch((e: unknown) => e);
    expect(toApiError(rounds)).toMatchObject({ code: 'invalid', field: 'rounds', message: expect.stringMatching(/no runs at round 42/) });
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const blocked = await service.figures({ ...request, folder: join(file, 'sub') }).catch((e: unknown) => e);
    expect(toApiError(blocked)).toMatchObject({ code: 'invalid', field: 'folder' });
    const missing = await service.figures({ ...request, experimentIds: ['nope'], folder: dir }).catch((e: unknown) => e);
    expect(toApiError(missing)).toMatchObject({ code: 'not_found' });
  });
});
