'use strict'
/* eslint-disable @typescript-eslint/no-require-imports -- preloaded with --require, before any ES module loader */
/**
 * Faults for the crash tests, loaded with NODE_OPTIONS=--require into the headless command and,
 * by inheritance, its engine processes. FAULT picks one:
 * - `kill-main-in-write:N`: the command kills itself (SIGKILL) inside its N-th transaction that
 *   records how a run ended: after the run's row and metrics are written, before the commit.
 * - `disk-full-on-save:N`: in the engine, from the N-th model saved on, writing weights.bin
 *   writes half of the bytes and then fails with ENOSPC, as a full disk does.
 */
const [kind, nth] = (process.env.FAULT ?? '').split(':')
const n = Number(nth)
const script = (process.argv[1] ?? '').replaceAll('\\', '/')

if (kind === 'kill-main-in-write' && script.endsWith('cli/audit.ts')) {
  const Database = require(require.resolve('better-sqlite3', { paths: [process.cwd()] }))
  const probe = new Database(':memory:')
  const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'))
  probe.close()
  const run = Statement.run
  let seen = 0
  Statement.run = function runOrDie(...args) {
    // The audit log entry is the last write of the transaction that ends a run.
    if (this.database.inTransaction && this.source.startsWith('INSERT INTO audit_log') && args[2] === 'finished' && ++seen === n) {
      process.kill(process.pid, 'SIGKILL')
    }
    return run.apply(this, args)
  }
}

if (kind === 'disk-full-on-save' && script.endsWith('engine/process/entry.ts')) {
  const fsp = require('node:fs/promises')
  const writeFile = fsp.writeFile
  let saves = 0
  fsp.writeFile = async function writeUntilFull(file, data, ...rest) {
    if (String(file).endsWith('weights.bin') && ++saves >= n) {
      await writeFile(file, data.subarray(0, Math.floor(data.length / 2)))
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), {
        code: 'ENOSPC',
        errno: -28,
        syscall: 'write',
        path: String(file)
      })
    }
    return writeFile.call(this, file, data, ...rest)
  }
  // ES modules that import { writeFile } see the patched function too.
  require('node:module').syncBuiltinESMExports()
}
