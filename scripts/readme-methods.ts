import { methodTableMarkdown } from '@shared/method-table'

export const README_METHODS_START = '<!-- methods:start (npm run docs:methods writes this table) -->'
export const README_METHODS_END = '<!-- methods:end -->'

/** The README with its method table replaced by the one the catalog gives. */
export function withMethodTable(readme: string): string {
  const start = readme.indexOf(README_METHODS_START)
  const end = readme.indexOf(README_METHODS_END)
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_METHODS_START} … ${README_METHODS_END} section`)
  return `${readme.slice(0, start + README_METHODS_START.length)}\n${methodTableMarkdown()}\n${readme.slice(end)}`
}
