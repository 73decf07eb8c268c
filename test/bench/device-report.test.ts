import { describe, expect, it } from 'vitest';
import { renderDeviceCheck } from '../../src/main/bench/device-report';

describe('device check fragment', () => {
  it('puts each number beside its PyTorch peer, and the reason where a step failed, was skipped or its section stopped', () => {
    const md = renderDeviceCheck({
      meta: { quick: false, started: '2026-12-08T02:00:00Z', seconds: 287.4, gpu: 'NVIDIA H100 80GB HBM3' },
      doctor: { backends: [] },
      throughput: {
        adapter: { detail: 'WebGPU on nvidia hopper via Dawn vulkan', software: false },
        lenet300: { stepsPerSec: 250, examplesPerSec: 15000, msPerStep: 4 },
        packedR5: { packedRunStepsPerSec: 900, sequentialRunStepsPerSec: 240, vsOneRun: 3.6 },
        packedR15: { error: 'the GPU device was lost (unknown)' },
        conv2: { msPerStep: 10 },
        stopped: 'over its budget of 85 s (+15 s grace): killed after 100.2 s',
      },
      ceiling: { error: 'the webgpu backend cannot load: no adapter' },
      peer: {
        device: { device: 'cuda (NVIDIA H100 80GB HBM3)' },
        lenet300: { fp32: { stepsPerSec: 800, examplesPerSec: 48000 } },
        packedR5: { sequential: { runStepsPerSec: 790 }, batched: { runStepsPerSec: 3500 } },
        conv2: { fp32: { msPerStep: 2 }, tf32: { msPerStep: 1.5 } },
        matmul4096: { fp32: { gflops: 50000 }, tf32: { gflops: 300000 } },
      },
      experiment: {
        run: { command: 'lth --backend webgpu run ...', wallSeconds: 100, rounds: 5, runsPlanned: 65, runsDone: 40, runSteps: 80000, runStepsPerSec: 800, paperRunSteps: 11_500_000, projectedPaperHours: 4, stopped: 'over the budget' },
      },
    });
    expect(md).toContain('GPU: NVIDIA H100 80GB HBM3');
    expect(md).toContain('| WebGPU, one run (trainRun) | 250 | 15000 |');
    expect(md).toContain('| WebGPU, 5 runs packed (trainPacked) | 900 (3.60x one run) |');
    expect(md).toContain('| PyTorch, 5 runs batched (torch.bmm) | 3500 |');
    expect(md).toContain('| WebGPU, 15 runs packed (trainPacked) | — (the GPU device was lost (unknown)) |');
    expect(md).toContain('| Conv-2 (batch 60, Adam) | 10.00 | 2.00 | 1.50 | 0.2x |');
    // The ResNet-20 step never ran: its section was stopped at the budget.
    expect(md).toMatch(/ResNet-20 .* \| — \(over its budget of 85 s/);
    expect(md).toContain('| 4096x4096 | — (the webgpu backend cannot load: no adapter) | 50000 | 300000 |');
    expect(md).toContain('40 of 65 runs');
    expect(md).toContain('projects to **4.00 h**');
    expect(md).toContain('- ceiling: the webgpu backend cannot load: no adapter');
    expect(md).toContain('- throughput / packedR15: the GPU device was lost (unknown)');
  });
});
