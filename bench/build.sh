#!/bin/sh
# Bundle the TypeScript benchmarks (tfjs stays external, resolved from the repo's node_modules).
set -e
cd "$(dirname "$0")/.."
for f in wasm-step conv2-step adam-check two-process; do
  [ -f bench/$f.ts ] && npx esbuild bench/$f.ts --bundle --platform=node --format=cjs \
    --external:@tensorflow/* --outfile=bench/.build/$f.cjs --log-level=warning
done
exit 0
