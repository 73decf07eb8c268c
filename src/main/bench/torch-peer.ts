import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { batchOf, labParameterCounts, NET_TITLE, type BenchNet } from './networks';

/** Debian's python3-torch imports under the system interpreter (a pyenv `python3` on PATH may lack it). */
export const TORCH_PYTHON = process.env.LTH_BENCH_PYTHON ?? '/usr/bin/python3';

/**
 * The PyTorch peer: the same masked networks, batch and optimizer, gradients multiplied by 0/1 masks before each
 * step. LeNet-300-100 and Conv-2: Adam at the preset's learning rate, 20% of every weight matrix masked at random.
 * ResNet-20 and VGG-19: conv bias off, batch norm after every conv (PyTorch's BatchNorm2d, the lab's eps and
 * momentum), global average pool, fc 10; SGD momentum 0.9, weight decay 1e-4 (added to the gradient before the
 * mask, as the lab does), the 20% smallest conv weights pruned globally (fc 0%), the CIFAR crop+flip of each batch.
 * It stays alive between chunks, reading one command per line ("<net> <warmup> <steps> <threads> <device>
 * <batch> [<tf32>]") and answering one JSON line, so chunks interleave with LTH Lab's; "params <net>" answers the
 * network's parameter counts without training. The device check adds "packed ..." (R LeNet-300-100 runs one after
 * another, or batched with torch.bmm) and "matmul ..." (the fp32 ceiling), with TF32 set per command.
 */
