import type { MethodId } from '@shared/methods'
import type { MethodContext, MethodOutcome } from './context'
import type { DefinedMethod } from './define'
import { badTeacher } from './bad-teacher'
import { del } from './del'
import { finetune } from './finetune'
import { cfK, euK } from './last-layers'
import { mnemonic } from './mnemonic'
import { potion } from './potion'
import { gradientAscent, npo } from './removal'
import { rem } from './rem/rem'
import { retrain } from './retrain'
import { salun } from './salun'
import { scrub } from './scrub'
import { l1Sparse, negGradPlus, randomLabel } from './simple-baselines'
import { ssd } from './ssd'
import { unsir } from './unsir'

/** Every method by its catalog id; each entry is declared under the same id (the type checks it). */
export const METHODS: { [M in MethodId]: DefinedMethod<M> } = {
  retrain,
  finetune,
  rem,
  npo,
  'gradient-ascent': gradientAscent,
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

/**
 * Runs method `id` on `ctx`. `rawParams` (task-inherited settings already filled in) are parsed by
 * the method's catalog schema first; an invalid setting throws an Error naming the method and it.
 */
export function runMethod(id: MethodId, rawParams: Record<string, unknown>, ctx: Omit<MethodContext, 'params'>): Promise<MethodOutcome> {
  return METHODS[id]({ ...ctx, params: rawParams })
}
