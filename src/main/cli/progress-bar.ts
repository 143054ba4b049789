import type { ProgressEvent } from '@shared/api/contract'
import { formatDuration } from '@shared/format'

/** Whole-audit progress on one terminal line: a bar, the share done, each job in flight, and an ETA. */

export function progressLine(auditFraction: number, jobs: ProgressEvent[], elapsedSeconds: number, width: number): string {
  const f = Math.min(Math.max(auditFraction, 0), 1)
  const barWidth = 24
  const filled = Math.round(f * barWidth)
  const eta = f > 0.01 ? ` · ETA ${formatDuration((elapsedSeconds * (1 - f)) / f)}` : ''
  const inFlight = jobs.map((j) => `${j.method}/${j.seed} ${j.phase} ${Math.round(j.fraction * 100)}%`).join(', ')
  const line = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${(f * 100).toFixed(0).padStart(3)}%${eta}${inFlight ? ` · ${inFlight}` : ''}`
  return line.length > width ? `${line.slice(0, Math.max(width - 1, 0))}…` : line
}

/**
 * Draws the line in place on a terminal; elsewhere (a log file, CI) writes a plain line every
 * few seconds instead, since carriage returns would pile up there.
 */
export class TerminalProgress {
  private readonly jobs = new Map<string, ProgressEvent>()
  private readonly startedAt = Date.now()
  private lastWrite = 0
  private drawn = false

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(p: ProgressEvent): void {
    this.jobs.set(p.runId, p)
    const now = Date.now()
    if (now - this.lastWrite < (this.out.isTTY ? 200 : 5000)) return
    this.lastWrite = now
    const line = progressLine(p.auditFraction, [...this.jobs.values()], (now - this.startedAt) / 1000, this.out.columns ?? 120)
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}`)
      this.drawn = true
    } else this.out.write(`${line}\n`)
  }

  /** A run ended: drop it from the line and print the ending on its own line above it. */
  ended(runId: string, message: string): void {
    this.jobs.delete(runId)
    this.clear()
    this.out.write(`${message}\n`)
  }

  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K')
    this.drawn = false
  }
}
