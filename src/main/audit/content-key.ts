import { createHash } from 'node:crypto'
import { canonicalJson } from '@shared/canonical-json'

export { canonicalJson }

/** The cache key of a model: a hash of everything that decides its weights. */
export function contentKey(kind: 'original' | 'retrain' | 'reference', datasetSha256: string, recipe: unknown): string {
  return createHash('sha256').update(canonicalJson({ kind, datasetSha256, recipe })).digest('hex')
}
