import { randomUUID } from 'node:crypto'
import { describeZodError } from '@shared/zod-errors'
import { type FromEngine, FromEngineSchema, type Job, type JobResult, type Phase, type ToEngine } from '../engine/protocol'

/** One engine process as seen from main: Electron's utilityProcess or a Node child process. */
export interface EngineChannel {
  send(message: ToEngine): void
  onMessage(handler: (message: unknown) => void): void
  onExit(handler: (code: number | null) => void): void
  kill(): void
}
export type SpawnEngine = () => EngineChannel

export interface JobProgress {
  phase: Phase
  fraction: number
  detail: string
}

export interface RunOptions {
  onProgress?: (p: JobProgress) => void
  signal?: AbortSignal
}

export class EngineJobError extends Error {
  override name = 'EngineJobError'
  constructor(
    message: string,
    readonly cancelled = false,
    /** Stopped by something outside the job (the engine died, the disk is full): the job can be run again. */
    readonly interrupted = false
  ) {
    super(message)
  }
}

export interface EngineInfo {
  backend: string
  /** Why the engine skipped the backends faster than `backend`, one line each. */
  backendSkipped: string[]
  tfjsVersion: string
}

interface Pending {
  resolve: (r: JobResult) => void
  reject: (e: EngineJobError) => void
  onProgress?: ((p: JobProgress) => void) | undefined
}

const READY_TIMEOUT_MS = 120_000
// A cooperative cancel lands at the next training step; past this the process is killed.
const CANCEL_GRACE_MS = 5_000

/**
 * Runs jobs in a separate engine process, one at a time. A crash of that process fails the job in
 * flight with its exit code and never takes main down; the next job starts a fresh process.
 */
export class EngineHost {
  private channel: EngineChannel | null = null
  private ready: Promise<EngineInfo> | null = null
  private readonly pending = new Map<string, Pending>()
  private queue: Promise<unknown> = Promise.resolve()
  info: EngineInfo | null = null

  constructor(
    private readonly spawn: SpawnEngine,
    private readonly options: { readyTimeoutMs?: number; cancelGraceMs?: number } = {}
  ) {}

  /** Queues a job; resolves with its result, rejects with EngineJobError. */
  run(job: Job, opts: RunOptions = {}): Promise<JobResult> {
    const next = this.queue.then(() => this.execute(job, opts))
    this.queue = next.catch(() => undefined)
    return next
  }

  /** Starts the engine process if needed; resolves with its backend. */
  whenReady(): Promise<EngineInfo> {
    return this.start()
  }

  dispose(): void {
    this.channel?.kill()
    this.channel = null
    this.ready = null
  }

  private async execute(job: Job, opts: RunOptions): Promise<JobResult> {
    if (opts.signal?.aborted) throw new EngineJobError('Cancelled by the user', true)
    await this.start()
    const channel = this.channel!
    const id = randomUUID()
    return new Promise<JobResult>((resolve, reject) => {
      let killTimer: NodeJS.Timeout | undefined
      const onAbort = () => {
        channel.send({ type: 'cancel', id })
        killTimer = setTimeout(() => {
          this.failAll(new EngineJobError('Cancelled by the user (the engine did not stop in time and was restarted)', true))
          this.dispose()
        }, this.options.cancelGraceMs ?? CANCEL_GRACE_MS)
      }
      const settle = () => {
        clearTimeout(killTimer)
        opts.signal?.removeEventListener('abort', onAbort)
        this.pending.delete(id)
      }
      this.pending.set(id, {
        onProgress: opts.onProgress,
        resolve: (r) => {
          settle()
          resolve(r)
        },
        reject: (e) => {
          settle()
          reject(e)
        }
      })
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      channel.send({ type: 'run', id, job })
    })
  }

  private start(): Promise<EngineInfo> {
    if (this.ready) return this.ready
    const channel = this.spawn()
    this.channel = channel
    this.ready = new Promise<EngineInfo>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new EngineJobError('The engine process did not start in time'))
        this.dispose()
      }, this.options.readyTimeoutMs ?? READY_TIMEOUT_MS)
      channel.onMessage((raw) => {
        const parsed = FromEngineSchema.safeParse(raw)
        if (!parsed.success) {
          // A malformed final answer must fail its job, or the job would wait forever; a
          // malformed progress report is only dropped.
          const { id, type } = (raw ?? {}) as { id?: unknown; type?: unknown }
          if (typeof id === 'string' && type !== 'progress') {
            this.pending.get(id)?.reject(new EngineJobError(`The engine sent a malformed result: ${describeZodError(parsed.error)}`))
          }
          return
        }
        if (parsed.data.type === 'ready') {
          clearTimeout(timer)
          this.info = { backend: parsed.data.backend, backendSkipped: parsed.data.backendSkipped, tfjsVersion: parsed.data.tfjsVersion }
          resolve(this.info)
        } else this.dispatch(parsed.data)
      })
      channel.onExit((code) => {
        clearTimeout(timer)
        if (this.channel === channel) {
          this.channel = null
          this.ready = null
        }
        const error = new EngineJobError(`The engine process exited unexpectedly (exit code ${code ?? 'none'})`, false, true)
        reject(error)
        this.failAll(error)
      })
    })
    return this.ready
  }

  private dispatch(msg: Exclude<FromEngine, { type: 'ready' }>): void {
    const p = this.pending.get(msg.id)
    if (!p) return
    if (msg.type === 'progress') p.onProgress?.({ phase: msg.phase, fraction: msg.fraction, detail: msg.detail })
    else if (msg.type === 'done') p.resolve(msg.result)
    else p.reject(new EngineJobError(msg.error, msg.cancelled, msg.interrupted))
  }

  private failAll(error: EngineJobError): void {
    for (const p of [...this.pending.values()]) p.reject(error)
  }
}
