import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createInflateRaw, crc32, deflateRawSync, constants } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importBundle } from '@main/audit/bundle/import-bundle'
import { importDataset } from '@main/library/datasets/import-dataset'
import { ImportError } from '@main/library/model-bundle'
import { importModel } from '@main/library/model-library'
import { useAuditServices } from '../helpers/audit-services'
import { makeTempDir } from '../helpers/tmp'

const services = useAuditServices('archive-caps')
const scratch = makeTempDir('archive-caps-src')
const fixtures = join(__dirname, '..', 'fixtures')
const MiB = 1024 ** 2

/** One entry of a hand-written zip: its deflated pieces and the sizes the headers state, true or not. */
interface ZipEntry {
  name: string
  deflated: Uint8Array[]
  crc: number
  size: number
}

/** Writes a zip a piece at a time, local headers and central directory stating each entry's `size`. */
function writeZip(file: string, entries: ZipEntry[]): string {
  const fd = openSync(file, 'w')
  let at = 0
  const put = (b: Uint8Array) => (at += writeSync(fd, b))
  const central: Buffer[] = []
  for (const e of entries) {
    const name = Buffer.from(e.name)
    const compressed = e.deflated.reduce((n, c) => n + c.length, 0)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(8, 8)
    local.writeUInt32LE(e.crc, 14)
    local.writeUInt32LE(compressed, 18)
    local.writeUInt32LE(e.size, 22)
    local.writeUInt16LE(name.length, 26)
    const cd = Buffer.alloc(46)
    cd.writeUInt32LE(0x02014b50, 0)
    cd.writeUInt16LE(20, 4)
    cd.writeUInt16LE(20, 6)
    cd.writeUInt16LE(8, 10)
    cd.writeUInt32LE(e.crc, 16)
    cd.writeUInt32LE(compressed, 20)
    cd.writeUInt32LE(e.size, 24)
    cd.writeUInt16LE(name.length, 28)
    cd.writeUInt32LE(at, 42)
    central.push(cd, name)
    put(local)
    put(name)
    for (const c of e.deflated) put(c)
  }
  const start = at
  for (const c of central) put(c)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(at - start, 12)
  end.writeUInt32LE(start, 16)
  put(end)
  closeSync(fd)
  return file
}

/** A small file as an entry, stating `size` (its real size unless a case says otherwise). */
const small = (name: string, bytes: Uint8Array, size = bytes.length): ZipEntry => ({
  name,
  deflated: [deflateRawSync(bytes)],
  crc: crc32(bytes),
  size
})

// 3 GiB of spaces, deflated to about 3 MiB without ever being held: one 16 MiB block compressed
// from a fresh state and sync-flushed (self-contained, byte-aligned) repeated 192 times, then an
// empty final block.
const BOMB_BYTES = 3 * 1024 ** 3
let bomb: ZipEntry
beforeAll(() => {
  const block = Buffer.alloc(16 * MiB, 0x20)
  const piece = deflateRawSync(block, { level: 9, finishFlush: constants.Z_SYNC_FLUSH })
  let crc = 0
  for (let i = 0; i < BOMB_BYTES / block.length; i++) crc = crc32(block, crc)
  bomb = {
    name: '',
    deflated: [...Array<Buffer>(BOMB_BYTES / block.length).fill(piece), deflateRawSync(Buffer.alloc(0))],
    crc,
    size: BOMB_BYTES
  }
})

setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void
const statusKiB = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))![1])

/**
 * Runs an import that must be refused; returns the refusal and how far resident memory peaked above
 * where it was just before (MiB). Writing 5 to clear_refs resets the kernel's high-water mark, so the
 * peak is exact even though the import blocks the event loop.
 */
async function refusal(work: () => Promise<unknown>): Promise<{ message: string; peakMiB: number }> {
  // Garbage left by the case before would otherwise make room this one fills without a new peak.
  collectGarbage()
  writeFileSync('/proc/self/clear_refs', '5')
  const base = statusKiB('VmRSS')
  let error: unknown = null
  try {
    await work()
  } catch (err) {
    error = err
  }
  const peakMiB = (statusKiB('VmHWM') - base) / 1024
  expect(error, 'the import was not refused').toBeInstanceOf(ImportError)
  return { message: (error as Error).message, peakMiB }
}

const peaks: string[] = []
afterAll(() => {
  if (peaks.length) process.stdout.write(`archive caps, peak resident memory above baseline:\n  ${peaks.join('\n  ')}\n`)
})
function expectRefused(label: string, got: { message: string; peakMiB: number }, message: string): void {
  expect(got.message).toBe(message)
  expect(got.peakMiB, `${label}: resident memory peaked ${got.peakMiB.toFixed(1)} MiB above its baseline`).toBeLessThan(200)
  peaks.push(`${label}: +${got.peakMiB.toFixed(1)} MiB`)
}

function nothingStored(): void {
  expect(services.store.models.listLibrary()).toEqual([])
  expect(services.store.datasets.listLibrary()).toEqual([])
  expect(services.store.tasks.list()).toEqual([])
  for (const dir of ['models', 'datasets']) {
    const at = join(services.paths.dataDir, dir)
    const left = existsSync(at) ? readdirSync(at, { recursive: true }) : []
    expect(left, `${dir} in the data folder`).toEqual([])
  }
}

