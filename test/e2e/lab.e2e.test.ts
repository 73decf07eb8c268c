import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createLabServices } from '../../src/main/services';
import { startServer, type RunningServer } from '../../src/main/server/server';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS, ensureBuilt, writeIdxFolder } from './helpers';

/**
 * A new user's path through the lab in real Chromium over `lth serve`'s transport: import a
 * dataset, run a tiny LeNet experiment with a reinit control from the wizard, save two tickets,
 * compare them. Real services, real worker processes, real store; nothing mocked.
 */
const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)('the lab in Chromium (browser mode)', () => {
  let home: string;
  let services: Awaited<ReturnType<typeof createLabServices>>;
  let server: RunningServer;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  const shot = async (name: string) => {
    await page.waitForTimeout(150); // let Chart.js finish its first paint
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  };
  const go = async (view: string) => {
    await page.click(`nav button[data-view="${view}"]`);
  };

  beforeAll(async () => {
    const { rendererDir, workerEntry } = ensureBuilt();
    mkdirSync(SHOTS, { recursive: true });
    home = mkdtempSync(path.join(os.tmpdir(), 'lth-e2e-'));
    services = await createLabServices({ home, runner: 'child', workerEntry, backend: 'wasm' });
    server = await startServer(services, { staticDir: rendererDir, port: 0 });
    context = await chromium.launchPersistentContext(path.join(home, 'chromium-profile'), {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 800 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(server.url);
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    await services?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('shows the built-in dataset with samples, hash and class counts', async () => {
    await page.waitForSelector('tr[data-dataset="mnist"]');
    await page.waitForSelector('canvas[aria-label*="sample images"]');
    expect(await page.textContent('[data-testid="dataset-hash"]')).toMatch(/^[0-9a-f]{64}$/);
    await expect.poll(() => page.textContent('[data-testid="backend"]')).toBe('wasm');
    await shot('01-datasets');
  });

  it('imports an IDX folder, and shows an error beside the field for a bad one', async () => {
    await page.fill('input[name="folder"]', path.join(home, 'does-not-exist'));
    await page.click('form button[type="submit"]');
    await expect.poll(() => page.textContent('[data-testid="folder-error"]')).not.toBe('');
    await shot('02-datasets-import-error');
    const folder = path.join(home, 'tiny-digits');
    writeIdxFolder(folder);
    await page.fill('input[name="folder"]', folder);
    await page.fill('input[name="name"]', 'tiny-digits');
    await page.click('form button[type="submit"]');
    await page.waitForSelector('text=Imported tiny-digits');
    expect(await page.textContent('[data-testid="folder-error"]')).toBe('');
    await page.waitForSelector('canvas[aria-label*="sample images"]');
    await shot('03-datasets-imported');
  });

  it('creates a tiny LeNet experiment with a reinit control in the wizard', async () => {
    await go('wizard');
    await page.selectOption('select[name="dataset"]', 'mnist');
    await page.click('button[data-step="training"]');
    await page.fill('input[name="iterations"]', '0');
    await page.waitForSelector('text=Iterations per round must be at least 1');
    await page.fill('input[name="iterations"]', '200');
    await page.fill('input[name="validationSize"]', '1000');
    await page.click('button[data-step="pruning"]');
    await page.fill('input[name="rounds"]', '3');
    // The presets carry the paper's 5 trials; one keeps this test quick.
    await page.fill('input[name="trials"]', '1');
    await page.uncheck('input[name="controlRandom"]');
    await page.check('input[name="controlReinit"]');
    await page.fill('input[name="trials"]', '1');
    await page.fill('input[name="rewindIteration"]', '500');
    await page.waitForSelector('text=Rewind to iteration must be below “Iterations per round”');
    await shot('04-wizard-error');
    await page.fill('input[name="rewindIteration"]', '0');
    await page.click('button[data-step="review"]');
    await page.waitForSelector('[data-testid="estimate"] b');
    await shot('05-wizard-review');
    await page.click('button[data-action="start"]');
    await page.waitForSelector('h1#runs-h');
  });

  it('streams progress and finishes with a winning-ticket verdict', async () => {
    await page.waitForSelector('[data-testid="eta"]', { timeout: 120_000 });
    await page.waitForSelector('canvas[aria-label*="chosen runs"]', { timeout: 120_000 });
    await shot('06-runs-live');
    await page.waitForSelector('.detail .chip.completed', { timeout: 300_000 });
    await page.waitForSelector('tr[data-round="2"]');
    await page.waitForSelector('canvas[aria-label*="per variant"]');
    expect(await page.textContent('[data-testid="winning-ticket"]')).toMatch(/Winning ticket/);
    expect(await page.textContent('[data-testid="run-backend"]')).toContain('wasm');
    await shot('07-runs-finished');
  }, 420_000);

  it('saves two tickets and lists them in the library', async () => {
    // The services keep the winning ticket on their own; the user saves two more.
    // Saving the round that won names the kept ticket instead of copying it.
    // A round already in the library (the kept winning ticket) links to it instead of offering Save again.
    const before = (await services.tickets.list()).length;
    let clicked = 0;
    for (const r of [1, 2]) {
      const save = page.locator(`button[data-action="save-ticket-${r}"]`);
      if (await save.count()) {
        await save.click();
        await page.waitForSelector(`button[data-action="open-ticket-${r}"]`);
        clicked++;
      } else expect(await page.locator(`button[data-action="open-ticket-${r}"]`).count()).toBe(1);
    }
    expect(clicked).toBeGreaterThan(0);
    await go('tickets');
    await expect.poll(() => page.locator('tr[data-ticket]').count()).toBe(before + clicked);
    expect(await page.locator('tr[data-ticket]').count()).toBeGreaterThanOrEqual(2);
    await page.locator('tr[data-ticket]').first().click();
    await page.fill('input[name="ticketTags"]', 'e2e, lenet');
    await page.click('text=Save changes');
    await page.waitForSelector('.chip:has-text("lenet")');
    for (const box of await page.locator('tr[data-ticket] input[type="checkbox"]').all()) await box.check();
    await shot('08-tickets');
  });

  it('compares the two tickets: curves, density, Jaccard overlap, pixel heat maps, hyperparameters', async () => {
    await page.click('button[data-action="compare-tickets"]');
    await page.waitForSelector('h1#compare-h');
    await page.waitForSelector('canvas[aria-label*="log axis"]');
    await expect.poll(() => page.locator('[data-testid="jaccard"]').count()).toBeGreaterThan(0);
    const jaccard = Number(await page.locator('[data-testid="jaccard"]').first().textContent());
    expect(jaccard).toBeGreaterThan(0);
    expect(jaccard).toBeLessThanOrEqual(1);
    await expect.poll(() => page.locator('canvas[aria-label*="connections"]').count()).toBe((await services.tickets.list()).length);
    expect(await page.locator('[data-testid="winning-ticket"]').count()).toBeGreaterThan(0);
    await shot('09-compare');
  });

  it('exports the accuracy figure for a paper from the Compare view: SVG, PDF, 300-dpi PNG, CSV, LaTeX', async () => {
    const folder = path.join(home, 'paper-figures');
    await page.waitForSelector('form[aria-labelledby="export-h"]');
    await page.selectOption('select[name="exportFigure"]', 'accuracy');
    for (const f of ['svg', 'pdf', 'png', 'csv', 'tex']) await page.check(`input[name="format-${f}"]`);
    await page.uncheck('input[name="format-md"]');
    await page.check('input[name="exportWidth"][value="3.5"]');
    // A path that is not absolute on the serving machine is refused beside the field.
    await page.fill('input[name="exportFolder"]', 'paper-figures');
    await page.click('button[data-action="export"]');
    await expect.poll(() => page.textContent('[data-testid="export-folder-error"]')).toMatch(/absolute path/);
    await page.locator('form[aria-labelledby="export-h"]').scrollIntoViewIfNeeded();
    await shot('10-compare-export-error');
    await page.fill('input[name="exportFolder"]', folder);
    await page.click('button[data-action="export"]');
    await expect.poll(() => page.locator('[data-testid="exported-file"]').count(), { timeout: 60_000 }).toBe(5);
    expect(await page.textContent('[data-testid="export-folder-error"]')).toBe('');
    const files = ['svg', 'pdf', 'png', 'csv', 'tex'].map((f) => path.join(folder, `accuracy.${f}`));
    for (const f of files) expect(existsSync(f), f).toBe(true);
    const svg = readFileSync(files[0]!, 'utf8');
    expect(svg).toMatch(/<path\b/);
    expect(svg).not.toMatch(/<image\b/);
    expect(svg).toMatch(/width="3.5in"/);
    expect(readFileSync(files[1]!).subarray(0, 4).toString('latin1')).toBe('%PDF');
    const png = readFileSync(files[2]!);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1050); // IHDR width: 3.5 in at 300 dpi
    const csv = readFileSync(files[3]!, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('experimentId,experiment,trial,variant,round,weightsRemaining,testAccuracy');
    expect(csv.length).toBeGreaterThan(3);
    expect(readFileSync(files[4]!, 'utf8')).toMatch(/\\toprule[\s\S]*\\bottomrule/);
    copyFileSync(files[2]!, path.join(SHOTS, '11-exported-accuracy.png'));
    // Browser mode: the same files as one zip download.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-action="export-download"]')]);
    expect(download.suggestedFilename()).toBe('accuracy.zip');
    const zip = readFileSync((await download.path())!);
    expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
    for (const f of ['svg', 'pdf', 'png', 'csv', 'tex']) expect(zip.includes(Buffer.from(`accuracy.${f}`))).toBe(true);
    // Exporting the same figure to the same folder again asks before replacing the files.
    await page.click('button[data-action="export"]');
    await page.waitForSelector('[aria-label="Replace the earlier export?"]');
    await page.click('button[data-action="export-replace"]');
    await page.waitForSelector('text=replacing 5 from an earlier export');
    await shot('10-compare-export');
    // The same view in the dark theme: the shared figures take the theme's ink.
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('12-compare-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
