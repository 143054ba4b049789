import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { EngineHost, EngineJobError, type EngineChannel } from '@main/engine-host/host'
import { EnginePool } from '@main/engine-host/pool'
import type { Job, ToEngine } from '@main/engine/protocol'
import { JobTaskSchema } from '@shared/task-spec'

/** A fake engine process: the test decides what it answers and when it dies. */
function fakeEngine(behaviour: (msg: ToEngine, reply: (m: unknown) => void, exit: (code: number) => void) => void) {
  const spawned: EventEmitter[] = []
  const spawn = (): EngineChannel => {
    const child = new EventEmitter()
    spawned.push(child)
    const reply = (m: unknown) => setImmediate(() => child.emit('message', m))
    const exit = (code: number) => setImmediate(() => child.emit('exit', code))
    reply({ type: 'ready', backend: 'fake', backendSkipped: [], tfjsVersion: '0' })
    return {
      send: (m) => behaviour(m, reply, exit),
      onMessage: (h) => child.on('message', h),
      onExit: (h) => child.on('exit', h),
      kill: () => exit(137)
    }
  }
  return { spawn, spawned }
}

// The fake engines never read the task: any valid one will do.
const spec = JobTaskSchema.parse({
  dataset: { id: 'fashion-mnist' },
  model: { arch: 'mlp' },
  train: { epochs: 1, learningRate: 0.1 },
  task: { kind: 'class', classes: [0] }
})
const job: Job = { kind: 'train-original', resourcesDir: '/r', spec, seed: 0, outDir: '/o' }

describe('engine host', () => {
  it('fails the job in flight with the exit code when the engine dies, and starts a new engine for the next job', async () => {
    let calls = 0
    const engine = fakeEngine((msg, reply, exit) => {
      if (msg.type !== 'run') return
      calls++
      if (calls === 1) exit(139)
      else reply({ type: 'failed', id: msg.id, error: 'second job ran', cancelled: false })
    })
    const host = new EngineHost(engine.spawn)
    await expect(host.run(job)).rejects.toThrow(/exited unexpectedly \(exit code 139\)/)
    await expect(host.run(job)).rejects.toThrow('second job ran')
    expect(engine.spawned.length).toBe(2)
  })

  it('forwards progress, ignores malformed messages, and cancels cooperatively', async () => {
    const engine = fakeEngine((msg, reply) => {
      if (msg.type === 'run') {
        reply({ type: 'progress', id: msg.id, phase: 'training', fraction: 0.5, detail: 'half' })
        reply({ type: 'progress', id: msg.id, phase: 'nonsense', fraction: 7 })
      } else reply({ type: 'failed', id: msg.id, error: 'Cancelled by the user', cancelled: true })
    })
    const host = new EngineHost(engine.spawn)
    const seen: number[] = []
    const controller = new AbortController()
    const running = host.run(job, { signal: controller.signal, onProgress: (p) => (seen.push(p.fraction), controller.abort()) })
    const error = await running.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EngineJobError)
    expect((error as EngineJobError).cancelled).toBe(true)
    expect(seen).toEqual([0.5])
  })

  it('fails a job whose result is malformed, naming the bad field', async () => {
    const engine = fakeEngine((msg, reply) => {
      if (msg.type === 'run') reply({ type: 'done', id: msg.id, result: { backend: 'fake', metrics: { testAccuracy: 'high' } } })
    })
    const host = new EngineHost(engine.spawn)
    await expect(host.run(job)).rejects.toThrow(/malformed result: result\.tfjsVersion/)
  })

  it('kills an engine that ignores a cancel', async () => {
    const engine = fakeEngine(() => undefined)
    const host = new EngineHost(engine.spawn, { cancelGraceMs: 50 })
    const controller = new AbortController()
    const running = host.run(job, { signal: controller.signal })
    setTimeout(() => controller.abort(), 20)
    await expect(running).rejects.toMatchObject({ cancelled: true })
  })
})

describe('engine pool', () => {
  /** Each engine answers a job only when the test releases it, so overlap can be observed. */
  function gatedEngine() {
    const inFlight: Array<() => void> = []
    let maxConcurrent = 0
    let current = 0
    const engine = fakeEngine((msg, reply) => {
      if (msg.type !== 'run') return
      current++
      maxConcurrent = Math.max(maxConcurrent, current)
      inFlight.push(() => {
        current--
        reply({ type: 'failed', id: msg.id, error: 'released', cancelled: false })
      })
    })
    const releaseAll = async () => {
      while (inFlight.length) inFlight.shift()!()
      await new Promise((r) => setImmediate(r))
    }
    return { engine, releaseAll, max: () => maxConcurrent, pending: () => inFlight.length }
  }

  it.each([1, 2, 3])('runs at most %i job(s) at once, each in its own process, and queues the rest', async (size) => {
    const g = gatedEngine()
    const pool = new EnginePool(g.engine.spawn, size)
    const runs = Array.from({ length: 4 }, () => pool.run(job).catch((e: Error) => e.message))
    for (let i = 0; i < 50 && g.pending() < Math.min(size, 4); i++) await new Promise((r) => setImmediate(r))
    expect(g.pending()).toBe(size)
    let settled = false
    const all = Promise.all(runs).finally(() => (settled = true))
    while (!settled) await g.releaseAll()
    expect(await all).toEqual(['released', 'released', 'released', 'released'])
    expect(g.max()).toBe(size)
    expect(g.engine.spawned.length).toBe(size)
  })

  it('refuses a job count that is not a whole number of at least 1', () => {
    expect(() => new EnginePool(() => ({}) as EngineChannel, 0)).toThrow(/at least 1 \(got 0\)/)
    expect(() => new EnginePool(() => ({}) as EngineChannel, 1.5)).toThrow(/whole number/)
  })
})