const PEER = String.raw`
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)

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

def bn(c):
    return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)

class Block(nn.Module):
    """A basic block (He et al. 2016): 3x3 conv, BN, ReLU, 3x3 conv, BN, + shortcut (1x1 conv + BN at a stage change), ReLU."""
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), bn(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), bn(cout)
        self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), bn(cout)) if stride != 1 or cin != cout else None
    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (self.shortcut(x) if self.shortcut is not None else x))

class ResNet20(nn.Module):
    """3x3 stem 16, 3 stages x 3 basic blocks (16, 32, 64; stride 2 at each stage change), global average pool, fc 10."""
    def __init__(self):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(3, 16, 3, 1, 1, bias=False), bn(16)
        blocks, cin = [], 16
        for s, width in enumerate([16, 32, 64]):
            for b in range(3):
                blocks.append(Block(cin, width, 2 if s > 0 and b == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)
    def forward(self, x):
        x = self.blocks(F.relu(self.bn(self.conv(x))))
        return self.fc(x.mean((2, 3)))

class VGG19(nn.Module):
    """conv 64,64,P,128,128,P,256x4,P,512x4,P,512x4 (3x3, BN, ReLU), global average pool, fc 10."""
    def __init__(self):
        super().__init__()
        layers, cin = [], 3
        for c in [64, 64, 'P', 128, 128, 'P', 256, 256, 256, 256, 'P', 512, 512, 512, 512, 'P', 512, 512, 512, 512]:
            if c == 'P':
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(cin, c, 3, padding=1, bias=False), bn(c), nn.ReLU()]
                cin = c
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(512, 10)
    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))

DEEP = {'resnet20': ResNet20, 'vgg19': VGG19}

def build(name):
    if name == 'lenet300':
        return LeNet(), (784,)
    if name == 'conv2':
        return Conv2(), (3, 32, 32)
    return DEEP[name](), (3, 32, 32)

def counts(model):
    """Weights of each conv and dense layer in module order (the lab's layer order), and every trained parameter."""
    return {"layerWeights": [p.numel() for p in model.parameters() if p.dim() > 1], "trainable": sum(p.numel() for p in model.parameters())}

def augment(x):
    """CIFAR crop+flip: a random 32x32 crop of the 4-pixel zero-padded image, flipped left-right with probability 1/2."""
    b, _, h, w = x.shape
    padded = F.pad(x, (4, 4, 4, 4))
    dy, dx, flip = torch.randint(0, 9, (b,)).tolist(), torch.randint(0, 9, (b,)).tolist(), (torch.rand(b) < 0.5).tolist()
    out = torch.empty_like(x)
    for i in range(b):
        img = padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
        out[i] = img.flip(2) if flip[i] else img
    return out

def make(name, device, B):
    model, shape = build(name)
    model = model.to(device)
    deep = name in DEEP
    masks = {}
    with torch.no_grad():
        if deep:
            # Round 1 of the presets' global pruning: the 20% smallest conv weights across all conv layers; fc kept whole.
            convs = [(n, p) for n, p in model.named_parameters() if p.dim() == 4]
            every = torch.cat([p.abs().flatten() for _, p in convs])
            threshold = torch.kthvalue(every.cpu(), int(round(0.2 * every.numel()))).values.item()
            for n, p in model.named_parameters():
                if p.dim() > 1:
                    masks[n] = (p.abs() > threshold).float() if p.dim() == 4 else torch.ones_like(p)
                    p.mul_(masks[n])
        else:
            for pname, p in model.named_parameters():
                if p.dim() > 1:
                    m = (torch.rand_like(p) < 0.8).float()
                    p.mul_(m)
                    masks[pname] = m
    params = dict(model.named_parameters())
    if deep:
        # The presets' rate without their schedule, as the lab's chunks run (the rate does not change the speed).
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1.2e-3 if name == 'lenet300' else 2e-4)
    model.train()
    xs = [torch.rand((B,) + shape, device=device) for _ in range(8)]
    ys = [torch.randint(0, 10, (B,), device=device) for _ in range(8)]
    def step(i):
        opt.zero_grad(set_to_none=True)
        x = xs[i % 8]
        if deep:
            with torch.no_grad():
                x = augment(x)
        loss = F.cross_entropy(model(x), ys[i % 8])
        loss.backward()
        # SGD adds the weight decay inside step, after the mask; the lab adds it before: the same, as a pruned weight is 0.
        for pname, m in masks.items():
            params[pname].grad.mul_(m)
        opt.step()
    def zero_ok():
        return all(bool((params[n][m == 0] == 0).all()) for n, m in masks.items())
    return step, zero_ok, counts(model)

def set_tf32(flag):
    """'1' TF32 on, '0' off (plain fp32), '-' left as PyTorch has it (matmul off, cuDNN on by default)."""
    if flag in ('0', '1'):
        torch.backends.cuda.matmul.allow_tf32 = flag == '1'
        torch.backends.cudnn.allow_tf32 = flag == '1'

def packed_lenet(R, device, B):
    """R masked LeNet-300-100 runs as one model: [R, in, out] kernels, one torch.bmm per layer, one Adam over the stacks
    (elementwise, so each run's state is its own); the loss is the sum of the runs' means, so each run's gradient is
    exactly that of the run alone."""
    models = [LeNet().to(device) for _ in range(R)]
    layers = [[m.fc1, m.fc2, m.fc3] for m in models]
    W = [nn.Parameter(torch.stack([l[i].weight.detach().t() for l in layers])) for i in range(3)]
    b = [nn.Parameter(torch.stack([l[i].bias.detach().unsqueeze(0) for l in layers])) for i in range(3)]
    masks = [(torch.rand_like(w) < 0.8).float() for w in W]
    with torch.no_grad():
        for w, m in zip(W, masks):
            w.mul_(m)
    opt = torch.optim.Adam(W + b, lr=1.2e-3)
    xs = [torch.rand((R, B, 784), device=device) for _ in range(8)]
    ys = [torch.randint(0, 10, (R * B,), device=device) for _ in range(8)]
    def step(i):
        opt.zero_grad(set_to_none=True)
        h = xs[i % 8]
        for k in range(3):
            h = torch.baddbmm(b[k], h, W[k])
            if k < 2:
                h = F.relu(h)
        loss = F.cross_entropy(h.reshape(R * B, 10), ys[i % 8], reduction='sum') / B
        loss.backward()
        for w, m in zip(W, masks):
            w.grad.mul_(m)
        opt.step()
    def zero_ok():
        return all(bool((w[m == 0] == 0).all()) for w, m in zip(W, masks))
    per_run = {"layerWeights": [w.numel() // R for w in W], "trainable": sum(p.numel() for p in W + b) // R}
    return step, zero_ok, per_run

def packed_command(parts):
    """packed <R> <warmup> <steps> <device> <sequential|batched> <tf32>: aggregate run-steps/s of R LeNet-300-100 runs."""
    R, warmup, steps, device, mode = int(parts[1]), int(parts[2]), int(parts[3]), parts[4], parts[5]
    set_tf32(parts[6] if len(parts) > 6 else '-')
    if mode == 'batched':
        step, zero_ok, sizes = packed_lenet(R, device, 60)
        runs = [step]
    else:
        made = [make('lenet300', device, 60) for _ in range(R)]
        runs = [m[0] for m in made]
        zero_ok = lambda: all(m[1]() for m in made)
        sizes = made[0][2]
    for run in runs:
        for i in range(warmup):
            run(i)
    sync(device)
    t0 = time.perf_counter()
    for run in runs:
        for i in range(steps):
            run(i)
    sync(device)
    seconds = time.perf_counter() - t0
    return {"runStepsPerSec": R * steps / seconds, "seconds": seconds, "prunedExactlyZero": zero_ok(), **sizes}

def matmul_command(parts):
    """matmul <n> <calls> <rounds> <device> <tf32>: best GFLOP/s of an n x n fp32 matMul."""
    n, calls, rounds, device = int(parts[1]), int(parts[2]), int(parts[3]), parts[4]
    set_tf32(parts[5] if len(parts) > 5 else '-')
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    (a @ b).sum().item()
    best = float('inf')
    for _ in range(rounds):
        sync(device)
        t0 = time.perf_counter()
        for _ in range(calls):
            c = a @ b
        sync(device)
        best = min(best, (time.perf_counter() - t0) / calls)
    return {"gflops": 2 * n ** 3 / best / 1e9, "msPerCall": best * 1000}

nets = {}
cuda = torch.cuda.is_available()
print(json.dumps({"ready": True, "version": torch.__version__, "cuda": torch.cuda.get_device_name(0) if cuda else None}), flush=True)
def sync(device):
    if device == 'cuda':
        torch.cuda.synchronize()
for line in sys.stdin:
    parts = line.split()
    if parts[0] == 'params':
        print(json.dumps(counts(build(parts[1])[0])), flush=True)
        continue
    if parts[0] in ('packed', 'matmul'):
        try:
            print(json.dumps((packed_command if parts[0] == 'packed' else matmul_command)(parts)), flush=True)
        except Exception as e:
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
        continue
    name, warmup, steps, threads = parts[:4]
    device = parts[4] if len(parts) > 4 else 'cpu'
    B = int(parts[5]) if len(parts) > 5 else 60
    set_tf32(parts[6] if len(parts) > 6 else '-')
    torch.set_num_threads(int(threads))
    if (name, device, B) not in nets:
        nets[(name, device, B)] = make(name, device, B)
    step, zero_ok, sizes = nets[(name, device, B)]
    for i in range(int(warmup)):
        step(i)
    sync(device)
    t0 = time.perf_counter()
    for i in range(int(steps)):
        step(i)
    sync(device)
    ms = (time.perf_counter() - t0) * 1000 / int(steps)
    print(json.dumps({"msPerStep": ms, "threads": torch.get_num_threads(), "prunedExactlyZero": zero_ok(), **sizes}), flush=True)
`;

