/** Seeded randomness: every split, shuffle and initial value derives from the task's seed. */

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

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
