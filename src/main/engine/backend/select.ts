import * as tf from '@tensorflow/tfjs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { registerDepthwiseGradients } from './depthwise-kernels'
import { registerHeapKernels } from './heap-kernels'
import { installNativeKernels, setNativeKernels } from './native-kernels'
import { loadOneDnn } from './onednn-addon'
import { registerWasmGradientKernels } from './wasm-kernels'

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'native' | 'wasm' | 'cpu'
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu']

export interface BackendInfo {
  name: BackendName
  tfjsVersion: string
  /** Why faster backends were skipped, for the run record. */
  skipped: string[]
}

const requireHere = createRequire(__filename)

function tryRequire(backend: BackendName, id: string): string | null {
  try {
    requireHere(id)
    return null
  } catch (err) {
    return `${backend}: ${(err as Error).message.split('\n')[0]}`
  }
}

async function startWasm(): Promise<string | null> {
  try {
    const wasm = requireHere('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')
    const distDir = dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm'))
    wasm.setWasmPaths(distDir.endsWith('/') ? distDir : join(distDir, '/'))
    registerWasmGradientKernels()
    registerDepthwiseGradients()
    registerHeapKernels()
    return (await tf.setBackend('wasm')) ? null : 'wasm: setBackend failed'
  } catch (err) {
    return `wasm: ${(err as Error).message}`
  }
}

async function tryBackend(name: BackendName): Promise<string | null> {
  if (name === 'tensorflow-gpu' || name === 'tensorflow') {
    // The native packages register the 'tensorflow' backend as a side effect of being required.
    const failure = tryRequire(name, name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node')
    if (failure) return failure
    return (await tf.setBackend('tensorflow')) ? null : `${name}: setBackend failed`
  }
  if (name === 'native') {
    // The wasm backend's tensors with oneDNN kernels in front of its hot ones.
    const oneDnn = loadOneDnn()
    if (typeof oneDnn === 'string') return oneDnn
    const failure = await startWasm()
    if (failure) return failure
    installNativeKernels(oneDnn)
    setNativeKernels(true)
    return null
  }
  if (name === 'wasm') {
    const failure = await startWasm()
    if (!failure) setNativeKernels(false)
    return failure
  }
  return (await tf.setBackend('cpu')) ? null : 'cpu: setBackend failed'
}

let selected: BackendInfo | null = null

/**
 * Picks the fastest backend that loads here: TensorFlow on GPU, TensorFlow on CPU, our oneDNN kernels
 * over wasm, wasm, then pure JS.
 * `preferred` (or UNLEARN_BACKEND) forces one; it still falls back rather than failing.
 */
export async function selectBackend(preferred?: BackendName): Promise<BackendInfo> {
  if (selected && (!preferred || preferred === selected.name)) return selected
  const wanted = preferred ?? (process.env.UNLEARN_BACKEND as BackendName | undefined)
  const order = wanted && BACKEND_ORDER.includes(wanted) ? [wanted, ...BACKEND_ORDER.filter((b) => b !== wanted)] : BACKEND_ORDER
  const skipped: string[] = []
  for (const name of order) {
    const failure = await tryBackend(name)
    if (!failure) {
      await tf.ready()
      selected = { name, tfjsVersion: tf.version.tfjs, skipped }
      return selected
    }
    skipped.push(failure)
  }
  throw new Error(`No TensorFlow.js backend could start: ${skipped.join('; ')}`)
}
