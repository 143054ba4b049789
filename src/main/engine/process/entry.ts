import * as tf from '@tensorflow/tfjs'
import { selectBackend } from '../backend/select'
import { runJob } from '../jobs'
import { type FromEngine, ToEngineSchema } from '../protocol'
import { CancelledError } from '../util/cancel'
import { connectToParent } from './transport'

/**
 * The engine process: runs one job at a time for its host, reports progress (throttled), and
 * stops at the next training step when asked to cancel.
 */
const PROGRESS_INTERVAL_MS = 150

const parent = connectToParent()
const send = (m: FromEngine) => parent.send(m)
const cancelled = new Set<string>()
let queue: Promise<void> = Promise.resolve()

parent.onMessage((raw) => {
  const parsed = ToEngineSchema.safeParse(raw)
  if (!parsed.success) {
    process.stderr.write(`engine: ignored a malformed message: ${parsed.error.message}\n`)
    return
  }
  const msg = parsed.data
  if (msg.type === 'cancel') {
    cancelled.add(msg.id)
    return
  }
  queue = queue.then(() => execute(msg.id, msg.job))
})

async function execute(id: string, job: Parameters<typeof runJob>[0]): Promise<void> {
  let lastSent = 0
  let lastPhase = ''
  const token = {
    get cancelled() {
      return cancelled.has(id)
    }
  }
  try {
    const result = await runJob(job, {
      cancel: token,
      progress: (phase, fraction, detail) => {
        const now = Date.now()
        // A new phase is always sent: the host may act on it (and the user sees it).
        if (now - lastSent < PROGRESS_INTERVAL_MS && fraction < 1 && phase === lastPhase) return
        lastSent = now
        lastPhase = phase
        send({ type: 'progress', id, phase, fraction: Math.min(Math.max(fraction, 0), 1), detail })
      }
    })
    // With --expose-gc (the soak test sets it) garbage is collected first, so what is left is live.
    ;(globalThis as { gc?: () => void }).gc?.()
    const { rss, heapUsed } = process.memoryUsage()
    const engineMemory = { rssBytes: rss, heapUsedBytes: heapUsed, numTensors: tf.memory().numTensors, tensorBytes: tf.memory().numBytes }
    send({ type: 'done', id, result: { ...result, engineMemory } })
  } catch (err) {
    const e = err as Error
    send({
      type: 'failed',
      id,
      error: e.message || String(err),
      cancelled: err instanceof CancelledError,
      interrupted: isEnvironmentFault(err)
    })
  } finally {
    cancelled.delete(id)
  }
}

// Faults of the machine, not of the job: the same job can run again once they are fixed.
const ENVIRONMENT_FAULTS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE'])

function isEnvironmentFault(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code
  return typeof code === 'string' && ENVIRONMENT_FAULTS.has(code)
}

selectBackend()
  .then((b) => send({ type: 'ready', backend: b.name, backendSkipped: b.skipped, tfjsVersion: b.tfjsVersion }))
  .catch((err: Error) => {
    process.stderr.write(`engine: no backend could start: ${err.message}\n`)
    process.exit(3)
  })
