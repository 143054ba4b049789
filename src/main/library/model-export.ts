import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { AuditStore } from '../store/audit-store'
import { ImportError } from './model-bundle'

export const EXPORT_MANIFEST = 'export-manifest.json'

/**
 * Saves a model of the store (trained, unlearned or imported) as a TF.js LayersModel folder that
 * tf.loadLayersModel reads: model.json and its weights as stored, the Mnemonic codes as a sidecar
 * when the model has them, and a manifest with every file's sha256.
 */
export function exportModel(
  store: AuditStore,
  dataDir: string,
  sha256: string,
  dest: string
): { dir: string; files: Array<{ name: string; sha256: string; bytes: number }> } {
  const model = store.models.find(sha256)
  if (!model) throw new ImportError(`No model ${sha256.slice(0, 12)}… in the store`)
  const source = resolve(dataDir, model.path)
  if (!existsSync(source)) throw new ImportError(`The files of model ${sha256.slice(0, 12)}… are missing from ${source}`)
  if (existsSync(dest) && readdirSync(dest).length > 0) throw new ImportError(`${dest} is not empty; export into a new or empty folder`)
  mkdirSync(dest, { recursive: true })
  const files = readdirSync(source, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(source.length + 1))
    .sort()
  const listed = files.map((name) => {
    const from = join(source, name)
    mkdirSync(join(dest, name, '..'), { recursive: true })
    copyFileSync(from, join(dest, name))
    return { name, sha256: createHash('sha256').update(readFileSync(from)).digest('hex'), bytes: statSync(from).size }
  })
  writeFileSync(
    join(dest, EXPORT_MANIFEST),
    JSON.stringify(
      {
        model: {
          sha256: model.sha256,
          name: model.name,
          source: model.source,
          datasetId: model.datasetId,
          parameterCount: model.parameterCount
        },
        files: listed,
        exportedAt: new Date().toISOString()
      },
      null,
      2
    )
  )
  return { dir: dest, files: listed }
}
