import type { Database } from 'better-sqlite3'

/**
 * Which stored model an .onnx file became, per dataset. An imported ONNX model is stored as the engine's
 * converted files, so its sha256 is not the file's: this lets a spec that names the .onnx path find the
 * model again (an estimate, a resumed headless audit) without converting and validating it once more.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE onnx_sources (
      onnx_sha256 TEXT NOT NULL,
      dataset_id TEXT NOT NULL,
      model_sha256 TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (onnx_sha256, dataset_id)
    );
  `)
}
