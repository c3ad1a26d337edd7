import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

/** FLOPs of one epoch of the tutorial MLP on 60k samples: 6 x 669,706 x 60,000 (forward + backward). */
export const TUTORIAL_EPOCH_GFLOP = 240.7;

/** The PyTorch peers: the tutorial MLP and createCnn's network. */
export const TORCH_PEERS = {
  mlp: fileURLToPath(new URL('../../../../shared/peers/torch_mlp.py', import.meta.url)),
  cnn: fileURLToPath(new URL('../../../../shared/peers/torch_cnn.py', import.meta.url)),
} as const;

/** fp32 peak of this 2-core machine (AVX-512 FMA at ~4.2 GHz), for the share-of-peak columns. */
export const MACHINE_PEAK_GFLOPS = 270;

export interface TorchEpoch {
  epoch: number;
  seconds: number;
  samplesPerSec: number;
  loss: number;
  acc: number;
  val_loss: number;
  val_acc: number;
}

export interface TorchRun {
  epochs: TorchEpoch[];
  summary: Record<string, unknown>;
  threads: number;
}

/** Runs a PyTorch peer as its header says (Debian python3-torch, OpenBLAS overrides unset) on `threads` threads, if it can. */
export function runTorchPeer(peer: keyof typeof TORCH_PEERS, dataDir: string, epochs: number, threads: number, extra: string[] = []): TorchRun | string {
  const script = TORCH_PEERS[peer];
  if (!existsSync(script)) return `no ${script}`;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return '/usr/bin/python3 cannot import torch (apt-get install python3-torch libopenblas0-pthread)';
  const env = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  const args = [script, '--data', dataDir, '--epochs', String(epochs), '--threads', String(threads), ...extra];
  const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (run.status !== 0) return `${peer} peer failed: ${run.stderr.trim().split('\n').pop()}`;
  const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    epochs: lines.filter((l) => 'epoch' in l && 'seconds' in l) as unknown as TorchEpoch[],
    summary: lines.find((l) => typeof l['peer'] === 'string') ?? {},
    threads,
  };
}

/**
 * The peer's faster run of --threads 1 and --threads 2 (machines differ: on some, two PyTorch
 * threads are 3x slower than one), by mean seconds per epoch; or why neither ran.
 */
export function fasterTorchPeer(peer: keyof typeof TORCH_PEERS, dataDir: string, epochs: number, extra: string[] = []): TorchRun | string {
  const runs = [1, 2].map((threads) => runTorchPeer(peer, dataDir, epochs, threads, extra));
  const ok = runs.filter((r): r is TorchRun => typeof r !== 'string');
  if (ok.length === 0) return runs[0] as string;
  const mean = (r: TorchRun) => r.epochs.reduce((s, e) => s + e.seconds, 0) / Math.max(1, r.epochs.length);
  for (const r of ok) console.log(`  ${peer} peer, ${r.threads} thread(s): ${mean(r).toFixed(2)} s/epoch`);
  return ok.reduce((best, r) => (mean(r) < mean(best) ? r : best));
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} x${cpus.length}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
