import * as tf from '@tensorflow/tfjs'
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import { MODEL_JSON, WEIGHTS_BIN } from '../model-folder'
import type { FunctionalModel } from './functional-model'
import { fromLayersModel, toLayersModel } from './layers-format'

export interface SavedModel {
  dir: string
  /** sha256 over model.json and the weights, as written. */
  sha256: string
  bytes: number
}

function joinWeightData(data: tf.io.WeightData): Uint8Array {
  const parts = Array.isArray(data) ? data : [data]
  return new Uint8Array(tf.io.concatenateArrayBuffers(parts))
}

export function sha256Of(...chunks: Uint8Array[]): string {
  const h = createHash('sha256')
  for (const c of chunks) h.update(c)
  return h.digest('hex')
}

/**
 * Writes the model as a TF.js LayersModel folder (model.json + weights.bin). The files are written
 * to a temporary folder first and renamed, so a crash never leaves a half-written model at `dir`.
 */
export async function saveModel(model: FunctionalModel, dir: string, metadata: Record<string, unknown> = {}): Promise<SavedModel> {
  const lm = toLayersModel(model)
  let artifacts: tf.io.ModelArtifacts | undefined
  try {
    await lm.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
      })
    )
  } finally {
    lm.dispose()
  }
  if (!artifacts?.weightData || !artifacts.weightSpecs) throw new Error('tfjs produced no weights while saving')
  const weights = joinWeightData(artifacts.weightData)
  const json = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs }],
    userDefinedMetadata: { arch: model.graph.arch, numClasses: model.graph.numClasses, ...metadata }
  }
  const jsonBytes = new TextEncoder().encode(JSON.stringify(json))
  const tmp = `${dir}.partial-${process.pid}`
  await rm(tmp, { recursive: true, force: true })
  try {
    await mkdir(tmp, { recursive: true })
    await writeFile(join(tmp, MODEL_JSON), jsonBytes)
    await writeFile(join(tmp, WEIGHTS_BIN), weights)
  } catch (err) {
    // A full disk leaves half a file: take it away, so nothing half-written is left to find.
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined)
    throw err
  }
  await rm(dir, { recursive: true, force: true })
  await rename(tmp, dir)
  return { dir, sha256: sha256Of(jsonBytes, weights), bytes: jsonBytes.length + weights.length }
}

interface ModelJson {
  modelTopology?: unknown
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>
  userDefinedMetadata?: Record<string, unknown>
}

/** Reads a LayersModel folder through tf.loadLayersModel and converts it to the functional form. */
export async function loadModel(dir: string): Promise<{ model: FunctionalModel; sha256: string; metadata: Record<string, unknown> }> {
  const jsonBytes = await readFile(join(dir, MODEL_JSON))
  let json: ModelJson
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes)) as ModelJson
  } catch (err) {
    throw new Error(`${join(dir, MODEL_JSON)} is not valid JSON: ${(err as Error).message}`)
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${join(dir, MODEL_JSON)} is not a TF.js LayersModel (no modelTopology or weightsManifest)`)
  }
  const root = resolve(dir)
  const specs: tf.io.WeightsManifestEntry[] = []
  const chunks: Uint8Array[] = []
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const file = resolve(root, p)
      if (!file.startsWith(root + sep)) throw new Error(`Weights path "${p}" points outside the model folder`)
      chunks.push(new Uint8Array(await readFile(file)))
    }
    specs.push(...group.weights)
  }
  const total = chunks.reduce((n, c) => n + c.length, 0)
  const weightData = new Uint8Array(total)
  let offset = 0
  for (const c of chunks) {
    weightData.set(c, offset)
    offset += c.length
  }
  const lm = await tf.loadLayersModel({
    load: async () => ({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: weightData.buffer })
  })
  try {
    const arch = typeof json.userDefinedMetadata?.arch === 'string' ? json.userDefinedMetadata.arch : 'imported'
    return {
      model: fromLayersModel(lm, arch),
      sha256: sha256Of(new Uint8Array(jsonBytes), ...chunks),
      metadata: json.userDefinedMetadata ?? {}
    }
  } finally {
    lm.dispose()
  }
}
