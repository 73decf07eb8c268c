import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/main/server/server';
import { fakeServices } from '../contract/fake-services';
import { slurmExperiment } from '../renderer/slurm-fixture';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS, ensureBuilt } from './helpers';

/**
 * The window's Slurm parts (issue 15) in real Chromium over `lth serve`'s transport, light at 1280×800 and dark at
 * 1440×900: the panel of an experiment whose six trials are in every state, Sync now, and the wizard's Run on
 * Slurm with a field error. The services are the in-memory fakes holding a store fixture (test/renderer/slurm-fixture),
 * so the pictures do not need a cluster; the real cluster path is covered by the Slurm tests of the services.
 */
const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)('Slurm in the window (Chromium, browser mode)', () => {
  const services = fakeServices();
  const { summary, detail } = slurmExperiment('running');
  const local = services.experiments.list()[0]!;
  const localDetail = services.experiments.get(local.id);
  services.experiments.list = () => [summary, local];
  services.experiments.get = (id) => (id === summary.id ? detail : localDetail);
  services.tickets.list = () => [];
  services.slurm.sync = (id) => ({ experimentId: id, status: 'running', runsAdded: 2, masksAdded: 2, weightsAdded: 4, warning: null });
  let server: RunningServer;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    const rendererDir = process.env['LTH_E2E_RENDERER'] ?? ensureBuilt().rendererDir;
    mkdirSync(SHOTS, { recursive: true });
    server = await startServer(services, { staticDir: rendererDir, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const looks = [
    { name: 'light-1280', viewport: { width: 1280, height: 800 }, colorScheme: 'light' as const },
    { name: 'dark-1440', viewport: { width: 1440, height: 900 }, colorScheme: 'dark' as const },
  ];
  async function open(look: (typeof looks)[number]): Promise<Page> {
    const page = await browser.newPage({ viewport: look.viewport, colorScheme: look.colorScheme });
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(server.url);
    return page;
  }

  for (const look of looks) {
    it(`shows the Slurm panel and Sync now (${look.name})`, async () => {
      const page = await open(look);
      await page.click('nav button[data-view="runs"]');
      const panel = page.locator('[data-testid="slurm-panel"]');
      await panel.waitFor();
      expect(await panel.locator('tbody tr').count()).toBe(6);
      await page.waitForTimeout(200);
      await page.screenshot({ path: path.join(SHOTS, `slurm-runs-${look.name}.png`) });
      await page.click('button[data-action="slurm-sync"]');
      await page.waitForSelector('[data-testid="slurm-sync-result"]');
      expect(await page.textContent('[data-testid="slurm-sync-result"]')).toContain('Brought home 2 runs');
      await panel.screenshot({ path: path.join(SHOTS, `slurm-panel-${look.name}.png`) });
      await page.close();
    });

    it(`offers Run on Slurm in the wizard's review, with an error beside the field (${look.name})`, async () => {
      const page = await open(look);
      await page.click('nav button[data-view="wizard"]');
      await page.click('button[data-step="review"]');
      await page.check('input[name="runOnSlurm"]');
      await page.fill('input[name="slurmSharedDir"]', '/scratch/lab42/lth');
      await page.fill('input[name="slurmPartition"]', 'gpu');
      await page.fill('input[name="slurmTime"]', '12 hours');
      await page.fill('input[name="slurmCpus"]', '4');
      await page.fill('input[name="slurmGpus"]', '1');
      await page.fill('input[name="slurmMem"]', '16G');
      await page.waitForSelector('text=Time limit: use minutes');
      await page.screenshot({ path: path.join(SHOTS, `slurm-wizard-${look.name}.png`) });
      await page.locator('[data-testid="slurm-submit"]').screenshot({ path: path.join(SHOTS, `slurm-wizard-choice-${look.name}.png`) });
      await page.fill('input[name="slurmTime"]', '12:00:00');
      await page.click('button[data-action="slurm-submit"]');
      await page.waitForSelector('h1#runs-h');
      const call = services.calls.filter((c) => c.method === 'slurm.submit').at(-1);
      expect(call?.args[0]).toMatchObject({ resources: { sharedDir: '/scratch/lab42/lth', partition: 'gpu', time: '12:00:00', cpusPerTask: 4, gpusPerTask: 1, mem: '16G' } });
      await page.close();
    });
  }

  it('logged no error in the page', () => {
    expect(errors).toEqual([]);
  });
});
