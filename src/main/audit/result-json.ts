import type { RunRecord } from '@shared/api/contract'
import { scalarMetric } from '@shared/metrics/definitions'
import type { TuningRecord } from '@shared/tuning'

/**
 * A tuned run's trials as the JSON carries them: its `params` stay the spec's settings (trial 0), so
 * the settings it actually ran with are named here, beside every trial they were chosen from.
 */
function tuningJson(record: TuningRecord) {
  return {
    objective: record.objective,
    kept: record.kept,
    keptParams: record.trials.find((t) => t.trial === record.kept)?.params ?? null,
    validationCount: record.validationCount,
    heldOutCount: record.heldOutCount,
    trials: record.trials
  }
}

/**
 * An audit's results as JSON: the CLI's `--json` file and a bundle's metrics.json. `tuning` holds the
 * tuned runs' records by run id (`store.tuningTrials.forRuns`); a run without one has no `tuning` key.
 */
export function toResultJson(
  task: { id: string; specSha256: string; spec: unknown },
  runs: RunRecord[],
  tuning: ReadonlyMap<string, TuningRecord> = new Map()
) {
  return {
    task: { id: task.id, specSha256: task.specSha256, ...(task.spec as Record<string, unknown>) },
    runs: runs.map((r) => ({
      method: r.method,
      params: r.params,
      seed: r.seed,
      // The swept values (null outside sweeps), so a sweep's runs can be told apart.
      cell: r.cell,
      // Set on the privacy evidence's own models: reference model k, or the band's extra retrain r.
      replica: r.replica,
      status: r.status,
      backend: r.backend,
      backendSkipped: r.backendSkipped,
      error: r.error,
      steps: r.steps,
      metrics: r.metrics,
      modelSha256: r.outputModelSha256,
      ...(tuning.has(r.id) ? { tuning: tuningJson(tuning.get(r.id)!) } : {})
    }))
  }
}

const csvField = (v: string): string => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)

/** One row per run, one column per scalar metric (empty where a run has none): for a spreadsheet. */
export function toResultCsv(runs: RunRecord[]): string {
  const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.metrics).filter((k) => scalarMetric(r.metrics, k) !== null)))].sort()
  const head = ['run_id', 'method', 'seed', 'cell', 'status', 'steps', 'output_model_sha256', ...metrics]
  const rows = runs.map((r) => [
    r.id,
    r.method,
    String(r.seed),
    r.cellKey,
    r.status,
    r.steps == null ? '' : String(r.steps),
    r.outputModelSha256 ?? '',
    ...metrics.map((k) => String(scalarMetric(r.metrics, k) ?? ''))
  ])
  return [head, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n'
}
