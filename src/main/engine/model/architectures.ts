import { ARCHITECTURE_IDS } from '@shared/task-spec'
import type { ModelGraph } from './graph'
import { GraphBuilder, scaled } from './graph-builder'
import { resnet18, resnet9, resnetMini } from './resnets'

export const ARCHITECTURES = ARCHITECTURE_IDS
export type ArchitectureId = (typeof ARCHITECTURES)[number]

export interface ArchitectureOptions {
  /** Multiplies every hidden layer's channel (or unit) count, rounded to at least 1; the classes stay. Default 1. */
  width?: number
}

function mlp(inputShape: number[], numClasses: number, width: number): ModelGraph {
  const b = new GraphBuilder(inputShape)
  if (inputShape.length > 1) b.add({ kind: 'flatten', name: 'flatten', input: 'input' })
  b.dense('dense1', scaled(256, width), 'relu')
  b.dense('dense2', scaled(128, width), 'relu')
  b.dense('logits', numClasses, 'linear')
  return { arch: 'mlp', nodes: b.nodes, output: 'logits', inputShape, numClasses }
}

function cnnSmall(inputShape: number[], numClasses: number, width: number): ModelGraph {
  const b = new GraphBuilder(inputShape)
  ;[16, 32].forEach((filters, i) => {
    b.conv(`conv${i + 1}`, scaled(filters, width), 3)
    b.bn(`bn${i + 1}`)
    b.relu(`relu${i + 1}`)
    b.maxpool(`pool${i + 1}`, 2)
  })
  b.add({ kind: 'flatten', name: 'flatten', input: b.head })
  b.dense('dense1', scaled(64, width), 'relu')
  b.dense('logits', numClasses, 'linear')
  return { arch: 'cnn-small', nodes: b.nodes, output: 'logits', inputShape, numClasses }
}

const BUILDERS: Record<ArchitectureId, (inputShape: number[], numClasses: number, width: number) => ModelGraph> = {
  mlp,
  'cnn-small': cnnSmall,
  'resnet-mini': resnetMini,
  'resnet-9': resnet9,
  'resnet-18': resnet18
}

export function buildArchitecture(arch: ArchitectureId, inputShape: number[], numClasses: number, o: ArchitectureOptions = {}): ModelGraph {
  const width = o.width ?? 1
  if (!(width > 0) || !Number.isFinite(width)) throw new Error(`A width must be a positive number, not ${width}`)
  return BUILDERS[arch](inputShape, numClasses, width)
}
