#!/usr/bin/python3
"""PyTorch peer for the tfjs training-step benchmarks (issue 5).

Same masked training steps as bench/wasm-step.ts / bench/conv2-step.ts:
  LeNet-300-100: 784-300-100-10 relu, softmax CE, batch 60, Adam lr 1.2e-3
  Conv-2: conv64-conv64 (3x3 same, relu) - maxpool2 - fc256-fc256-fc10, 32x32x3 in, batch 60, Adam 2e-4
Per-layer 0/1 masks (20% pruned) on every kernel; the gradient is multiplied by the mask before
the Adam step so pruned weights stay exactly 0 (checked at the end).

Run (Debian's python has torch; a pyenv `python3` on PATH may not):
  /usr/bin/python3 bench/pytorch_peer.py [threads=1] [lenet|conv2|all] [rounds=5]
Prints one JSON line per network: {network, threads, stepsPerSec, examplesPerSec, msPerStep, ...}
Throughput = best of `rounds` chunks (the box is shared), median also given.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
which = sys.argv[2] if len(sys.argv) > 2 else "all"
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
torch.set_num_threads(threads)
torch.manual_seed(0)
B = 60


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 300), nn.Linear(300, 100), nn.Linear(100, 10)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Conv2(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(3, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1)
        self.fc1, self.fc2, self.fc3 = nn.Linear(16 * 16 * 64, 256), nn.Linear(256, 256), nn.Linear(256, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c2(F.relu(self.c1(x)))), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def bench(name, model, in_shape, lr, chunk):
    masks = {}
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if p.dim() > 1:  # kernels only
                m = (torch.rand_like(p) < 0.8).float()
                p.mul_(m)
                masks[pname] = m
    params = dict(model.named_parameters())
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    nb = 16
    xs = [torch.rand((B,) + in_shape) for _ in range(nb)]
    ys = [torch.randint(0, 10, (B,)) for _ in range(nb)]

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xs[i % nb]), ys[i % nb])
        loss.backward()
        for pname, m in masks.items():
            params[pname].grad.mul_(m)
        opt.step()
        return loss

    for i in range(10):
        step(i)
    times = []
    for r in range(rounds):
        t0 = time.perf_counter()
        for i in range(chunk):
            step(i)
        times.append((time.perf_counter() - t0) / chunk)
    zero_ok = all(bool((params[n][m == 0] == 0).all()) for n, m in masks.items())
    best, med = min(times), sorted(times)[len(times) // 2]
    return {
        "network": name, "framework": "pytorch " + torch.__version__, "threads": threads, "batch": B,
        "stepsPerSec": round(1 / best, 1), "examplesPerSec": round(B / best, 1), "msPerStep": round(best * 1e3, 3),
        "medianStepsPerSec": round(1 / med, 1), "prunedExactlyZero": zero_ok,
        "chunkMs": [round(t * 1e3, 2) for t in times],
    }


if which in ("lenet", "all"):
    print(json.dumps(bench("lenet-300-100", LeNet(), (784,), 1.2e-3, 200)), flush=True)
if which in ("conv2", "all"):
    print(json.dumps(bench("conv-2", Conv2(), (3, 32, 32), 2e-4, 10)), flush=True)
