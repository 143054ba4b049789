import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { WebSocket as NodeWebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { EVENTS, type EventPayload } from '@shared/api/contract'
import { forwardEvents } from '@main/api/events'
import { createApiHandlers } from '@main/api/handlers'
import { type ApiBridge, webSocketBridge } from '@renderer/api/bridge'
import { createClient } from '@renderer/api/client'
import { API_CLIENT } from '@renderer/api/inject'
import { useAuditStore } from '@renderer/stores/audit'
import { startServedApp } from '../helpers/served-app'
import { makeTempDir } from '../helpers/tmp'

/**
 * Live updates end to end, without a browser: the real services behind the loopback server, the
 * renderer's own WebSocket bridge, client and audit store in Node. Every call the store makes is logged
 * with the events in the order they arrive, so the test sees which events cost a read and which do not.
 */

type Changed = EventPayload<'audit:changed'>
const tmp = makeTempDir('live-updates')
let app: Awaited<ReturnType<typeof startServedApp>>
/** Calls and events as the renderer saw them, in order. */
const timeline: Array<{ call: string } | { event: Changed }> = []
/** Each change as main sent it, with what the handlers returned at that same moment. */
const atSend: Array<{
  event: Changed
  listed: ReturnType<ReturnType<typeof createApiHandlers>['audits:list']>
  runs: ReturnType<ReturnType<typeof createApiHandlers>['audits:runs']>
}> = []
let stopTap = () => {}

beforeAll(async () => {
  app = await startServedApp(tmp.dir)
  // The server takes only its page's origin, which a browser sends and Node's WebSocket does not.
  const origin = `http://127.0.0.1:${app.server.port}`
  vi.stubGlobal(
    'WebSocket',
    class extends NodeWebSocket {
      constructor(url: string) {
        super(url, { origin })
      }
    }
  )
  // Beside the server's own forwarder: called in the same emit, it sees the store as the event was made.
  const handlers = createApiHandlers(app.services)
  stopTap = forwardEvents(app.services, (channel, payload) => {
    if (channel !== 'audit:changed') return
    const event = payload as Changed
    // The handlers read synchronously when called; their promises settle later with what was read now.
    atSend.push({ event, listed: handlers['audits:list']({}), runs: handlers['audits:runs']({ taskId: event.taskId }) })
  })
}, 120_000)

afterAll(async () => {
  stopTap()
  vi.unstubAllGlobals()
  await app?.stop()
  tmp.cleanup()
})

/** The renderer's audit store on the loopback transport, with every call logged. */
function rendererStore() {
  const bridge = webSocketBridge({ host: `127.0.0.1:${app.server.port}`, search: `?token=${app.server.token}` })
  const logged: ApiBridge = {
    invoke: (channel, input) => {
      timeline.push({ call: channel })
      return bridge.invoke(channel, input)
    },
    onEvent: (listener) => bridge.onEvent(listener)
  }
  const pinia = createPinia()
  createApp({}).use(pinia).provide(API_CLIENT, createClient(logged))
  return { store: useAuditStore(pinia), bridge }
}

describe('live updates of an audit', () => {
  it('carry the changed run and audit in each event, and the store patches them in place without reading the runs again', async () => {
    const { store, bridge } = rendererStore()
    // Before the store's listener: an event is logged before any call the store makes on it.
    bridge.onEvent((channel, payload) => channel === 'audit:changed' && timeline.push({ event: payload as Changed }))
    await store.init()
    // Registered after the store's listener, so it sees each event once the store has applied it.
    const problems: string[] = []
    let finished: () => void
    const whenFinished = new Promise<void>((resolve) => (finished = resolve))
    bridge.onEvent((channel, payload) => {
      if (channel !== 'audit:changed') return
      const event = payload as Changed
      if (event.taskId !== store.selectedTaskId) return
      if (JSON.stringify(store.tasks.find((t) => t.id === event.taskId)) !== JSON.stringify(event.task))
        problems.push(`${event.status}: the audit in the store is not the event's`)
      // Until the audit's runs have arrived (just after the start), its events are in them already.
      const holdsRuns = store.runs[0]?.taskId === event.taskId
      if (event.run && holdsRuns && JSON.stringify(store.runs.find((r) => r.id === event.runId)) !== JSON.stringify(event.run))
        problems.push(`${event.status}: run ${event.runId} in the store is not the event's`)
      if (event.run && store.running !== true) problems.push(`${event.status}: the store does not show the audit running`)
      if (event.status === 'finished') finished()
    })

    await store.start({
      name: 'live updates',
      dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 100 },
      model: { arch: 'mlp' },
      train: { epochs: 1, learningRate: 0.05 },
      task: { kind: 'random', fraction: 0.1 },
      methods: ['retrain', 'finetune'],
      seeds: [0, 1]
    })
    expect(store.error).toBeNull()
    const taskId = store.selectedTaskId!
    expect(store.runs.map((r) => `${r.method}/${r.seed}`)).toEqual([
      'original/0',
      'retrain/0',
      'finetune/0',
      'original/1',
      'retrain/1',
      'finetune/1'
    ])
    // A queued run cancelled from the UI: its event says so, with the run's record.
    const cancelled = store.runs.find((r) => r.method === 'finetune' && r.seed === 1)!
    await store.cancelRun(cancelled.id)
    await whenFinished
    // After the end, once: the retrain comparisons have rewritten the metrics of runs that finished
    // before their cell's retrain (the original), which no event of theirs carries.
    await expect
      .poll(() => store.runs.find((r) => r.method === 'original' && r.seed === 0)?.metrics.tow, { timeout: 10_000 })
      .toEqual(expect.any(Number))
    expect(problems).toEqual([])

    // What main sent: every change of this audit, each fitting the contract and carrying the run
    // and the audit exactly as audits:runs and audits:list returned them at that moment.
    const sent = atSend.filter((s) => s.event.taskId === taskId)
    expect(sent.map((s) => s.event.status)).toEqual(expect.arrayContaining(['running', 'done', 'cancelled', 'finished']))
    for (const { event, listed, runs } of sent) {
      expect(EVENTS['audit:changed'].safeParse(event).success).toBe(true)
      expect(event.task).toEqual((await listed).find((t) => t.id === taskId))
      if (event.runId === null) expect(event.run).toBeNull()
      else expect(event.run).toEqual((await runs).find((r) => r.id === event.runId))
      expect(event.run?.status ?? 'finished').toBe(event.status)
    }
    const last = sent.at(-1)!.event
    expect(last).toMatchObject({
      status: 'finished',
      runId: null,
      run: null,
      task: { id: taskId, active: false, counts: { done: 5, cancelled: 1 } }
    })

    // What the renderer did: it read the runs when the audit started and once after it finished, never on a run's change.
    const seen = timeline.filter((t) => !('event' in t) || t.event.taskId === taskId)
    const label = (t: (typeof seen)[number]) => ('call' in t ? t.call : `event ${t.event.status}`)
    const runReads = seen.flatMap((t, i) => ('call' in t && t.call === 'audits:runs' ? [i] : []))
    const finishedAt = seen.findIndex((t) => 'event' in t && t.event.status === 'finished')
    expect(runReads, seen.map(label).join('\n')).toHaveLength(2)
    expect(runReads[1]).toBeGreaterThan(finishedAt)
    expect(
      seen
        .slice(runReads[0]! + 1, finishedAt)
        .filter((t) => 'call' in t)
        .map(label)
    ).toEqual(['runs:cancel'])
    expect(seen.filter((t) => 'event' in t && t.event.runId !== null).length).toBeGreaterThanOrEqual(11)

    // And the store ends where a fresh read would put it.
    expect(store.running).toBe(false)
    expect(store.runs).toEqual(app.services.store.runs.list(taskId))
    expect(store.tasks.find((t) => t.id === taskId)).toEqual({ ...app.services.store.tasks.get(taskId), active: false })
    expect(store.runs.find((r) => r.id === cancelled.id)?.status).toBe('cancelled')
  }, 300_000)
})
