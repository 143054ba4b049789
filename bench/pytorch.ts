import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The PyTorch references (bench/reference/) run with Debian's python3-torch, on one thread per
 * process as each engine process uses: OpenMP and OpenBLAS are held to one thread too.
 */
const PYTHON = '/usr/bin/python3'
const ONE_THREAD = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }

export interface PytorchResult {
  /** samples/s for train and eval workloads, GFLOP/s for matmul-peak. */
  value: number
  peakRssMb: number
  version: string
}

/** One unlearning run (or a whole sweep) of bench/reference/torch_methods.py. */
export interface PytorchRun {
  seconds: number
  peakRssMb: number
  version: string
}

/** A job of torch_methods.py (see its docstring for the fields). */
export interface PytorchJob {
  method: string
  spec: unknown
  params?: unknown
  seed?: number
  schedule?: unknown
  cells?: unknown
  cacheDir?: string
}

/** Methods torch_methods.py implements. */
export const REFERENCE_METHODS = new Set(['retrain', 'finetune', 'del', 'unsir', 'mnemonic', 'rem'])

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

  /**
   * A throughput workload of torch_bench.py (`<arch>-train`, `<arch>-eval`, `matmul-peak`); `width` and
   * `input` (`random-32x32x3`) select the ResNets' channel multiplier and random CIFAR-sized data.
   */
  async run(workload: string, o: { samples: number; batch: number; width?: number; input?: string }): Promise<PytorchResult | null> {
    if (this.missing) return null
    const extra = [...(o.width === undefined ? [] : ['--width', String(o.width)]), ...(o.input === undefined ? [] : ['--input', o.input])]
    const out = (await this.python(
      'torch_bench.py',
      [workload, '--threads', '1', '--samples', String(o.samples), '--batch', String(o.batch), ...extra],
      workload
    )) as { samplesPerSecond?: number; gflops?: number; peakRssMb: number; torch: string }
    return { value: out.samplesPerSecond ?? out.gflops ?? Number.NaN, peakRssMb: out.peakRssMb, version: out.torch }
  }

  /** Runs already made, by job (where files are cached aside): each backend's rows face the same PyTorch run. */
  private readonly methodRuns = new Map<string, Promise<PytorchRun | null>>()

  /** The same unlearning run as the engine's, on one thread. */
  runMethod(job: PytorchJob): Promise<PytorchRun | null> {
    if (this.missing) return Promise.resolve(null)
    const key = JSON.stringify({ ...job, cacheDir: undefined })
    if (!this.methodRuns.has(key)) {
      this.methodRuns.set(
        key,
        this.python('torch_methods.py', [JSON.stringify(job)], job.method).then((raw) => {
          const out = raw as { seconds: number; peakRssMb: number; torch: string }
          return { seconds: out.seconds, peakRssMb: out.peakRssMb, version: out.torch }
        })
      )
    }
    return this.methodRuns.get(key)!
  }

  /**
   * Several one-thread runs at once, one process each, as the engine runs parallel jobs; resolves
   * to the longest run's seconds and the largest peak RSS.
   */
  async runMethodsInParallel(jobs: PytorchJob[]): Promise<PytorchRun | null> {
    const runs = await Promise.all(jobs.map((job) => this.runMethod(job)))
    if (runs.some((r) => r === null)) return null
    const done = runs as PytorchRun[]
    return {
      seconds: Math.max(...done.map((r) => r.seconds)),
      peakRssMb: Math.max(...done.map((r) => r.peakRssMb)),
      version: done[0]!.version
    }
  }

  /** Runs a reference script and parses the JSON object it prints. */
  private python(script: string, args: string[], what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const child = spawn(PYTHON, [join(this.root, 'bench', 'reference', script), ...args], { env: { ...process.env, ...ONE_THREAD } })
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      child.on('error', reject)
      child.on('close', (code) => {
        if (code !== 0) return reject(new Error(`The PyTorch reference failed on ${what}: ${err.trim().split('\n').at(-1)}`))
        resolve(JSON.parse(out))
      })
    })
  }
}
