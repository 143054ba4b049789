import type { z } from 'zod'
import { METHOD_CATALOG, type MethodId, type MethodParams } from '@shared/methods'
import { describeZodError } from '@shared/zod-errors'
import type { MethodContext, MethodInputs, MethodOutcome, UnlearningMethod } from './context'

/** What a defined method runs with: its settings parsed by its catalog schema and typed by it. */
export interface TypedMethodContext<M extends MethodId> extends MethodInputs {
  params: MethodParams<M>
}

/**
 * A method declared once under its catalog id. Called with raw settings (a MethodContext), it
 * parses them first; `run` takes settings already parsed.
 */
export interface DefinedMethod<M extends MethodId> extends UnlearningMethod {
  readonly id: M
  readonly run: (ctx: TypedMethodContext<M>) => Promise<MethodOutcome>
}

/**
 * The catalog seen per id: each method's schema outputs that method's settings. The catalog is
 * checked against this view where it is assigned, so indexing it by a generic id keeps the type.
 */
const CATALOG_BY_ID: { readonly [M in MethodId]: { readonly params: z.ZodType<MethodParams<M>>; readonly label: string } } = METHOD_CATALOG

/**
 * A method's settings parsed by its catalog schema: defaults filled, unknown or out-of-range
 * settings refused with an error that names the method and the setting.
 */
export function parseMethodParams<M extends MethodId>(id: M, raw: Record<string, unknown>): MethodParams<M> {
  const parsed = CATALOG_BY_ID[id].params.safeParse(raw)
  if (!parsed.success)
    throw new Error(`${CATALOG_BY_ID[id].label} (method "${id}") has an invalid setting: ${describeZodError(parsed.error)}`)
  return parsed.data
}

/** Declares method `id`: `run` receives `ctx.params` parsed by `METHOD_CATALOG[id].params`. */
export function defineMethod<M extends MethodId>(id: M, run: (ctx: TypedMethodContext<M>) => Promise<MethodOutcome>): DefinedMethod<M> {
  const method = async (ctx: MethodContext) => run({ ...ctx, params: parseMethodParams(id, ctx.params) })
  return Object.assign(method, { id, run })
}
