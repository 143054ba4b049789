import { z } from 'zod'
import { isMethodId, METHOD_IDS } from './methods'
import { cellSpec, expandCells, plannedRunCount } from './sweep'
import { checkSpecAgainstDataset, methodRefusal, parseTaskSpec, SpecError, TaskSpecSchema, type TaskSpecInput } from './task-spec'
import { describeZodError } from './zod-errors'

/**
 * Checks a spec as it is being written, field by field, with the words the server would use: each
 * problem's `${path}: ${message}` is the line `parseTaskSpec` (and so the API's router) gives for it.
 * Pure: the new-audit form calls it on every edit.
 */

/** One problem with a spec: the field, named as the spec names it (`train.epochs`, `seeds[0]`), and what is wrong. */
export interface SpecProblem {
  path: string
  message: string
}

/** What the dataset-dependent checks need (from the catalog): without it, those checks are skipped. */
export interface DatasetLimits {
  numClasses: number
  trainSize: number
  testSize: number
}

type Issue = z.core.$ZodIssue

/** The problem as one line, exactly as the server reports it. */
export const problemText = (p: SpecProblem): string => `${p.path}: ${p.message}`

/** A path written the way `describeZodError` writes it: `a.b[0].c`, `(root)` for none. */
function pathText(keys: readonly PropertyKey[]): string {
  const path = keys.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    ''
  )
  return path || '(root)'
}

/** A union's issues, reduced as `describeZodError` reduces them: to the branch the input came closest to. */
function closestBranch(branches: Issue[][]): Issue[] {
  const depth = (issues: Issue[]) => Math.max(0, ...issues.map((i) => i.path.length))
  return [...branches].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0] ?? []
}

function leafIssues(issues: readonly Issue[], prefix: PropertyKey[]): Issue[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path]
    if (issue.code === 'invalid_union' && issue.errors.length > 0) return leafIssues(closestBranch(issue.errors), path)
    return [{ ...issue, path } as Issue]
  })
}

/** Splits `path: message` (a SpecError's line) into a problem. */
function fromLine(line: string): SpecProblem {
  const at = line.indexOf(': ')
  return at > 0 ? { path: line.slice(0, at), message: line.slice(at + 2) } : { path: '(root)', message: line }
}

/** The most runs one audit may hold (the audit service refuses more). */
export const MAX_PLANNED_RUNS = 5000

/**
 * Every problem of a spec: first the schema's (all of them, one per field), then, once the shape is
 * right, the method checks (each refused method), then the rest of `parseTaskSpec`'s checks and, when
 * the dataset's sizes are given, the checks the audit service makes against the dataset.
 */
export function specProblems(spec: TaskSpecInput, dataset?: DatasetLimits): SpecProblem[] {
  const parsed = TaskSpecSchema.safeParse(spec)
  if (!parsed.success) {
    return leafIssues(parsed.error.issues as Issue[], []).map((issue) => {
      // Each leaf through describeZodError itself: the same words as the server's, by construction.
      const line = describeZodError(new z.ZodError([issue]))
      const path = pathText(issue.path)
      return { path, message: line.startsWith(`${path}: `) ? line.slice(path.length + 2) : line }
    })
  }
  const methodProblems = parsed.data.methods.flatMap((entry, i): SpecProblem[] => {
    const id = typeof entry === 'string' ? entry : entry.id
    if (!isMethodId(id)) return [{ path: `methods[${i}]`, message: `unknown method "${id}" (known: ${METHOD_IDS.join(', ')})` }]
    const refusal = methodRefusal(id, parsed.data)
    return refusal ? [{ path: `methods[${i}]`, message: refusal }] : []
  })
  if (methodProblems.length) return methodProblems
  try {
    const resolved = parseTaskSpec(spec)
    if (dataset) for (const cell of expandCells(resolved)) checkSpecAgainstDataset(cellSpec(resolved, cell), dataset)
    const total = plannedRunCount(resolved)
    if (total > MAX_PLANNED_RUNS)
      return [{ path: 'sweep', message: `${total} runs planned, more than the ${MAX_PLANNED_RUNS} one audit may hold; shorten a list` }]
    return []
  } catch (err) {
    if (err instanceof SpecError) return err.message.split('; ').map(fromLine)
    throw err
  }
}

/** Whether a problem belongs to the field at `prefix`: the field itself or anything inside it. */
export function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)
}

/** The problems of one field (and of anything inside it). */
export const problemsUnder = (problems: readonly SpecProblem[], prefix: string): SpecProblem[] =>
  problems.filter((p) => isUnder(p.path, prefix))
