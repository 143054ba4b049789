// `npm run docs:methods`: writes the README's method table from the catalog (src/shared/method-table.ts).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { README_METHODS_END, README_METHODS_START, withMethodTable } from './readme-methods'

const file = join(import.meta.dirname, '..', 'README.md')
const before = readFileSync(file, 'utf8')
const after = withMethodTable(before)
if (after === before) console.log(`README.md: the method table between ${README_METHODS_START} and ${README_METHODS_END} is current`)
else {
  writeFileSync(file, after)
  console.log('README.md: method table rewritten from the catalog')
}
