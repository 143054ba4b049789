import { join } from 'node:path'
import { ApiError, type ApiInput, type ApiOutput } from '@shared/api/contract'
import type { InvokeChannel } from '@shared/api/channels'
import {
  METHOD_CATALOG,
  METHOD_GROUPS,
  METHOD_IDS,
  acceptedTaskKinds,
  designedFor,
  methodGroup,
  requiresMnemonicCodes
} from '@shared/methods'
import { ARCHITECTURE_IDS } from '@shared/task-spec'
import { renderReportPdf, writeReportPdf } from '../reports/audit-report'
import { BUNDLE_SUFFIX } from '../audit/bundle/format'
import { exportBundle } from '../audit/bundle/export-bundle'
import { listDatasetLibrary } from '../library/library'
import { gatherReportInput } from '../reports/report-input'
import { deleteAudit } from '../audit/delete-audit'
import { drillDown } from '../audit/drill-down'
import { exportModelOnnxInEngine } from '../library/model-export'
import { privacyScores } from '../audit/privacy-scores'
import { previewTask } from '../audit/task-preview'
import { nativeHint } from '../engine-host/native-hint'
import type { Services } from '../services'

export type ApiHandlers = { [C in InvokeChannel]: (input: ApiInput<C>) => Promise<ApiOutput<C>> }

/** Where an audit's bundle goes when the app exports it: beside its PDF. */
export function bundlePathFor(dataDir: string, taskId: string): string {
  return join(dataDir, 'reports', `audit-${taskId}${BUNDLE_SUFFIX}`)
}

/** Where an audit's PDF goes when the app exports it. */
export function reportPathFor(dataDir: string, taskId: string): string {
  return join(dataDir, 'reports', `audit-${taskId}.pdf`)
}

export async function exportReport(s: Services, taskId: string, file = reportPathFor(s.paths.dataDir, taskId)) {
  const task = s.store.tasks.get(taskId)
  if (!task) throw new ApiError('NOT_FOUND', `No audit with id ${taskId}`)
  const report = await writeReportPdf(gatherReportInput(s, task), file)
  s.store.auditLog.recordExport(taskId, report)
  return report
}

/** The report as it would be exported, for its preview; nothing is written or logged. */
export async function previewReport(s: Services, taskId: string) {
  const task = s.store.tasks.get(taskId)
  if (!task) throw new ApiError('NOT_FOUND', `No audit with id ${taskId}`)
  const input = gatherReportInput(s, task)
  return { base64: (await renderReportPdf(input)).toString('base64'), pageSize: input.settings.pageSize }
}

