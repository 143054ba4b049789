import type { Database } from 'better-sqlite3'
import { DEFAULT_REPORT_SETTINGS, ReportSettings } from '@shared/api/contract'

/** The report settings, each key stored as its own row so a later version can add keys. */
export class SettingsRepository {
  constructor(private readonly db: Database) {}

  read(): ReportSettings {
    const rows = this.db.prepare(`SELECT key, value_json FROM settings`).all() as Array<{ key: string; value_json: string }>
    const stored = Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value_json) as unknown]))
    // A row written by a newer version, or edited by hand, falls back to its default rather than failing the report.
    const parsed = ReportSettings.partial().safeParse(
      Object.fromEntries(Object.entries(stored).filter(([k]) => k in DEFAULT_REPORT_SETTINGS))
    )
    return { ...DEFAULT_REPORT_SETTINGS, ...(parsed.success ? parsed.data : {}) }
  }

  /** Validates and stores the given keys (unknown keys are refused), returning the settings now in force. */
  write(changes: Partial<ReportSettings>): ReportSettings {
    const valid = ReportSettings.partial().strict().parse(changes)
    const put = this.db.prepare(
      `INSERT INTO settings (key, value_json) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json`
    )
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(valid)) put.run(key, JSON.stringify(value))
    })()
    return this.read()
  }
}
