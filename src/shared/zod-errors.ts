import type { z } from 'zod'

/** One line per problem, each naming the field as a path, e.g. `train.learningRate: …`. */
export function describeZodError(error: z.ZodError, root = ''): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), root)
      return `${path || '(root)'}: ${issue.message}`
    })
    .join('; ')
}
