import { spawn } from 'node:child_process'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')

/**
 * Runs `npm run audit -- …`'s entry directly with tsx, as the user's command would. With
 * `killWhen`, the command and its engine process are killed (SIGKILL, as a crash) as soon as
 * its stderr satisfies the predicate.
 */
export function runAuditCli(
  args: string[],
  env: Record<string, string> = {},
  killWhen?: (stderr: string) => boolean
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main/cli/audit.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a simulated crash takes the engine child down with it.
      detached: killWhen !== undefined
    })
    let stdout = ''
    let stderr = ''
    let killed = false
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => {
      stderr += d
      if (!killed && killWhen?.(stderr)) {
        killed = true
        process.kill(-child.pid!, 'SIGKILL')
      }
    })
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}
