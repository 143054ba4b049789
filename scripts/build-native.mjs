// Runs at `npm install` (and `npm rebuild`): builds the oneDNN addon in native/onednn when oneDNN is
// installed. Without it the install still succeeds, the engine runs on wasm, and one line says how to
// get native speed. The addon uses N-API only, so Node headers of any version build it; the pinned Node
// package ships them, so nothing is downloaded.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const addonDir = join(root, 'native', 'onednn')
const hint = 'for native speed install oneDNN (`sudo apt-get install libdnnl-dev`), then run `npm rebuild`'

const includeDirs = ['/usr/include', '/usr/local/include', ...(process.env.CPATH ?? '').split(':').filter(Boolean)]
if (!includeDirs.some((dir) => existsSync(join(dir, 'oneapi', 'dnnl', 'dnnl.hpp')))) {
  console.error(`unlearning-audit: oneDNN not found, so the engine will run on wasm; ${hint}.`)
  process.exit(0)
}

/** Node headers already on this machine: the user's npm setting, the pinned Node package's, or the running Node's. */
function nodeDir() {
  const candidates = [
    process.env.npm_config_nodedir,
    join(root, 'node_modules', 'node', 'node_modules', `node-${process.platform}-${process.arch}`),
    dirname(dirname(process.execPath))
  ]
  return candidates.find((dir) => dir && existsSync(join(dir, 'include', 'node', 'node_api.h')))
}

const gyp = process.env.npm_config_node_gyp ?? join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
const dir = nodeDir()
const started = Date.now()
const result = spawnSync(process.execPath, [gyp, 'rebuild', ...(dir ? [`--nodedir=${dir}`] : [])], { cwd: addonDir, encoding: 'utf8' })
if (result.status === 0) {
  console.error(`unlearning-audit: built the native engine (oneDNN) in ${((Date.now() - started) / 1000).toFixed(0)} s.`)
} else {
  const why = `${result.stderr ?? ''}${result.error?.message ?? ''}`
    .split('\n')
    .filter((l) => /error/i.test(l))
    .slice(0, 3)
    .join(' | ')
  console.error(
    `unlearning-audit: the native engine did not build (${why || `node-gyp exited with ${result.status}`}), so the engine will run on wasm; ${hint}.`
  )
}
