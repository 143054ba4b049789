import type { Database } from 'better-sqlite3'
import { openDatabase } from './database'
import { AuditLogRepository } from './repositories/audit-log'
import { DatasetsRepository } from './repositories/datasets'
import { ImportedAuditsRepository } from './repositories/imported-audits'
import { ModelCacheRepository } from './repositories/model-cache'
import { AttackScoresRepository } from './repositories/attack-scores'
import { TuningTrialsRepository } from './repositories/tuning-trials'
import { ModelsRepository } from './repositories/models'
import { RunsRepository } from './repositories/runs'
import { SettingsRepository } from './repositories/settings'
import { SplitsRepository } from './repositories/splits'
import { SpeedsRepository } from './repositories/speeds'
import { auditVerdict, TasksRepository } from './repositories/tasks'

/**
 * The experiment database, opened and migrated, with one repository per kind of record. Main is
 * its only writer. The connection stays private: every read and write goes through a repository,
 * so the SQL and the audit-log entries that go with a change live in one place.
 */
export class AuditStore {
  private readonly db: Database

  readonly tasks: TasksRepository
  readonly runs: RunsRepository
  readonly splits: SplitsRepository
  readonly models: ModelsRepository
  readonly modelCache: ModelCacheRepository
  readonly attackScores: AttackScoresRepository
  readonly tuningTrials: TuningTrialsRepository
  readonly datasets: DatasetsRepository
  readonly speeds: SpeedsRepository
  readonly settings: SettingsRepository
  readonly auditLog: AuditLogRepository
  readonly importedAudits: ImportedAuditsRepository

  constructor(file: string) {
    this.db = openDatabase(file)
    this.tasks = new TasksRepository(this.db)
    this.runs = new RunsRepository(this.db)
    this.splits = new SplitsRepository(this.db)
    this.models = new ModelsRepository(this.db)
    this.modelCache = new ModelCacheRepository(this.db)
    this.attackScores = new AttackScoresRepository(this.db)
    this.tuningTrials = new TuningTrialsRepository(this.db)
    this.datasets = new DatasetsRepository(this.db)
    this.speeds = new SpeedsRepository(this.db)
    this.settings = new SettingsRepository(this.db)
    this.auditLog = new AuditLogRepository(this.db)
    this.importedAudits = new ImportedAuditsRepository(this.db)
  }

  /**
   * Runs `fn` in one transaction: calls to several repositories commit together or not at all.
   * A repository's own transactions nest inside it (as savepoints).
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }

  /**
   * Writes an audit's verdict from its runs as they stand (null while none finished). Called where an
   * audit's execution ends, in a `finally`: it never throws, a failure is said on stderr.
   */
  recordVerdict(taskId: string): void {
    try {
      const task = this.tasks.get(taskId)
      if (task) this.tasks.setVerdict(taskId, auditVerdict(this.runs.list(taskId), task.spec))
    } catch (err) {
      process.stderr.write(`the verdict of audit ${taskId} was not written: ${(err as Error).message}\n`)
    }
  }

  close(): void {
    this.db.close()
  }
}
