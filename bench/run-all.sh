#!/bin/sh
# Re-run every measurement of FINDINGS.md (about 6-8 minutes on the 2-core box). Results: bench/results-*.json|txt
set -x
cd "$(dirname "$0")/.."
bench/build.sh
/usr/bin/python3 bench/pytorch_peer.py 1 lenet 5 > bench/results-pytorch.txt
node bench/.build/wasm-step.cjs --rounds 4 --only f-featureMajor,e-manual-fused,layers-minimize --profile 0 --json bench/results-wasm-lenet-vs-torch.json 2>/dev/null
/usr/bin/python3 bench/pytorch_peer.py 1 lenet 5 >> bench/results-pytorch.txt
node bench/.build/wasm-step.cjs --backend cpu --rounds 1 --chunk 5 --only d-manual,f-featureMajor --profile 0 --json bench/results-cpu-lenet.json 2>/dev/null
node bench/.build/two-process.cjs --seconds 10 > bench/results-two-process.json 2>/dev/null
node bench/.build/conv2-step.cjs --rounds 2 --chunk 1 > bench/results-conv2-wasm.json 2>/dev/null
/usr/bin/python3 bench/pytorch_peer.py 1 conv2 3 >> bench/results-pytorch.txt
/usr/bin/python3 bench/pytorch_peer.py 2 lenet 3 >> bench/results-pytorch.txt
