import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(__dirname, '..', '..')
const config = JSON.parse(readFileSync(join(ROOT, 'electron-builder.json'), 'utf8'))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))

/** Whether a path of the repository is matched by one of electron-builder's simple globs (`**`, `*`). */
function matches(path: string, globs: string[]): boolean {
  const toRegExp = (glob: string) =>
    glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '\u0001')
      .replace(/\*\*/g, '\u0002')
      .replace(/\*/g, '[^/]*')
      .replace(/\u0001/g, '(?:.*/)?')
      .replace(/\u0002/g, '.*')
  return globs.some((g) => new RegExp(`^${toRegExp(g)}$`).test(path))
}

// The package itself cannot be built here (electron-builder fetches Electron from GitHub); on this
// machine `electron-builder --linux dir` validates this config against its schema, then stops there.
describe('packaging (electron-builder.json)', () => {
  it('flips the fuses the security checklist asks for', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false
    })
  })

  it('builds an AppImage and a deb, in an asar, with the native and wasm modules unpacked', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.asar).toBe(true)
    for (const file of [
      'node_modules/better-sqlite3/prebuilds/linux-x64.node',
      'node_modules/better-sqlite3/lib/database.js',
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      // onnxruntime's binding loads its shared library from beside it: both must be real files.
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1'
    ]) {
      expect(existsSync(join(ROOT, file)), file).toBe(true)
      expect(matches(file, config.asarUnpack), file).toBe(true)
    }
    expect(matches('node_modules/vue/index.js', config.asarUnpack)).toBe(false)
  })

  it('ships the built app and the built-in dataset where the main process looks for them', () => {
    expect(config.files).toContain('out/**')
    // src/main/index.ts reads process.resourcesPath/resources when packaged.
    expect(config.extraResources).toContainEqual(expect.objectContaining({ from: 'resources', to: 'resources' }))
    expect(existsSync(join(ROOT, 'resources', 'datasets'))).toBe(true)
    expect(pkg.main).toBe('./out/main/index.js')
    expect(pkg.scripts.dist).toMatch(/^electron-vite build && .*electron-builder --linux$/)
    // Nothing is published from a build: no update server to call.
    expect(config.publish).toBeNull()
  })

  it('ships the oneDNN addon and the libraries it links unpacked, where its rpath finds them', () => {
    const addon = 'native/onednn/build/Release/onednn_kernels.node'
    const library = 'native/onednn/lib/libdnnl.so.2'
    for (const file of [addon, library]) {
      expect(matches(file, config.files), file).toBe(true)
      expect(matches(file, config.asarUnpack), file).toBe(true)
    }
    // `npm run dist` copies libdnnl and what it links into native/onednn/lib before packaging.
    expect(pkg.scripts.dist).toMatch(/node scripts\/bundle-native-libs\.mjs && electron-builder/)
    const gyp = JSON.parse(readFileSync(join(ROOT, 'native', 'onednn', 'binding.gyp'), 'utf8'))
    // An old-style RPATH, which also applies to what libdnnl itself links (libgomp, libOpenCL).
    expect(gyp.targets[0].libraries).toEqual(expect.arrayContaining(["-Wl,-rpath,'$$ORIGIN/../../lib'", '-Wl,--disable-new-dtags']))
    // Built at npm install, where oneDNN is present; the app falls back to wasm where it is not.
    expect(pkg.scripts.install).toBe('node scripts/build-native.mjs')
  })
})
