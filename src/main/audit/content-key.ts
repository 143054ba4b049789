import { createHash } from 'node:crypto'

/** The cache key of a model: a hash of everything that decides its weights. */
export function contentKey(kind: 'original' | 'retrain', datasetSha256: string, recipe: unknown): string {
  return createHash('sha256').update(canonicalJson({ kind, datasetSha256, recipe })).digest('hex')
}

/** Stable JSON (sorted keys), so equal specs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
