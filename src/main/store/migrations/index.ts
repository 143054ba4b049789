import type { Database } from 'better-sqlite3'
import * as initial from './0001-initial'
import * as splits from './0002-splits-and-structured-metrics'
import * as cells from './0003-sweep-cells-and-model-cache'
import * as imported from './0004-imported-models'
import * as datasetLibrary from './0005-dataset-library'
import * as auditLog from './0006-audit-log'
import * as settingsAndBundles from './0007-settings-and-bundles'
import * as modelCodes from './0008-model-codes'
import * as runMetricsSnapshot from './0009-run-metrics-snapshot'
import * as backendSkipped from './0010-backend-skipped'
import * as taskVerdict from './0011-task-verdict'
import * as privacyEvidence from './0012-privacy-evidence'
import * as attackFailures from './0013-attack-failures'
import * as onnxSources from './0014-onnx-sources'
import * as tuningTrials from './0015-tuning-trials'
import * as taskShards from './0016-task-shards'

export interface Migration {
  version: number
  name: string
  up: (db: Database) => void
}

/** Append-only: never edit a migration that has shipped; add the next one. */
export const MIGRATIONS: Migration[] = [
  { version: 1, name: 'initial', up: initial.up },
  { version: 2, name: 'splits-and-structured-metrics', up: splits.up },
  { version: 3, name: 'sweep-cells-and-model-cache', up: cells.up },
  { version: 4, name: 'imported-models', up: imported.up },
  { version: 5, name: 'dataset-library', up: datasetLibrary.up },
  { version: 6, name: 'audit-log', up: auditLog.up },
  { version: 7, name: 'settings-and-bundles', up: settingsAndBundles.up },
  { version: 8, name: 'model-codes', up: modelCodes.up },
  { version: 9, name: 'run-metrics-snapshot', up: runMetricsSnapshot.up },
  { version: 10, name: 'backend-skipped', up: backendSkipped.up },
  { version: 11, name: 'task-verdict', up: taskVerdict.up },
  { version: 12, name: 'privacy-evidence', up: privacyEvidence.up },
  { version: 13, name: 'attack-failures', up: attackFailures.up },
  { version: 14, name: 'onnx-sources', up: onnxSources.up },
  { version: 15, name: 'tuning-trials', up: tuningTrials.up },
  { version: 16, name: 'task-shards', up: taskShards.up }
]

export const LATEST_VERSION = MIGRATIONS.at(-1)!.version
