/** Thrown when the user cancels a job; the host records the run as cancelled, not failed. */
export class CancelledError extends Error {
  override name = 'CancelledError'
  constructor() {
    super('Cancelled by the user')
  }
}

export interface CancelToken {
  readonly cancelled: boolean
}

export function throwIfCancelled(token: CancelToken | undefined): void {
  if (token?.cancelled) throw new CancelledError()
}

/** Lets pending messages (a cancel request) be handled between training steps. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
