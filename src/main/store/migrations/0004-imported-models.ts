import type { Database } from 'better-sqlite3'

/**
 * Models brought in by the user: where a model came from (trained here or imported), the name it
 * was dropped under, and what was measured when it came in (its test accuracy on its dataset).
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE models ADD COLUMN source TEXT NOT NULL DEFAULT 'trained' CHECK (source IN ('trained', 'imported'));
    ALTER TABLE models ADD COLUMN name TEXT;
    ALTER TABLE models ADD COLUMN input_shape_json TEXT;
    ALTER TABLE models ADD COLUMN num_classes INTEGER;
    ALTER TABLE models ADD COLUMN test_accuracy REAL;
  `)
}
