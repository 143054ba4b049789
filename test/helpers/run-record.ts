import type { RunRecord } from '@shared/api/contract'

let nextId = 0

/** A run record for tests of the shared views: only the method, seed, metrics, cell and status vary. */
export function runRecord(
  method: string,
  seed: number,
  metrics: RunRecord['metrics'],
  opts: { cell?: Record<string, unknown> | null; status?: RunRecord['status']; replica?: number | null } = {}
): RunRecord {
  const cell = opts.cell ?? null
  const cellKey = cell
    ? Object.entries(cell)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',')
    : ''
  return {
    id: `r${nextId++}`,
    taskId: 't',
    method,
    params: {},
    seed,
    cellKey,
    cell,
    replica: opts.replica ?? null,
    status: opts.status ?? 'done',
    backend: 'wasm',
    backendSkipped: [],
    error: null,
    steps: 1,
    forgetCount: 1,
    retainCount: 1,
    forgetSha256: null,
    inputModelSha256: null,
    outputModelSha256: null,
    createdAt: 0,
    startedAt: 0,
    endedAt: 0,
    metrics
  }
}
