import { ApiError } from '@shared/api/contract'
import type { Services } from '../services'

/**
 * Deletes an audit that is not running: its runs, their metrics and its index lists go; the models
 * its runs trained stay in the library, and the audit log records the deletion (what `verify` reads
 * to tell these runs from rows removed behind the app's back). An audit executing here, or with a
 * run still being written (by another process, such as the command line), is refused.
 */
export function deleteAudit(s: Services, taskId: string): boolean {
  const task = s.store.tasks.get(taskId)
  if (!task) throw new ApiError('NOT_FOUND', `No audit with id ${taskId}`)
  const refusal = `The audit "${task.name}" is running; cancel or pause it first, then delete it`
  if (s.audits.isActive(taskId)) throw new ApiError('CONFLICT', refusal)
  const result = s.store.tasks.delete(taskId)
  if (result.deleted) return true
  if (result.reason === 'missing') throw new ApiError('NOT_FOUND', `No audit with id ${taskId}`)
  throw new ApiError('CONFLICT', refusal)
}
