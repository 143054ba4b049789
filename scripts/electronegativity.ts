import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findAppRoot } from '@main/paths'

/**
 * `npm run lint:electron`: runs @doyensec/electronegativity over src/ and fails on any finding that
 * security/electronegativity-accepted.json does not justify, or on a justification that no longer
 * matches a finding (so the list cannot go stale). The tool tries to fetch Electron's release list
 * and its translations; offline it says so and goes on with the Electron version given here.
 */

interface Accepted {
  check: string
  file: string
  why: string
}

interface SarifResult {
  ruleId: string
  message?: { text?: string }
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region?: { startLine?: number } } }>
}

const root = findAppRoot(__dirname)
const electronVersion = (JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string })
  .version
const accepted = (JSON.parse(readFileSync(join(root, 'security', 'electronegativity-accepted.json'), 'utf8')) as { accepted: Accepted[] })
  .accepted
const out = mkdtempSync(join(tmpdir(), 'electronegativity-'))
try {
  const report = join(out, 'findings.sarif')
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js'),
      '-i',
      join(root, 'src'),
      '-r',
      '-e',
      electronVersion,
      '-o',
      report
    ],
    { stdio: 'ignore' }
  )
  const results = (JSON.parse(readFileSync(report, 'utf8')) as { runs: Array<{ results: SarifResult[] }> }).runs.flatMap((r) => r.results)
  const findings = results.map((r) => ({
    check: r.ruleId,
    file: r.locations[0]?.physicalLocation.artifactLocation.uri ?? '?',
    line: r.locations[0]?.physicalLocation.region?.startLine ?? 0,
    text: r.message?.text ?? ''
  }))
  const justification = (f: { check: string; file: string }) => accepted.find((a) => a.check === f.check && a.file === f.file)
  const unjustified = findings.filter((f) => !justification(f))
  const stale = accepted.filter((a) => !findings.some((f) => f.check === a.check && f.file === a.file))
  process.stdout.write(
    `electronegativity (Electron ${electronVersion}): ${findings.length} finding(s), ${findings.length - unjustified.length} justified in security/electronegativity-accepted.json\n`
  )
  for (const f of findings)
    process.stdout.write(`  ${justification(f) ? 'justified' : 'NEW      '} ${f.check} ${f.file}:${f.line}: ${f.text}\n`)
  for (const a of stale) process.stdout.write(`  STALE     ${a.check} ${a.file}: no longer found; remove it from the list\n`)
  if (unjustified.length || stale.length) process.exitCode = 1
} finally {
  rmSync(out, { recursive: true, force: true })
}
