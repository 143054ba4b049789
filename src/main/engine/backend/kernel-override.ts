import * as tf from '@tensorflow/tfjs'

export type KernelArgs = Parameters<tf.KernelFunc>[0]

/**
 * Puts `fast` in front of the wasm backend's own kernel `name`: `fast` returns null to hand a call
 * it does not cover back to the original. Does nothing where the backend has no such kernel.
 */
export function overrideWasmKernel(name: string, fast: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[] | null): void {
  const original = tf.getKernel(name, 'wasm')
  if (!original) return
  tf.unregisterKernel(name, 'wasm')
  tf.registerKernel({ ...original, kernelFunc: (args) => fast(args) ?? original.kernelFunc(args) })
}
