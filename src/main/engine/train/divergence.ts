/**
 * A run whose objective became NaN or infinite. It ends that run as `failed` with what was
 * measured so far, and never the batch it belongs to.
 */
export class DivergenceError extends Error {
  override name = 'DivergenceError'
  constructor(
    message: string,
    /** Optimiser steps taken when it was detected, if the loop knows. */
    readonly step: number | null = null
  ) {
    super(message)
  }
}
