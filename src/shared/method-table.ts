import { z } from 'zod'
import { METHOD_NOTES } from './method-notes'
import { formatNumber, METHOD_CATALOG, METHOD_IDS, type MethodId, scaledFromTrain } from './methods'

/** A setting's value as documentation prints it: numbers without float noise, strings and lists as JSON. */
function shown(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value)
  return JSON.stringify(value)
}

/** Each setting of a method with its default, read from the schema: `name = default`, or where it comes from. */
export function settingDefaults(id: MethodId): string[] {
  const entry = METHOD_CATALOG[id]
  const schema = entry.params as z.ZodObject
  const defaults = schema.parse({}) as Record<string, unknown>
  const inherited: readonly string[] = entry.inheritsFromTrain
  const scaled = scaledFromTrain(id)
  return Object.keys(schema.shape).map((key) => {
    if (key in defaults) return `${key} = ${shown(defaults[key])}`
    if (key in scaled) return `${key} = ${shown(scaled[key])} × the task's train.${key}`
    return inherited.includes(key) ? `${key} = the task's train.${key}` : `${key} (optional)`
  })
}

/** The fixed parts of how a method trains (its recipe), `name = value`; empty when it has none. */
export function recipeValues(id: MethodId): string[] {
  const entry = METHOD_CATALOG[id]
  const recipe: Record<string, unknown> = 'recipe' in entry ? entry.recipe : {}
  return Object.entries(recipe).map(([k, v]) => `${k} = ${shown(v)}`)
}

/**
 * The methods as a Markdown table, every number read from the catalog: the README carries this
 * table between markers, and a test fails when the two differ, so the documentation cannot drift.
 */
export function methodTableMarkdown(): string {
  const cell = (s: string) => s.replaceAll('|', '\\|')
  const rows = METHOD_IDS.map((id) => {
    const e = METHOD_CATALOG[id]
    const settings =
      settingDefaults(id)
        .map((s) => `\`${s}\``)
        .join(', ') || '—'
    const recipe =
      recipeValues(id)
        .map((s) => `\`${s}\``)
        .join(', ') || '—'
    return `| \`${id}\` | ${cell(e.label)} | ${cell(e.needs)} | ${cell(settings)} | ${cell(recipe)} |`
  })
  const notes = METHOD_IDS.map((id) => {
    const n = METHOD_NOTES[id]
    return `- \`${id}\`: ${n.defaults}${n.measuredHere ? ` **Measured here:** ${n.measuredHere}` : ''}`
  })
  return [
    '| id | method | needs | settings (defaults) | fixed recipe |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'Where each default comes from, and what did not reproduce on the models this app trains:',
    '',
    ...notes
  ].join('\n')
}
