import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

/** FLOPs of one epoch of the tutorial MLP on 60k samples: 6 x 669,706 x 60,000 (forward + backward). */
export const TUTORIAL_EPOCH_GFLOP = 240.7;

export const TORCH_PEER = fileURLToPath(new URL('../../../../shared/peers/torch_mlp.py', import.meta.url));

export interface TorchEpoch {
  epoch: number;
  seconds: number;
  samplesPerSec: number;
  loss: number;
  acc: number;
  val_loss: number;
  val_acc: number;
}

/** Runs the PyTorch peer as its header says (Debian python3-torch, OpenBLAS overrides unset), if it can. */
export function runTorchPeer(dataDir: string, epochs: number): { epochs: TorchEpoch[]; summary: Record<string, unknown> } | string {
  if (!existsSync(TORCH_PEER)) return `no ${TORCH_PEER}`;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return '/usr/bin/python3 cannot import torch (apt-get install python3-torch libopenblas0-pthread)';
  const env = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  const run = spawnSync('/usr/bin/python3', [TORCH_PEER, '--data', dataDir, '--epochs', String(epochs)], {
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) return `torch_mlp.py failed: ${run.stderr.trim().split('\n').pop()}`;
  const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    epochs: lines.filter((l) => 'epoch' in l && 'seconds' in l) as unknown as TorchEpoch[],
    summary: lines.find((l) => l['peer'] === 'pytorch') ?? {},
  };
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} x${cpus.length}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
