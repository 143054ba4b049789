// `npm run dist`: copies the shared libraries the oneDNN addon links (libdnnl and what it needs beyond
// the C and C++ runtimes every Linux desktop has) next to it, in native/onednn/lib, where the addon's
// rpath ($ORIGIN/../../lib, an old-style DT_RPATH so that libdnnl's own dependencies are looked up
// there too) finds them in the packaged app. Without the addon there is nothing to bundle
// and the packaged app runs on wasm.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const addon = join(root, 'native', 'onednn', 'build', 'Release', 'onednn_kernels.node')
const libDir = join(root, 'native', 'onednn', 'lib')
const SYSTEM = /^(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|ld-linux[-\w]*)\.so/

rmSync(libDir, { recursive: true, force: true })
if (!existsSync(addon)) {
  console.error('bundle-native-libs: no oneDNN addon built; the package will run on wasm')
  process.exit(0)
}
mkdirSync(libDir, { recursive: true })
const linked = execFileSync('ldd', [addon], { encoding: 'utf8' })
for (const [, name, path] of linked.matchAll(/^\s*(\S+) => (\/\S+)/gm)) {
  if (SYSTEM.test(name)) continue
  copyFileSync(path, join(libDir, basename(name)))
  console.error(`bundle-native-libs: ${name} from ${path}`)
}
