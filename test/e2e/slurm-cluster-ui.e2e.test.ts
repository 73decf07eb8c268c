import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLabServices } from '../../src/main/services';
import { startServer, type RunningServer } from '../../src/main/server/server';
import { privateLth, skipReason, startCluster, stopCluster, type Cluster } from '../slurm/cluster';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS, ensureBuilt } from './helpers';

/**
 * The window on a real Slurm login node (issue 15): the wizard submits a tiny experiment (2 trials, 2 rounds,
 * 30 iterations) through slurm.submit with a profile of this machine, the job array runs on the local one-node
 * cluster (scripts/slurm/cluster-up.sh), and the Slurm panel shows the tasks and then every run brought home by
 * the background sync. Screenshots for people to look at; opt-in (LTH_SLURM_UI=1): test/slurm covers the same
 * path without a browser in CI, and test/e2e/slurm-ui.e2e.test.ts the panel on a fixture.
 */
const wanted = process.env['LTH_SLURM_UI'] === '1' && existsSync(CHROMIUM);

describe.skipIf(!wanted)('Slurm from the window on a real local cluster', () => {
  let cluster: Cluster | { skip: string };
  let home: string;
  let services: Awaited<ReturnType<typeof createLabServices>>;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    cluster = startCluster();
    // Under CI=true this throws: the test fails rather than skips when the cluster does not start.
    const skip = skipReason(cluster);
    if (skip) {
      console.warn(`[slurm-cluster-ui skipped] ${skip}`);
      return;
    }
    Object.assign(process.env, cluster.env, { LTH_SLURM_POLL_SECONDS: '2' });
    const bin = privateLth();
    const rendererDir = process.env['LTH_E2E_RENDERER'] ?? ensureBuilt().rendererDir;
    mkdirSync(SHOTS, { recursive: true });
    home = mkdtempSync(path.join(os.tmpdir(), 'lth-slurm-ui-'));
    // What the machine's owner writes: how the nodes start lth, and the backend there.
    writeFileSync(path.join(home, 'slurm-profiles.json'), JSON.stringify({ local: { lth: `${process.execPath} ${bin}`, backend: 'wasm', time: '10' } }));
    services = await createLabServices({ home, runner: 'child', workerEntry: path.join(bin, '..', 'worker.js'), backend: 'wasm' });
    server = await startServer(services, { staticDir: rendererDir, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(server.url);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await services?.close();
    delete process.env['LTH_SLURM_POLL_SECONDS'];
    if (cluster && !('skip' in cluster)) stopCluster(cluster);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('submits from the wizard, shows the tasks, and brings every run home', async (ctx) => {
    if ('skip' in cluster) return ctx.skip();
    await page.click('nav button[data-view="wizard"]');
    await page.click('button[data-step="training"]');
    await page.fill('input[name="iterations"]', '30');
    await page.fill('input[name="evalInterval"]', '30');
    await page.fill('input[name="validationSize"]', '1000');
    await page.click('button[data-step="pruning"]');
    await page.fill('input[name="rounds"]', '2');
    await page.fill('input[name="trials"]', '2');
    await page.uncheck('input[name="controlRandom"]');
    await page.uncheck('input[name="controlReinit"]');
    await page.click('button[data-step="review"]');
    await page.check('input[name="runOnSlurm"]');
    await page.fill('input[name="slurmProfile"]', 'local');
    await page.fill('input[name="slurmSharedDir"]', path.join(home, 'shared'));
    await page.fill('input[name="slurmCpus"]', '1');
    await page.click('button[data-action="slurm-submit"]');
    const panel = page.locator('[data-testid="slurm-panel"]');
    await panel.waitFor({ timeout: 60_000 });
    expect(await panel.locator('tbody tr').count()).toBe(2);
    expect(await page.textContent('[data-testid="slurm-jobs"]')).toMatch(/^\d+$/);
    await page.screenshot({ path: path.join(SHOTS, 'slurm-cluster-submitted-light-1280.png') });
    await page.waitForSelector('[data-testid="experiment-title"] .chip.completed', { timeout: 240_000 });
    await page.screenshot({ path: path.join(SHOTS, 'slurm-cluster-completed-light-1280.png') });
    // rounds 2 = the dense round 0 and one pruned round: 2 ticket runs per trial, no controls.
    await expect.poll(async () => (await panel.locator('[data-state="completed"]').count()), { timeout: 30_000 }).toBe(2);
    expect(await panel.locator('tbody').textContent()).toContain('2/2');
    await page.click('button[data-action="slurm-sync"]');
    await page.waitForSelector('[data-testid="slurm-sync-result"]');
    expect(await page.textContent('[data-testid="slurm-sync-result"]')).toBe('Nothing new to bring home. Every planned run is here: the experiment is complete.');
    await page.screenshot({ path: path.join(SHOTS, 'slurm-cluster-synced-light-1280.png') });
    const dark = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    await dark.goto(server.url);
    await dark.click('nav button[data-view="runs"]');
    await dark.locator('[data-testid="slurm-panel"]').waitFor();
    await dark.waitForTimeout(300);
    await dark.screenshot({ path: path.join(SHOTS, 'slurm-cluster-completed-dark-1440.png') });
    await dark.close();
    expect(errors).toEqual([]);
  }, 420_000);
});