export interface PeerParameterCounts {
  /** Weights of each conv and dense layer, in module order. */
  layerWeights: number[];
  /** Every trained parameter (kernels, biases, batch norm's weight and bias). */
  trainable: number;
}

export interface TorchPeer {
  version: string;
  /** The CUDA device's name when PyTorch sees one (the peer of the webgpu rows on a GPU machine), else null. */
  cuda: string | null;
  /**
   * One timed chunk at the network's batch; throws when the peer's network is not the lab's (checkPeerNetwork).
   * `tf32`: TF32 on or off for matmul and cuDNN; absent: PyTorch's defaults.
   */
  chunk(net: BenchNet, warmup: number, steps: number, threads: number, device?: 'cpu' | 'cuda', tf32?: boolean): Promise<{ msPerStep: number; threads: number; prunedExactlyZero: boolean }>;
  /** R masked LeNet-300-100 runs, one after another or batched (torch.bmm): aggregate run-steps/s; each run checked to be the lab's network. */
  packed(runs: number, warmup: number, steps: number, device: 'cpu' | 'cuda', mode: 'sequential' | 'batched', tf32: boolean): Promise<{ runStepsPerSec: number; seconds: number; prunedExactlyZero: boolean }>;
  /** The n x n fp32 matMul ceiling, best of `rounds` chunks of `calls`. */
  matmul(n: number, calls: number, rounds: number, device: 'cpu' | 'cuda', tf32: boolean): Promise<{ gflops: number; msPerCall: number }>;
  /** The peer's parameter counts for a network, without training it. */
  parameters(net: BenchNet): Promise<PeerParameterCounts>;
  close(): void;
}

