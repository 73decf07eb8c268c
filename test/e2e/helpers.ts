import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const CHROMIUM = process.env['LTH_CHROMIUM'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Screenshots of every main view land here (CI uploads the folder). */
export const SHOTS = process.env['LTH_SCREENSHOTS'] ?? path.join(ROOT, 'out', 'e2e-screenshots');

/** The e2e suite drives the built app: build what is missing rather than test something stale-by-absence. */
export function ensureBuilt(): { rendererDir: string; workerEntry: string } {
  const rendererDir = path.join(ROOT, 'out', 'renderer');
  const workerEntry = path.join(ROOT, 'dist', 'worker.js');
  if (!existsSync(path.join(rendererDir, 'index.html'))) execFileSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(workerEntry)) execFileSync('npx', ['tsup'], { cwd: ROOT, stdio: 'inherit' });
  return { rendererDir, workerEntry };
}

/** A small MNIST-format folder: class k draws a bar at row 3k, so a tiny net can learn it. */
export function writeIdxFolder(dir: string, train = 300, test = 100): void {
  mkdirSync(dir, { recursive: true });
  const images = (n: number, seed: number) => {
    const head = Buffer.alloc(16);
    head.writeUInt32BE(0x00000803, 0);
    head.writeUInt32BE(n, 4);
    head.writeUInt32BE(28, 8);
    head.writeUInt32BE(28, 12);
    const body = Buffer.alloc(n * 784);
    for (let i = 0; i < n; i++) {
      const k = (i + seed) % 10;
      for (let x = 2; x < 26; x++) for (let dy = 0; dy < 2; dy++) body[i * 784 + (3 + k * 2 + dy) * 28 + x] = 200 + ((i * 7 + x) % 55);
    }
    return Buffer.concat([head, body]);
  };
  const labels = (n: number, seed: number) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(0x00000801, 0);
    head.writeUInt32BE(n, 4);
    return Buffer.concat([head, Buffer.from(Array.from({ length: n }, (_, i) => (i + seed) % 10))]);
  };
  writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), images(train, 0));
  writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), labels(train, 0));
  writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), images(test, 3));
  writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), labels(test, 3));
}
