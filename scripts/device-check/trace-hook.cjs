'use strict';
// Preloaded by `pack` (node --require, inherited by child processes through NODE_OPTIONS): records every file a
// run of the CLI opens, so the bundle carries what the CLI really loads rather than a hand-written list.
// CommonJS modules, JSON and .wasm are read through the public fs functions, native addons through
// process.dlopen; ES modules are seen by a module.register load hook (it runs on the loader's own thread).
const fs = require('node:fs');
const { pathToFileURL, fileURLToPath } = require('node:url');
const out = process.env.LTH_TRACE_FILE;
if (out) {
  const record = (p) => {
    try {
      if (typeof p === 'string' || p instanceof URL || Buffer.isBuffer(p)) {
        const s = p instanceof URL ? fileURLToPath(p) : String(p);
        fs.appendFileSync(out, `${s}\n`);
      }
    } catch {
      /* a descriptor or an odd argument: not a file name */
    }
  };
  for (const name of ['readFileSync', 'openSync', 'open', 'readFile', 'createReadStream']) {
    const orig = fs[name];
    fs[name] = function (p, ...rest) {
      record(p);
      return orig.call(this, p, ...rest);
    };
  }
  for (const name of ['readFile', 'open']) {
    const orig = fs.promises[name];
    fs.promises[name] = function (p, ...rest) {
      record(p);
      return orig.call(this, p, ...rest);
    };
  }
  const dlopen = process.dlopen;
  process.dlopen = function (module, filename, ...rest) {
    record(filename);
    return dlopen.call(this, module, filename, ...rest);
  };
  const hooks = `
    import { appendFileSync } from 'node:fs';
    import { fileURLToPath } from 'node:url';
    export async function load(url, context, next) {
      if (url.startsWith('file:')) appendFileSync(${JSON.stringify(out)}, fileURLToPath(url) + '\\n');
      return next(url, context);
    }`;
  require('node:module').register(`data:text/javascript,${encodeURIComponent(hooks)}`, pathToFileURL(__filename));
}
