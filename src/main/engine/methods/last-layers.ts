import { type FunctionalModel, initialWeightValue } from '../model/functional-model'
import { isTrainableWeight, weightNamesOf } from '../model/graph'
import { hashSeed } from '../util/random'
import type { MethodInputs } from './context'
import { defineMethod } from './define'
import { trainOnRetain } from './retain-training'

/**
 * The weights of the last k weighted (conv, depthwise conv or dense) layers, with every batch-norm after the first
 * of them: the "last k layers" CF-k and EU-k work on.
 */
export function lastLayerWeightNames(model: FunctionalModel, k: number): string[] {
  const nodes = model.graph.nodes
  const weighted = nodes.flatMap((n, i) => (n.kind === 'conv2d' || n.kind === 'depthwise' || n.kind === 'dense' ? [i] : []))
  const cut = weighted[Math.max(0, weighted.length - k)] ?? nodes.length
  return nodes.slice(cut).flatMap(weightNamesOf)
}

function trainLastLayers(
  ctx: MethodInputs,
  o: { layers: number; epochs: number; learningRate: number; reinitialise: boolean; label: string }
) {
  const model = ctx.original.clone()
  const names = lastLayerWeightNames(model, o.layers)
  if (o.reinitialise) {
    for (const name of names) {
      const fresh = initialWeightValue(name, model.weights.get(name)!.shape, hashSeed(ctx.seed, `${o.label}-${name}`))
      model.weights.get(name)!.assign(fresh)
      fresh.dispose()
    }
  }
  const variables = names.filter(isTrainableWeight).map((n) => model.weights.get(n)!)
  const trainedParameters = variables.reduce((n, v) => n + v.size, 0)
  return trainOnRetain(ctx, model, { epochs: o.epochs, learningRate: o.learningRate, orderLabel: o.label, overrides: { variables } }).then(
    (outcome) => ({
      ...outcome,
      extraMetrics: { trainedParameterFraction: trainedParameters / model.parameterCount() }
    })
  )
}

/** CF-k: finetunes only the last k layers on the retain set. */
export const cfK = defineMethod('cf-k', (ctx) => {
  const p = ctx.params
  return trainLastLayers(ctx, { layers: p.layers, epochs: p.epochs, learningRate: p.learningRate, reinitialise: false, label: 'cf-k' })
})

/** EU-k: re-initialises the last k layers and trains only them on the retain set, with the original recipe. */
export const euK = defineMethod('eu-k', (ctx) => {
  const p = ctx.params
  return trainLastLayers(ctx, {
    layers: p.layers,
    epochs: p.epochs ?? ctx.spec.train.epochs,
    learningRate: p.learningRate ?? ctx.spec.train.learningRate,
    reinitialise: true,
    label: 'eu-k'
  })
})
