import type { MethodId } from '../../../shared/methods'
import type { UnlearningMethod } from './context'
import { finetune } from './finetune'
import { retrain } from './retrain'

export const METHODS: Record<MethodId, UnlearningMethod> = { retrain, finetune }
