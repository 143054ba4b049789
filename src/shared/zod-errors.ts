import type { z } from 'zod'

type Issue = z.core.$ZodIssue

/**
 * Of a union's branches, the one the input came closest to: the branch whose problems lie deepest
 * (it accepted the outer shape), then the one with the fewest. `{ arch: "x" }` is reported against
 * the `arch` branch, not as a bare "invalid input".
 */
function closestBranch(branches: Issue[][]): Issue[] {
  const depth = (issues: Issue[]) => Math.max(0, ...issues.map((i) => i.path.length))
  return [...branches].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0] ?? []
}

function flatten(issues: readonly Issue[], prefix: PropertyKey[]): Array<{ path: PropertyKey[]; message: string }> {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path]
    if (issue.code === 'invalid_union' && issue.errors.length > 0) return flatten(closestBranch(issue.errors), path)
    return [{ path, message: issue.message }]
  })
}

/** One line per problem, each naming the field as a path, e.g. `train.learningRate: …`. */
export function describeZodError(error: z.ZodError, root = ''): string {
  return flatten(error.issues as Issue[], [])
    .map(({ path: keys, message }) => {
      const path = keys.reduce<string>(
        (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
        root
      )
      return `${path || '(root)'}: ${message}`
    })
    .join('; ')
}
