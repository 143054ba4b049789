import fc from 'fast-check'
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { importDataset } from '@main/library/datasets/import-dataset'
import { ImportError, MAX_MODEL_JSON_BYTES, MAX_WEIGHTS_FILE_BYTES, openModelBundle } from '@main/library/model-bundle'
import { checkModelBundle } from '@main/library/model-check'
import { AuditStore } from '@main/store/audit-store'
import { makeTempDir } from '../helpers/tmp'

const fixtures = join(__dirname, '..', 'fixtures')
const tmp = makeTempDir('import-fuzz')
const store = new AuditStore(join(tmp.dir, 'audit.db'))
afterAll(() => {
  store.close()
  tmp.cleanup()
})

/** A valid file, damaged: bytes flipped, cut short, a block duplicated, or bytes inserted. */
function mutated(original: Uint8Array) {
  const at = fc.nat({ max: original.length - 1 })
  return fc.oneof(
    fc.array(fc.tuple(at, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const out = original.slice()
      for (const [i, v] of flips) out[i] = v
      return out
    }),
    at.map((n) => original.slice(0, n)),
    fc.tuple(at, at).map(([a, b]) => Uint8Array.from([...original.subarray(0, Math.max(a, b)), ...original.subarray(Math.min(a, b))])),
    fc
      .tuple(at, fc.uint8Array({ minLength: 1, maxLength: 64 }))
      .map(([i, junk]) => Uint8Array.from([...original.subarray(0, i), ...junk, ...original.subarray(i)]))
  )
}

/** JSON damaged as a structure: one value somewhere replaced by something of the wrong kind. */
function mutatedJson(original: unknown) {
  const paths: string[][] = []
  const walk = (v: unknown, path: string[]) => {
    if (v && typeof v === 'object') for (const [k, child] of Object.entries(v)) walk(child, [...path, k])
    paths.push(path)
  }
  walk(original, [])
  const replacement = fc.oneof(
    fc.constantFrom(null, -1, 0, 1e12, 'x', '', [], {}, true, ['..', '/etc/passwd'], [-1, 3], [1e9, 1e9, 1e9]),
    fc.anything({ maxDepth: 1 })
  )
  return fc.tuple(fc.constantFrom(...paths), replacement).map(([path, value]) => {
    const copy = structuredClone(original) as Record<string, unknown>
    if (path.length === 0) return value
    let node = copy as Record<string, unknown>
    for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>
    node[path.at(-1)!] = value
    return copy
  })
}

let cases = 0
const onlyImportErrors = (work: () => unknown) => {
  cases++
  try {
    work()
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(ImportError)
  }
}

describe('importers under damaged files', () => {
  const modelDir = join(fixtures, 'models', 'valid')
  const jsonBytes = new Uint8Array(readFileSync(join(modelDir, 'model.json')))
  const weightsName = readdirSync(modelDir).find((f) => f.endsWith('.bin'))!
  const weights = new Uint8Array(readFileSync(join(modelDir, weightsName)))
  const work = join(tmp.dir, 'model')

  const checkModel = (json: Uint8Array, bin: Uint8Array) => {
    rmSync(work, { recursive: true, force: true })
    mkdirSync(work)
    writeFileSync(join(work, 'model.json'), json)
    writeFileSync(join(work, weightsName), bin)
    onlyImportErrors(() => checkModelBundle(openModelBundle([work])))
  }

  it('a model.json damaged byte by byte, or its weights: a clear refusal or a model, never a crash', () => {
    fc.assert(
      fc.property(mutated(jsonBytes), (json) => checkModel(json, weights)),
      { numRuns: 300, seed: 1 }
    )
    fc.assert(
      fc.property(mutated(weights), (bin) => checkModel(jsonBytes, bin)),
      { numRuns: 100, seed: 2 }
    )
  })

  it('a model.json damaged as JSON (wrong types, missing parts, hostile paths)', () => {
    const parsed = JSON.parse(new TextDecoder().decode(jsonBytes)) as unknown
    fc.assert(
      fc.property(mutatedJson(parsed), (json) => checkModel(new TextEncoder().encode(JSON.stringify(json) ?? 'null'), weights)),
      { numRuns: 300, seed: 3 }
    )
  })

  it('refuses an oversized model.json or weights file before reading it', () => {
    rmSync(work, { recursive: true, force: true })
    mkdirSync(work)
    writeFileSync(join(work, 'model.json'), jsonBytes)
    // Sparse files: the size is what is checked, so nothing this large is ever written or read.
    writeFileSync(join(work, weightsName), '')
    truncateSync(join(work, weightsName), MAX_WEIGHTS_FILE_BYTES + 1)
    expect(() => checkModelBundle(openModelBundle([work]))).toThrow(
      `the weights file "${weightsName}" is 1024 MiB, more than the 1024 MiB a model file may have here`
    )
    truncateSync(join(work, 'model.json'), MAX_MODEL_JSON_BYTES + 1024 ** 2)
    expect(() => openModelBundle([work])).toThrow('model.json is 33 MiB, more than the 32 MiB a model file may have here')
  })

  it('a damaged .npz or image is refused with its reason, and nothing half-imported is stored', async () => {
    const npz = new Uint8Array(readFileSync(join(fixtures, 'datasets', 'strokes.npz')))
    const before = store.datasets.listLibrary().length
    let imported = 0
    const importOne = async (paths: string[]) => {
      cases++
      try {
        await importDataset({ store, dataDir: tmp.dir }, paths, { name: `fuzz-${cases}` })
        imported++
      } catch (err) {
        expect(err, String(err)).toBeInstanceOf(ImportError)
      }
    }
    await fc.assert(
      fc.asyncProperty(mutated(npz), async (bytes) => {
        const file = join(tmp.dir, 'data.npz')
        writeFileSync(file, bytes)
        await importOne([file])
      }),
      { numRuns: 120, seed: 4 }
    )
    const folder = join(tmp.dir, 'strokes')
    cpSync(join(fixtures, 'datasets', 'strokes'), folder, { recursive: true })
    const victim = join(folder, 'diagonal', '0.png')
    const png = new Uint8Array(readFileSync(victim))
    await fc.assert(
      fc.asyncProperty(mutated(png), async (bytes) => {
        writeFileSync(victim, bytes)
        await importOne([folder])
      }),
      { numRuns: 80, seed: 5 }
    )
    // Every row stored is a dataset whose files are all there.
    const stored = store.datasets.listLibrary()
    expect(stored.length - before).toBeLessThanOrEqual(imported)
    for (const d of stored) expect(readdirSync(join(tmp.dir, 'datasets', d.id))).toContain('dataset.json')
    process.stdout.write(`import fuzz: ${cases} damaged files\n`)
  }, 120_000)
})
