import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { METHOD_CATALOG, METHOD_IDS } from '@shared/methods'
import { METHOD_NOTES } from '@shared/method-notes'
import { methodTableMarkdown, settingDefaults } from '@shared/method-table'
import { withMethodTable } from '../../scripts/readme-methods'

describe('method documentation', () => {
  it("reads every default from the catalog's schemas", () => {
    expect(settingDefaults('del')).toContain(`budget = ${METHOD_CATALOG.del.params.parse({}).budget}`)
    expect(settingDefaults('retrain')).toEqual(["epochs = the task's train.epochs", "learningRate = the task's train.learningRate"])
    expect(methodTableMarkdown()).toContain('`lambda1 = 0.001`')
  })

  it('says for every method which rule its defaults follow, and puts what did not reproduce here beside it', () => {
    for (const id of METHOD_IDS) expect(METHOD_NOTES[id].defaults.length, id).toBeGreaterThan(20)
    const table = methodTableMarkdown()
    for (const id of METHOD_IDS) expect(table).toContain(`- \`${id}\`: ${METHOD_NOTES[id].defaults}`)
    expect(table).toContain(`**Measured here:** ${METHOD_NOTES.mnemonic.measuredHere}`)
  })

  it('is in the README as the catalog gives it (npm run docs:methods rewrites it)', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
    expect(withMethodTable(readme)).toBe(readme)
  })
})
