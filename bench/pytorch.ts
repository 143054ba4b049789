import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The PyTorch reference (bench/reference/torch_bench.py) run with Debian's python3-torch, on one
 * thread as the engine uses: OpenMP and OpenBLAS are held to one thread too.
 */
const PYTHON = '/usr/bin/python3'

export interface PytorchResult {
  /** samples/s for train and eval workloads, GFLOP/s for matmul-peak. */
  value: number
  peakRssMb: number
  version: string
}

export class PytorchReference {
  /** Why the reference cannot run here, or null. */
  readonly missing: string | null

  constructor(private readonly root: string) {
    this.missing = !existsSync(PYTHON)
      ? `${PYTHON} not found`
      : spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0
        ? 'python3-torch is not installed (apt-get install python3-torch libopenblas0-pthread)'
        : null
  }

  run(workload: string, o: { samples: number; batch: number }): PytorchResult | null {
    if (this.missing) return null
    const script = join(this.root, 'bench', 'reference', 'torch_bench.py')
    const args = [script, workload, '--threads', '1', '--samples', String(o.samples), '--batch', String(o.batch)]
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }
    const r = spawnSync(PYTHON, args, { encoding: 'utf8', env })
    if (r.status !== 0) throw new Error(`The PyTorch reference failed on ${workload}: ${r.stderr.trim().split('\n').at(-1)}`)
    const out = JSON.parse(r.stdout) as { samplesPerSecond?: number; gflops?: number; peakRssMb: number; torch: string }
    return { value: out.samplesPerSecond ?? out.gflops ?? Number.NaN, peakRssMb: out.peakRssMb, version: out.torch }
  }
}
