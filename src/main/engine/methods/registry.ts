import type { MethodId } from '../../../shared/methods'
import type { UnlearningMethod } from './context'
import { del } from './del'
import { finetune } from './finetune'
import { mnemonic } from './mnemonic'
import { potion } from './potion'
import { removalMethod } from './removal'
import { rem } from './rem/rem'
import { retrain } from './retrain'
import { l1Sparse, negGradPlus, randomLabel } from './simple-baselines'
import { unsir } from './unsir'

export const METHODS: Record<MethodId, UnlearningMethod> = {
  retrain,
  finetune,
  rem,
  npo: removalMethod('npo'),
  'gradient-ascent': removalMethod('gradient-ascent'),
  potion,
  del,
  unsir,
  mnemonic,
  'neggrad-plus': negGradPlus,
  'l1-sparse': l1Sparse,
  'random-label': randomLabel
}
