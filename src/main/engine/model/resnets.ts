import type { ModelGraph } from './graph'
import { GraphBuilder, scaled } from './graph-builder'

/**
 * A basic residual block (He et al. 2016): conv-bn-relu, conv-bn, plus the input (through a 1×1
 * conv and bn where the stride or channel count changes), then relu. Returns the block's output.
 */
function basicBlock(b: GraphBuilder, p: string, x: string, inFilters: number, filters: number, stride: number): string {
  b.conv(`${p}_conv1`, filters, 3, stride, x)
  b.bn(`${p}_bn1`)
  b.relu(`${p}_relu1`)
  b.conv(`${p}_conv2`, filters, 3)
  const main = b.bn(`${p}_bn2`)
  let shortcut = x
  if (stride !== 1 || inFilters !== filters) {
    b.conv(`${p}_proj`, filters, 1, stride, x)
    shortcut = b.bn(`${p}_proj_bn`)
  }
  b.sum(`${p}_add`, [main, shortcut])
  return b.relu(`${p}_out`)
}

/** A stem and three residual stages (16, 32/2, 64/2), global average pooling and a dense head. */
export function resnetMini(inputShape: number[], numClasses: number, width: number): ModelGraph {
  const b = new GraphBuilder(inputShape)
  const stem = scaled(16, width)
  b.conv('stem_conv', stem, 3)
  b.bn('stem_bn')
  let x = b.relu('stem_relu')
  let inFilters = stem
  ;[
    [16, 1],
    [32, 2],
    [64, 2]
  ].forEach(([filters, stride], i) => {
    const out = scaled(filters!, width)
    x = basicBlock(b, `block${i + 1}`, x, inFilters, out, stride!)
    inFilters = out
  })
  b.add({ kind: 'gap', name: 'gap', input: x })
  b.dense('logits', numClasses, 'linear')
  return { arch: 'resnet-mini', nodes: b.nodes, output: 'logits', inputShape, numClasses }
}

/**
 * ResNet-18 as trained on CIFAR (a 3×3 stride-1 stem and no max-pool, so 32×32 inputs keep their
 * resolution into the first stage): four stages of two basic blocks, 64/128/256/512 channels, the
 * last three starting with stride 2; global average pooling and a dense head.
 */
export function resnet18(inputShape: number[], numClasses: number, width: number): ModelGraph {
  const b = new GraphBuilder(inputShape)
  const stem = scaled(64, width)
  b.conv('stem_conv', stem, 3)
  b.bn('stem_bn')
  let x = b.relu('stem_relu')
  let inFilters = stem
  ;[64, 128, 256, 512].forEach((filters, s) => {
    const out = scaled(filters, width)
    for (let k = 0; k < 2; k++) {
      x = basicBlock(b, `stage${s + 1}_block${k + 1}`, x, inFilters, out, s > 0 && k === 0 ? 2 : 1)
      inFilters = out
    }
  })
  b.add({ kind: 'gap', name: 'gap', input: x })
  b.dense('logits', numClasses, 'linear')
  return { arch: 'resnet-18', nodes: b.nodes, output: 'logits', inputShape, numClasses }
}

/** `x + f(x)` with f two conv-bn-relu layers and no activation after the sum, as in the DAWNBench ResNet-9. */
function residualPair(b: GraphBuilder, p: string, filters: number): string {
  const x = b.head
  b.convBnRelu(`${p}_res1`, filters)
  const f = b.convBnRelu(`${p}_res2`, filters)
  return b.sum(`${p}_add`, [x, f])
}

/**
 * ResNet-9 (Page's DAWNBench CIFAR-10 network, the one REM trains): a 64-channel prep layer, then
 * layer1 (128 channels, max-pool 2, a residual pair), layer2 (256, max-pool 2), layer3 (512,
 * max-pool 2, a residual pair), a global max pool and a dense head. The original's 0.125 scale on
 * the logits is left out: it only rescales the head's initial weights and gradient.
 */
export function resnet9(inputShape: number[], numClasses: number, width: number): ModelGraph {
  const [h, w] = inputShape
  if (inputShape.length !== 3 || h! < 8 || w! < 8)
    throw new Error(`resnet-9 pools by 2 three times: it needs images of at least 8×8, not [${inputShape.join(', ')}]`)
  const b = new GraphBuilder(inputShape)
  b.convBnRelu('prep', scaled(64, width))
  b.convBnRelu('layer1', scaled(128, width))
  b.maxpool('layer1_pool', 2)
  residualPair(b, 'layer1', scaled(128, width))
  b.convBnRelu('layer2', scaled(256, width))
  b.maxpool('layer2_pool', 2)
  b.convBnRelu('layer3', scaled(512, width))
  b.maxpool('layer3_pool', 2)
  residualPair(b, 'layer3', scaled(512, width))
  // Three valid pools by 2 leave floor(side / 8): 4×4 for CIFAR, 3×3 for 28×28 images.
  const third = (n: number) => Math.floor(Math.floor(Math.floor(n / 2) / 2) / 2)
  b.maxpool('global_pool', [third(h!), third(w!)])
  b.add({ kind: 'flatten', name: 'flatten', input: b.head })
  b.dense('logits', numClasses, 'linear')
  return { arch: 'resnet-9', nodes: b.nodes, output: 'logits', inputShape, numClasses }
}
