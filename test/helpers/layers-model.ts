import * as tf from '@tensorflow/tfjs'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Saves a tfjs-layers model with its own save(), into a folder as tf.io's file handler would:
 * model.json beside one weights file, as an auditor's model arrives.
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string, weightsFile = 'group1-shard1of1.bin'): Promise<void> {
  mkdirSync(dir, { recursive: true })
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(join(dir, weightsFile), new Uint8Array(artifacts.weightData as ArrayBuffer))
      const json = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: 'tfjs test',
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs }]
      }
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json))
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
}

/** A small Fashion-MNIST classifier built the way a user would, with tfjs-layers. */
export function smallClassifier(classes = 10, seed = 1): tf.LayersModel {
  const model = tf.sequential()
  model.add(
    tf.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 4,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed })
    })
  )
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }))
  model.add(tf.layers.flatten())
  model.add(
    tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
  )
  return model
}
