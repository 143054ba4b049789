import { availableParallelism } from 'node:os'
import type { Job, JobResult } from '../engine/protocol'
import { type EngineInfo, EngineHost, type RunOptions, type SpawnEngine } from './host'

/** One job per spare core: the main process keeps a core for the UI and the store. */
export function defaultJobCount(): number {
  return Math.max(1, availableParallelism() - 1)
}

/**
 * Up to `size` engine processes, each running one job at a time. A job goes to an idle process,
 * or waits for the first one to free up; a crash fails only the job of that process.
 */
export class EnginePool {
  private readonly hosts: EngineHost[] = []
  private readonly busy = new Set<EngineHost>()
  private readonly waiting: Array<() => void> = []

  constructor(
    private readonly spawn: SpawnEngine,
    readonly size: number = defaultJobCount(),
    private readonly hostOptions: ConstructorParameters<typeof EngineHost>[1] = {}
  ) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`The number of parallel jobs must be a whole number of at least 1 (got ${size})`)
  }

  /** The backend of the first engine that started; all run the same code. */
  get info(): EngineInfo | null {
    return this.hosts.find((h) => h.info)?.info ?? null
  }

  async run(job: Job, opts: RunOptions = {}): Promise<JobResult> {
    const host = await this.acquire()
    try {
      return await host.run(job, opts)
    } finally {
      this.release(host)
    }
  }

  /** Starts an engine (the first job would anyway) and says which backend it runs on, and why. */
  async whenReady(): Promise<EngineInfo> {
    const host = await this.acquire()
    try {
      return await host.whenReady()
    } finally {
      this.release(host)
    }
  }

  /** Kills every engine process; jobs in flight fail, the next job starts fresh processes. */
  dispose(): void {
    for (const h of this.hosts) h.dispose()
  }

  private async acquire(): Promise<EngineHost> {
    for (;;) {
      const idle = this.hosts.find((h) => !this.busy.has(h))
      if (idle) return this.claim(idle)
      if (this.hosts.length < this.size) {
        const host = new EngineHost(this.spawn, this.hostOptions)
        this.hosts.push(host)
        return this.claim(host)
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    }
  }

  private release(host: EngineHost): void {
    this.busy.delete(host)
    this.waiting.shift()?.()
  }

  private claim(host: EngineHost): EngineHost {
    this.busy.add(host)
    return host
  }
}
