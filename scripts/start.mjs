// `npm start`: build and open the desktop app. Electron downloads its binary on first use; where
// that is impossible (an offline machine), say so in one line and point to the browser mode.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const electronDir = join(root, 'node_modules', 'electron')
const pathFile = join(electronDir, 'path.txt')
const binary = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null

if (!binary || !existsSync(binary)) {
  console.error(
    'npm start: the Electron binary is not installed on this machine (it cannot be downloaded offline); run `npm run serve` to use the app in a browser.'
  )
  process.exit(1)
}
const result = spawnSync('npx', ['electron-vite', 'preview'], { cwd: root, stdio: 'inherit' })
process.exit(result.status ?? 1)
