/** Seeded randomness: every split, shuffle and initial value derives from the task's seed. */

export { createRng } from '@shared/random'

/** A stable 31-bit seed from a base seed and a label (FNV-1a over the label). */
export function hashSeed(seed: number, label: string): number {
  let h = (2166136261 ^ (seed >>> 0)) >>> 0
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i)
    h = Math.imul(h, 16777619) >>> 0
  }
  return h & 0x7fffffff
}

/** Fisher-Yates shuffle of a copy. */
export function shuffled<T>(items: ArrayLike<T>, rng: () => number): T[] {
  const out = Array.from(items)
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}
