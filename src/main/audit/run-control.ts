/**
 * Who may stop what: the audits executing in this process, and their runs in flight. A cancel ends
 * runs for good; a pause stops them so that a resume runs them again; a held run waits in the
 * queue while the rest of its audit goes on.
 */
export class RunControl {
  private readonly audits = new Map<string, AbortController>()
  /** Audits stopped by a pause rather than a cancel: their unfinished runs stay queued. */
  private readonly pausing = new Set<string>()
  private readonly runs = new Map<string, AbortController>()
  /** Runs paused one by one: they stay queued and this pass of the queue passes them by. */
  private readonly held = new Set<string>()

  /** Marks an audit as executing; its signal aborts on a cancel or a pause. */
  beginAudit(taskId: string): AbortSignal {
    const controller = new AbortController()
    this.audits.set(taskId, controller)
    return controller.signal
  }

  endAudit(taskId: string): void {
    this.audits.delete(taskId)
    this.pausing.delete(taskId)
  }

  isActive(taskId: string): boolean {
    return this.audits.has(taskId)
  }

  cancelAudit(taskId: string): boolean {
    const controller = this.audits.get(taskId)
    controller?.abort()
    return controller !== undefined
  }

  pauseAudit(taskId: string): boolean {
    const controller = this.audits.get(taskId)
    if (!controller) return false
    this.pausing.add(taskId)
    controller.abort()
    return true
  }

  isPausing(taskId: string): boolean {
    return this.pausing.has(taskId)
  }

  /**
   * A run's own signal, so that one run can be cancelled; a cancel or pause of its audit reaches
   * it too. Call `end` when the run is over.
   */
  beginRun(runId: string, auditSignal: AbortSignal): { signal: AbortSignal; end: () => void } {
    const controller = new AbortController()
    const onAuditAbort = () => controller.abort()
    auditSignal.addEventListener('abort', onAuditAbort, { once: true })
    if (auditSignal.aborted) controller.abort()
    this.runs.set(runId, controller)
    return {
      signal: controller.signal,
      end: () => {
        auditSignal.removeEventListener('abort', onAuditAbort)
        this.runs.delete(runId)
      }
    }
  }

  isRunning(runId: string): boolean {
    return this.runs.has(runId)
  }

  /** Stops a run in flight; false when it is not running here. */
  stopRun(runId: string): boolean {
    const controller = this.runs.get(runId)
    controller?.abort()
    return controller !== undefined
  }

  /** Holds a run back (and stops it if it is in flight). */
  holdRun(runId: string): void {
    this.held.add(runId)
    this.runs.get(runId)?.abort()
  }

  isHeld(runId: string): boolean {
    return this.held.has(runId)
  }

  /** A resume runs held runs again. */
  releaseRuns(runIds: Iterable<string>): void {
    for (const id of runIds) this.held.delete(id)
  }
}