/**
 * Throws unless the peer's network has the lab's parameters: the same weights per conv and dense layer in the same
 * order (ResNet-20: 270,896 in all) and the same number of trained parameters. A ratio against another network
 * would mean nothing, so the benchmark stops here rather than print it.
 */
export function checkPeerNetwork(net: BenchNet, peer: PeerParameterCounts): void {
  const lab = labParameterCounts(net);
  const peerWeights = peer.layerWeights.reduce((a, b) => a + b, 0);
  const fmt = (x: number) => x.toLocaleString('en-US');
  const problems: string[] = [];
  if (peerWeights !== lab.weights) problems.push(`${fmt(peerWeights)} conv+fc weights, the lab's ${fmt(lab.weights)}`);
  if (peer.layerWeights.join(',') !== lab.layerWeights.join(',')) problems.push(`per layer [${peer.layerWeights.join(', ')}], the lab's [${lab.layerWeights.join(', ')}]`);
  if (peer.trainable !== lab.trainable) problems.push(`${fmt(peer.trainable)} trained parameters, the lab's ${fmt(lab.trainable)}`);
  if (problems.length) throw new Error(`bench: the PyTorch peer's ${NET_TITLE[net]} is not the lab's network: ${problems.join('; ')}`);
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
    async chunk(net, warmup, steps, threads, device = 'cpu', tf32) {
      const answer = next();
      child.stdin.write(`${net} ${warmup} ${steps} ${threads} ${device} ${batchOf(net)} ${tf32 === undefined ? '-' : tf32 ? 1 : 0}\n`);
      const r = JSON.parse(await answer) as { msPerStep: number; threads: number; prunedExactlyZero: boolean } & PeerParameterCounts;
      checkPeerNetwork(net, r);
      return { msPerStep: r.msPerStep, threads: r.threads, prunedExactlyZero: r.prunedExactlyZero };
    },
    async packed(runs, warmup, steps, device, mode, tf32) {
      const answer = next();
      child.stdin.write(`packed ${runs} ${warmup} ${steps} ${device} ${mode} ${tf32 ? 1 : 0}\n`);
      const r = JSON.parse(await answer) as { error?: string; runStepsPerSec: number; seconds: number; prunedExactlyZero: boolean } & PeerParameterCounts;
      if (r.error) throw new Error(`the PyTorch peer: ${r.error}`);
      checkPeerNetwork('lenet300', r);
      return { runStepsPerSec: r.runStepsPerSec, seconds: r.seconds, prunedExactlyZero: r.prunedExactlyZero };
    },
    async matmul(n, calls, rounds, device, tf32) {
      const answer = next();
      child.stdin.write(`matmul ${n} ${calls} ${rounds} ${device} ${tf32 ? 1 : 0}\n`);
      const r = JSON.parse(await answer) as { error?: string; gflops: number; msPerCall: number };
      if (r.error) throw new Error(`the PyTorch peer: ${r.error}`);
      return { gflops: r.gflops, msPerCall: r.msPerCall };
    },
    async parameters(net) {
      const answer = next();
      child.stdin.write(`params ${net}\n`);
      return JSON.parse(await answer) as PeerParameterCounts;
    },
    close: () => {
      child.removeAllListeners('exit');
      child.stdin.end();
      child.kill();
    },
  };
}