describe.runIf(process.platform === 'linux')('archives past their caps', () => {
  it('the bomb is real: 3 GiB of spaces in about 3 MiB, with a matching CRC', async () => {
    expect(bomb.deflated.reduce((n, c) => n + c.length, 0)).toBeLessThan(4 * MiB)
    let bytes = 0
    let crc = 0
    const inflate = createInflateRaw()
    inflate.on('data', (c: Buffer) => {
      bytes += c.length
      crc = crc32(c, crc)
    })
    const ended = new Promise((resolve) => inflate.on('end', resolve))
    for (const c of bomb.deflated) inflate.write(c)
    inflate.end()
    await ended
    expect([bytes, crc]).toEqual([BOMB_BYTES, bomb.crc])
  }, 30_000)

  const models = {
    store: services.store,
    engine: services.engine,
    dataDir: services.paths.dataDir,
    resourcesDir: services.paths.resourcesDir
  }
  const importModelZip = (zip: string) => () => importModel(models, [zip], { datasetId: 'fashion-mnist' })

  it('a model zip: refused by the size its model.json declares, or where its output passes a smaller claim', async () => {
    const honest = writeZip(join(scratch.dir, 'bomb.zip'), [{ ...bomb, name: 'model.json' }])
    expectRefused(
      'model zip, 3 GiB model.json',
      await refusal(importModelZip(honest)),
      'model.json is 3072 MiB, more than the 32 MiB a model file may have here'
    )
    // The headers (local and central) claim 30 MiB, under the cap: inflation stops as it passes them.
    const lying = writeZip(join(scratch.dir, 'lying.zip'), [{ ...bomb, name: 'model.json', size: 30 * MiB }])
    expectRefused(
      'model zip, 3 GiB model.json declared as 30 MiB',
      await refusal(importModelZip(lying)),
      `${lying} is not a readable .zip: model.json inflates past the 31457280 bytes its header declares`
    )
    nothingStored()
  }, 30_000)

  it('a model zip whose headers claim more than it holds: refused for a claim over the cap, unreadable under it', async () => {
    const valid = join(fixtures, 'models', 'valid')
    const json = readFileSync(join(valid, 'model.json'))
    const weights = small('group1-shard1of1.bin', readFileSync(join(valid, 'group1-shard1of1.bin')))
    const huge = writeZip(join(scratch.dir, 'claims-huge.zip'), [small('model.json', json, BOMB_BYTES), weights])
    expectRefused(
      'model zip, small model.json declared as 3 GiB',
      await refusal(importModelZip(huge)),
      'model.json is 3072 MiB, more than the 32 MiB a model file may have here'
    )
    const more = writeZip(join(scratch.dir, 'claims-more.zip'), [small('model.json', json, json.length + 100), weights])
    await expect(importModelZip(more)()).rejects.toThrow(
      `${more} is not a readable .zip: model.json inflates to ${json.length} bytes, not the ${json.length + 100} its header declares`
    )
    nothingStored()
  })

  it('an .npz dataset: refused by the size an array declares, or where its output passes a smaller claim', async () => {
    const deps = { store: services.store, dataDir: services.paths.dataDir }
    const labels = small('y_train.npy', new Uint8Array(0))
    const honest = writeZip(join(scratch.dir, 'bomb.npz'), [{ ...bomb, name: 'x_train.npy' }, labels])
    expectRefused(
      '.npz, 3 GiB x_train.npy',
      await refusal(() => importDataset(deps, [honest])),
      'bomb.npz: the array x_train.npy unpacks to 3.0 GiB, more than the 2.0 GiB one array may have here'
    )
    const lying = writeZip(join(scratch.dir, 'lying.npz'), [{ ...bomb, name: 'x_train.npy', size: 16 * MiB }, labels])
    expectRefused(
      '.npz, 3 GiB x_train.npy declared as 16 MiB',
      await refusal(() => importDataset(deps, [lying])),
      'lying.npz: not a readable .npz archive (x_train.npy inflates past the 16777216 bytes its header declares)'
    )
    nothingStored()
  }, 30_000)

  it('an audit bundle: refused by the size its audit.json declares, or where its output passes a smaller claim', async () => {
    const deps = { store: services.store, ...services.paths }
    const manifest = small('bundle.json', new TextEncoder().encode('{}'))
    const honest = writeZip(join(scratch.dir, 'bomb.audit-bundle.zip'), [manifest, { ...bomb, name: 'audit.json' }])
    expectRefused(
      'bundle, 3 GiB audit.json',
      await refusal(() => importBundle(deps, honest)),
      "audit.json in the bundle is 3072 MiB, more than the 2048 MiB a bundle's file may have here"
    )
    const lying = writeZip(join(scratch.dir, 'lying.audit-bundle.zip'), [manifest, { ...bomb, name: 'audit.json', size: 16 * MiB }])
    expectRefused(
      'bundle, 3 GiB audit.json declared as 16 MiB',
      await refusal(() => importBundle(deps, lying)),
      'lying.audit-bundle.zip is not a readable .zip: audit.json inflates past the 16777216 bytes its header declares'
    )
    nothingStored()
  }, 30_000)
})
