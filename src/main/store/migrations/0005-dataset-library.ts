import type { Database } from 'better-sqlite3'

/**
 * The dataset library: imported datasets record where their files are, their sizes, class names
 * and how they were preprocessed. Models and datasets can be deleted from the library while runs
 * still refer to them, so a deletion only stamps the row (and removes the files): the runs'
 * results stay readable with the name and hash of what they used.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE datasets ADD COLUMN path TEXT;
    ALTER TABLE datasets ADD COLUMN bytes INTEGER;
    ALTER TABLE datasets ADD COLUMN train_size INTEGER;
    ALTER TABLE datasets ADD COLUMN test_size INTEGER;
    ALTER TABLE datasets ADD COLUMN class_names_json TEXT;
    ALTER TABLE datasets ADD COLUMN description_json TEXT;
    ALTER TABLE datasets ADD COLUMN deleted_at INTEGER;
    ALTER TABLE models ADD COLUMN deleted_at INTEGER;
  `)
}
