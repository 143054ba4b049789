import type { MethodId } from '../../../shared/methods'
import type { UnlearningMethod } from './context'
import { badTeacher } from './bad-teacher'
import { del } from './del'
import { finetune } from './finetune'
import { cfK, euK } from './last-layers'
import { mnemonic } from './mnemonic'
import { potion } from './potion'
import { removalMethod } from './removal'
import { rem } from './rem/rem'
import { retrain } from './retrain'
import { salun } from './salun'
import { scrub } from './scrub'
import { l1Sparse, negGradPlus, randomLabel } from './simple-baselines'
import { ssd } from './ssd'
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
  'random-label': randomLabel,
  scrub,
  'bad-teacher': badTeacher,
  ssd,
  salun,
  'cf-k': cfK,
  'eu-k': euK
}
