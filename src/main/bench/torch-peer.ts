import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { BenchNet } from './networks';

/** Debian's python3-torch imports under the system interpreter (a pyenv `python3` on PATH may lack it). */
export const TORCH_PYTHON = process.env.LTH_BENCH_PYTHON ?? '/usr/bin/python3';

/**
 * The PyTorch peer: the same masked networks, batch and optimizer (Adam, the preset's learning rate), gradients
 * multiplied by 0/1 masks before each step. It stays alive between chunks, reading one command per line
 * ("<net> <warmup> <steps> <threads>") and answering one JSON line, so chunks interleave with LTH Lab's.
 */
const PEER = String.raw`
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F
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
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))))

def make(name, device):
    model, shape, lr = (LeNet(), (784,), 1.2e-3) if name == 'lenet300' else (Conv2(), (3, 32, 32), 2e-4)
    model = model.to(device)
    masks = {}
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if p.dim() > 1:
                m = (torch.rand_like(p) < 0.8).float()
                p.mul_(m)
                masks[pname] = m
    params = dict(model.named_parameters())
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xs = [torch.rand((B,) + shape, device=device) for _ in range(8)]
    ys = [torch.randint(0, 10, (B,), device=device) for _ in range(8)]
    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xs[i % 8]), ys[i % 8])
        loss.backward()
        for pname, m in masks.items():
            params[pname].grad.mul_(m)
        opt.step()
    def zero_ok():
        return all(bool((params[n][m == 0] == 0).all()) for n, m in masks.items())
    return step, zero_ok

nets = {}
cuda = torch.cuda.is_available()
print(json.dumps({"ready": True, "version": torch.__version__, "cuda": torch.cuda.get_device_name(0) if cuda else None}), flush=True)
def sync(device):
    if device == 'cuda':
        torch.cuda.synchronize()
for line in sys.stdin:
    parts = line.split()
    name, warmup, steps, threads = parts[:4]
    device = parts[4] if len(parts) > 4 else 'cpu'
    torch.set_num_threads(int(threads))
    if (name, device) not in nets:
        nets[(name, device)] = make(name, device)
    step, zero_ok = nets[(name, device)]
    for i in range(int(warmup)):
        step(i)
    sync(device)
    t0 = time.perf_counter()
    for i in range(int(steps)):
        step(i)
    sync(device)
    ms = (time.perf_counter() - t0) * 1000 / int(steps)
    print(json.dumps({"msPerStep": ms, "threads": torch.get_num_threads(), "prunedExactlyZero": zero_ok()}), flush=True)
`;

export interface TorchPeer {
  version: string;
  /** The CUDA device's name when PyTorch sees one (the peer of the webgpu rows on a GPU machine), else null. */
  cuda: string | null;
  chunk(net: BenchNet, warmup: number, steps: number, threads: number, device?: 'cpu' | 'cuda'): Promise<{ msPerStep: number; threads: number; prunedExactlyZero: boolean }>;
  close(): void;
}

/** The torch version when `python3 -c 'import torch'` works, else null with the reason. */
export function torchAvailable(): { version: string | null; reason: string } {
  const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return { version: r.stdout.trim(), reason: '' };
  return { version: null, reason: r.error ? r.error.message : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`) };
}

export async function startTorchPeer(): Promise<TorchPeer> {
  const child: ChildProcessWithoutNullStreams = spawn(TORCH_PYTHON, ['-u', '-c', PEER], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const lines = createInterface({ input: child.stdout });
  let pending: { resolve: (line: string) => void; reject: (e: Error) => void } | null = null;
  let dead: Error | null = null;
  const fail = (e: Error) => {
    dead = e;
    pending?.reject(e);
    pending = null;
  };
  lines.on('line', (line) => {
    const p = pending;
    pending = null;
    p?.resolve(line);
  });
  child.on('error', fail);
  child.on('exit', (code) => fail(new Error(`the PyTorch peer exited (${code}): ${stderr.trim()}`)));
  const next = () =>
    new Promise<string>((resolve, reject) => {
      if (dead) reject(dead);
      else pending = { resolve, reject };
    });
  const hello = JSON.parse(await next()) as { version: string; cuda?: string | null };
  return {
    version: hello.version,
    cuda: hello.cuda ?? null,
    async chunk(net, warmup, steps, threads, device = 'cpu') {
      const answer = next();
      child.stdin.write(`${net} ${warmup} ${steps} ${threads} ${device}\n`);
      return JSON.parse(await answer);
    },
    close: () => {
      child.removeAllListeners('exit');
      child.stdin.end();
      child.kill();
    },
  };
}
