import { type Block, cellLabel, mono, note, runName, sectionHeader, table } from '../blocks'
import type { ReportInput } from '../report-input'

/** The original and every unlearned model: sha256, architecture and parameter count. */
export function modelsSection(input: ReportInput): Block[] {
  const byHash = new Map(input.models.map((m) => [m.sha256, m]))
  const architectures = new Map<string, { arch: string; layers: string; parameters: number; count: number }>()
  for (const m of input.models) {
    const key = `${m.arch}|${m.layers ?? ''}|${m.parameterCount}`
    const seen = architectures.get(key)
    if (seen) seen.count++
    else architectures.set(key, { arch: m.arch, layers: m.layers ?? 'files not in this copy', parameters: m.parameterCount, count: 1 })
  }
  const params = (sha: string | null) => (sha && byHash.has(sha) ? byHash.get(sha)!.parameterCount.toLocaleString('en-US') : '—')
  const inputs = [...new Set(input.runs.map((r) => r.inputModelSha256).filter((s): s is string => s !== null))]
  return [
    sectionHeader('Models'),
    table(
      ['Architecture', 'Layers', 'Parameters', 'Models'],
      [...architectures.values()].map((a) => [a.arch, a.layers, a.parameters.toLocaleString('en-US'), String(a.count)]),
      [70, '*', 60, 40]
    ),
    note('A method that adds channels while it unlearns (REM) drops them again, so its output has the original architecture.'),
    ...(inputs.length
      ? [
          table(
            ['Models the methods started from', 'Parameters'],
            inputs.map((sha) => [mono(sha), params(sha)]),
            ['*', 60],
            { margin: [0, 6, 0, 0] }
          )
        ]
      : []),
    table(
      ['Method', 'Seed', 'Cell', 'Output model sha256'],
      input.runs.map((r) => [runName(r), String(r.seed), cellLabel(r.cellKey), mono(r.outputModelSha256 ?? `— (${r.status})`)]),
      [72, 26, 80, '*'],
      { margin: [0, 8, 0, 0] }
    )
  ]
}
