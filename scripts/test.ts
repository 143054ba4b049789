// `npm test`: typecheck, lint, build, then every test, each step timed. It ends with one summary a
// person can read: passed or failed, the test counts, and what each step took. Arguments go to vitest
// (`npm test -- test/e2e` runs only those files, after the same checks).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

interface Step {
  name: string
  command: string
  args: string[]
}

interface VitestCounts {
  numTotalTestSuites: number
  numTotalTests: number
  numPassedTests: number
  numFailedTests: number
  numPendingTests: number
  numTodoTests: number
  testResults: unknown[]
}

const reportDir = mkdtempSync(join(tmpdir(), 'ua-npm-test-'))
const vitestReport = join(reportDir, 'vitest.json')

const steps: Step[] = [
  { name: 'typecheck', command: 'npm', args: ['run', '--silent', 'typecheck'] },
  { name: 'lint', command: 'npm', args: ['run', '--silent', 'lint'] },
  { name: 'build', command: 'npm', args: ['run', '--silent', 'build'] },
  // The json reporter writes the counts for the summary; the default one prints as usual.
  {
    name: 'tests',
    command: 'vitest',
    args: ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestReport}`, ...process.argv.slice(2)]
  }
]

function duration(ms: number): string {
  const s = ms / 1000
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
}

function testCounts(): string {
  try {
    const report = JSON.parse(readFileSync(vitestReport, 'utf8')) as VitestCounts
    const skipped = report.numPendingTests + report.numTodoTests
    return [
      `${report.testResults.length} files`,
      `${report.numPassedTests} of ${report.numTotalTests} tests passed`,
      report.numFailedTests > 0 ? `${report.numFailedTests} failed` : '',
      skipped > 0 ? `${skipped} skipped` : ''
    ]
      .filter(Boolean)
      .join(', ')
  } catch {
    return 'no test report (vitest stopped before writing one)'
  }
}

const started = Date.now()
const timings: Array<{ name: string; ms: number; ok: boolean }> = []
for (const step of steps) {
  const t0 = Date.now()
  // shell: false with the PATH npm gives scripts, so node_modules/.bin (and the pinned Node) is found.
  const result = spawnSync(step.command, step.args, { stdio: 'inherit' })
  const ok = result.status === 0
  timings.push({ name: step.name, ms: Date.now() - t0, ok })
  if (!ok) break
}
const failed = timings.find((t) => !t.ok)
const ranTests = timings.some((t) => t.name === 'tests')

console.log('')
console.log(
  `npm test ${failed ? `FAILED at ${failed.name}` : 'passed'} in ${duration(Date.now() - started)}${ranTests ? `: ${testCounts()}` : ''}`
)
for (const t of timings) console.log(`  ${t.name.padEnd(10)} ${duration(t.ms).padStart(12)}  ${t.ok ? 'ok' : 'failed'}`)
for (const step of steps.slice(timings.length)) console.log(`  ${step.name.padEnd(10)} ${'-'.padStart(12)}  not run`)
rmSync(reportDir, { recursive: true, force: true })
process.exit(failed ? 1 : 0)