export function createApiHandlers(s: Services): ApiHandlers {
  return {
    'app:info': async () => {
      // Starts an engine if none runs yet (the first run would anyway), so the app can say what it runs on.
      const app = { version: s.appVersion, dataDir: s.paths.dataDir }
      try {
        const engine = await s.engine.whenReady()
        return { ...app, backend: engine.backend, backendSkipped: engine.backendSkipped, nativeHint: nativeHint(engine) }
      } catch (err) {
        // An engine that cannot start is said among the reasons, which the header shows.
        return { ...app, backend: null, backendSkipped: [`engine: ${(err as Error).message}`], nativeHint: null }
      }
    },
    'catalog:get': async () => ({
      datasets: listDatasetLibrary(s.store).map((d) => ({
        id: d.id,
        name: d.name,
        classNames: d.classNames,
        trainSize: d.trainSize,
        testSize: d.testSize
      })),
      architectures: [...ARCHITECTURE_IDS],
      methodGroups: Object.entries(METHOD_GROUPS).map(([id, label]) => ({ id, label })),
      methods: METHOD_IDS.map((id) => ({
        id,
        label: METHOD_CATALOG[id].label,
        description: METHOD_CATALOG[id].description,
        needs: METHOD_CATALOG[id].needs,
        group: methodGroup(id),
        designedFor: [...designedFor(id)],
        accepts: [...acceptedTaskKinds(id)],
        requiresCodes: requiresMnemonicCodes(id)
      }))
    }),
    'tasks:preview': async ({ spec, count }) => previewTask(s.paths, spec, count),
    'audits:estimate': async ({ spec }) => s.audits.estimate(spec),
    'audits:start': async ({ spec }) => {
      const { taskId, done } = await s.audits.start(spec)
      done.catch((err: Error) => process.stderr.write(`audit ${taskId} stopped: ${err.message}\n`))
      return { taskId }
    },
    'audits:cancel': async ({ taskId }) => ({ cancelled: s.audits.cancel(taskId) }),
    'audits:pause': async ({ taskId }) => ({ paused: s.audits.pause(taskId) }),
    'audits:resume': async ({ taskId }) => {
      if (!s.store.tasks.get(taskId)) throw new ApiError('NOT_FOUND', `No audit with id ${taskId}`)
      const { done, pending } = s.audits.resume(taskId)
      done.catch((err: Error) => process.stderr.write(`audit ${taskId} stopped: ${err.message}\n`))
      return { pending }
    },
    'audits:retryEnded': async ({ taskId }) => {
      if (!s.store.tasks.get(taskId)) throw new ApiError('NOT_FOUND', `No audit with id ${taskId}`)
      const { done, requeued } = s.audits.retryEnded(taskId)
      done.catch((err: Error) => process.stderr.write(`audit ${taskId} stopped: ${err.message}\n`))
      return { requeued }
    },
    'audits:delete': async ({ taskId }) => ({ deleted: deleteAudit(s, taskId) }),
    'runs:cancel': async ({ runId }) => ({ cancelled: s.audits.cancelRun(runId) }),
    'runs:pause': async ({ runId }) => ({ paused: s.audits.pauseRun(runId) }),
    'audits:list': async () => s.store.tasks.list().map((t) => ({ ...t, active: s.audits.isActive(t.id) })),
    'audits:runs': async ({ taskId }) => {
      if (!s.store.tasks.get(taskId)) throw new ApiError('NOT_FOUND', `No audit with id ${taskId}`)
      return s.store.runs.list(taskId)
    },
    'runs:drillDown': async ({ runId, perGroup }) => drillDown(s.store, s.paths, runId, perGroup),
    'privacy:scores': async (q) => privacyScores(s.store, s.paths, q),
    'tuning:trials': async ({ taskId }) => {
      if (!s.store.tasks.get(taskId)) throw new ApiError('NOT_FOUND', `No audit with id ${taskId}`)
      const records = s.store.tuningTrials.forRuns(s.store.runs.list(taskId).map((r) => r.id))
      return { runs: [...records].map(([runId, record]) => ({ runId, record })) }
    },
    'library:list': async () => s.library.list(),
    'uploads:begin': async () => ({ uploadId: s.library.beginUpload() }),
    'uploads:write': async ({ uploadId, path, base64, append }) => ({ bytes: s.library.writeUpload(uploadId, path, base64, append) }),
    'uploads:discard': async ({ uploadId }) => {
      s.library.discardUpload(uploadId)
      return { discarded: true }
    },
    'models:import': async ({ uploadId, datasetId, name }) => s.library.importModel(uploadId, datasetId, name),
    'datasets:import': async ({ uploadId, options }) => s.library.importDataset(uploadId, options),
    'models:delete': async ({ sha256 }) => s.library.deleteModel(sha256),
    'models:exportOnnx': async ({ sha256 }) => {
      if (!s.store.models.find(sha256)) throw new ApiError('NOT_FOUND', `No model ${sha256.slice(0, 12)}… in the store`)
      const written = await exportModelOnnxInEngine(s, sha256)
      return { path: written.file, sha256: written.sha256, bytes: written.bytes }
    },
    'datasets:delete': async ({ id }) => s.library.deleteDataset(id),
    'reports:exportPdf': async ({ taskId }) => exportReport(s, taskId),
    'reports:preview': async ({ taskId }) => previewReport(s, taskId),
    'bundles:export': async ({ taskId, includeModels }) => {
      if (!s.store.tasks.get(taskId)) throw new ApiError('NOT_FOUND', `No audit with id ${taskId}`)
      // A run in flight would be exported half-done; its status changes when it ends.
      if (s.store.runs.list(taskId).some((r) => r.status === 'running'))
        throw new ApiError('CONFLICT', 'A run of this audit is still running; export the bundle once it has finished or been paused')
      const written = await exportBundle(s, taskId, { file: bundlePathFor(s.paths.dataDir, taskId), includeModels })
      return { path: written.path, sha256: written.sha256, bytes: written.bytes }
    },
    'bundles:import': async ({ uploadId }) => s.library.importBundle(uploadId),
    'shards:merge': async ({ uploadId }) => s.library.mergeShards(uploadId, s.appVersion),
    'settings:get': async () => s.store.settings.read(),
    'settings:set': async (changes) => s.store.settings.write(changes)
  }
}
