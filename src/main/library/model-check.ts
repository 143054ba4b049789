import { createHash } from 'node:crypto'
import { z } from 'zod'
import { describeZodError } from '@shared/zod-errors'
import { SUPPORTED_LAYER_TYPES } from '../engine/model/supported-layers'
import { ImportError, type ModelBundle } from './model-bundle'

/**
 * The checks a dropped model passes before anything is stored or run, without TensorFlow: the
 * JSON parses, it is a LayersModel of supported layers, and its weight files are the bytes the
 * manifest describes. Shapes against a dataset are checked when the engine loads it.
 */

// The parts of a LayersModel's model.json the app reads, as a schema: anything else in the file is
// ignored, and a part of the wrong shape is refused with its path before any of it is used.
const ManifestEntry = z.object({
  name: z.string(),
  shape: z.array(
    z
      .number()
      .int()
      .nonnegative()
      .max(2 ** 31)
  ),
  dtype: z.string(),
  quantization: z.object({ dtype: z.string().optional() }).passthrough().optional()
})
type ManifestEntry = z.infer<typeof ManifestEntry>
const WeightsManifest = z.array(z.object({ paths: z.array(z.string().min(1).max(300)).min(1), weights: z.array(ManifestEntry) })).min(1)
const Layer = z.object({ class_name: z.string(), config: z.object({ name: z.string().optional() }).passthrough().optional() }).passthrough()
const LayerList = z.array(Layer)

export interface CheckedModel {
  /** model.json as dropped, and the weight files in manifest order: what gets copied, byte for byte. */
  jsonBytes: Uint8Array
  weightFiles: Array<{ path: string; bytes: Uint8Array }>
  /** Over model.json and the weights in manifest order: the same hash the engine gives a saved model. */
  sha256: string
  bytes: number
  layerCount: number
  weightCount: number
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 }

function layersOf(topology: Record<string, unknown>, where: string): z.infer<typeof LayerList> {
  // Keras exports wrap the model in model_config; tfjs writes it bare.
  const model = (topology.model_config ?? topology) as { class_name?: unknown; config?: unknown }
  const config = model?.config as { layers?: unknown } | unknown[] | undefined
  const layers = Array.isArray(config) ? config : (config as { layers?: unknown } | undefined)?.layers
  if (!Array.isArray(layers)) throw new ImportError(`${where}: modelTopology has no list of layers (class ${String(model?.class_name)})`)
  const parsed = LayerList.safeParse(layers)
  if (!parsed.success) throw new ImportError(`${where}: the list of layers is malformed: ${describeZodError(parsed.error, 'layers')}`)
  return parsed.data
}

function entryBytes(entry: ManifestEntry, where: string): number {
  const dtype = entry.quantization?.dtype ?? entry.dtype
  const per = BYTES_PER_ELEMENT[dtype]
  if (!per) throw new ImportError(`${where}: weight "${entry.name}" has dtype ${dtype}, which a classifier's weights cannot have`)
  if (!Array.isArray(entry.shape) || entry.shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new ImportError(`${where}: weight "${entry.name}" has an invalid shape ${JSON.stringify(entry.shape)}`)
  return entry.shape.reduce((a, b) => a * b, 1) * per
}

export function checkModelBundle(bundle: ModelBundle): CheckedModel {
  const where = bundle.jsonName
  let json: { modelTopology?: unknown; weightsManifest?: unknown; format?: unknown }
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bundle.jsonBytes)) as typeof json
  } catch (err) {
    throw new ImportError(`${where} is not valid JSON: ${(err as Error).message}`)
  }
  if (!json || typeof json !== 'object') throw new ImportError(`${where} is not a TF.js model (not a JSON object)`)
  if (json.format === 'graph-model' || (json.modelTopology && typeof json.modelTopology === 'object' && 'node' in json.modelTopology)) {
    throw new ImportError(
      `${where} is a TF.js GraphModel; only LayersModels (tfjs-layers, or Keras converted with tensorflowjs_converter) can be unlearned`
    )
  }
  if (!json.modelTopology || typeof json.modelTopology !== 'object')
    throw new ImportError(`${where} has no modelTopology: it is not a TF.js LayersModel`)
  if (!Array.isArray(json.weightsManifest) || json.weightsManifest.length === 0)
    throw new ImportError(`${where} has no weightsManifest: the model comes without weights`)
  const manifest = WeightsManifest.safeParse(json.weightsManifest)
  if (!manifest.success)
    throw new ImportError(`${where}: the weightsManifest is malformed: ${describeZodError(manifest.error, 'weightsManifest')}`)

  const layers = layersOf(json.modelTopology as Record<string, unknown>, where)
  if (layers.length === 0) throw new ImportError(`${where}: the model has no layers`)
  for (const [i, layer] of layers.entries()) {
    const type = String(layer.class_name)
    const name = typeof layer.config?.name === 'string' ? layer.config.name : `#${i}`
    if (!(SUPPORTED_LAYER_TYPES as readonly string[]).includes(type)) {
      throw new ImportError(
        `${where}: layer "${name}" has type ${type}, which is not supported (supported: ${SUPPORTED_LAYER_TYPES.slice(1).join(', ')})`
      )
    }
  }

  const weightFiles: Array<{ path: string; bytes: Uint8Array }> = []
  let weightCount = 0
  for (const [g, group] of manifest.data.entries()) {
    const files = group.paths.map((p) => ({ path: String(p), bytes: bundle.readWeights(String(p)) }))
    for (const f of files) if (f.bytes.length === 0) throw new ImportError(`${where}: the weights file "${f.path}" is empty (0 bytes)`)
    const expected = group.weights.reduce((n, e) => n + entryBytes(e, where), 0)
    const actual = files.reduce((n, f) => n + f.bytes.length, 0)
    if (expected !== actual) {
      throw new ImportError(
        `${where}: weightsManifest[${g}] describes ${expected} bytes (${group.weights.length} weights) but ${group.paths.join(', ')} hold${files.length === 1 ? 's' : ''} ${actual} bytes`
      )
    }
    weightFiles.push(...files)
    weightCount += group.weights.length
  }
  const bytes = bundle.jsonBytes.length + weightFiles.reduce((n, f) => n + f.bytes.length, 0)
  const hash = createHash('sha256').update(bundle.jsonBytes)
  for (const f of weightFiles) hash.update(f.bytes)
  return { jsonBytes: bundle.jsonBytes, weightFiles, sha256: hash.digest('hex'), bytes, layerCount: layers.length, weightCount }
}

/** The layers of a model.json by type, in order of first use: "Conv2D ×2, MaxPooling2D, Flatten, Dense ×2". */
export function layerSummary(jsonBytes: Uint8Array): string {
  const json = JSON.parse(new TextDecoder().decode(jsonBytes)) as { modelTopology: Record<string, unknown> }
  const counts = new Map<string, number>()
  for (const layer of layersOf(json.modelTopology, 'model.json')) {
    const type = String(layer.class_name)
    if (type !== 'InputLayer') counts.set(type, (counts.get(type) ?? 0) + 1)
  }
  return [...counts].map(([type, n]) => (n > 1 ? `${type} ×${n}` : type)).join(', ')
}
