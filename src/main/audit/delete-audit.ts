import { ApiError } from '@shared/api/contract'
import type { Services } from '../services'

/** Deletes an audit that is not running. (Being built: see the helper's task.) */
export function deleteAudit(s: Services, taskId: string): boolean {
  if (!s.store.tasks.get(taskId)) throw new ApiError('NOT_FOUND', `No audit with id ${taskId}`)
  throw new ApiError('CONFLICT', 'Deleting audits is not built yet')
}
