import fc from 'fast-check'
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { loadDataset } from '@main/engine/data/dataset'
import { openCifarArchive } from '@main/library/datasets/cifar-archive'
import { readPickleBatch, readPickleMeta } from '@main/library/datasets/cifar-pickle'
import { importDataset } from '@main/library/datasets/import-dataset'
import { PyDict, readPickle } from '@main/library/datasets/pickle'
import { numpyGlobals } from '@main/library/datasets/pickle-numpy'
import { ImportError } from '@main/library/model-bundle'
import { useAuditServices } from '../helpers/audit-services'
import { runAuditCli } from '../helpers/run-cli'
import { makeTempDir } from '../helpers/tmp'

// Fixtures written by scripts/make-cifar-fixtures.py: a few records per batch in each download's layout.
const services = useAuditServices('cifar-import')
const scratch = makeTempDir('cifar-src')
const fixtures = join(__dirname, '..', 'fixtures', 'cifar')
const deps = { store: services.store, dataDir: services.paths.dataDir }
const CIFAR10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']

/** The records of binary batches, as the stored dataset should hold them: "label:pixels" with pixels in HWC order. */
function binRecords(files: string[], labelBytes: 1 | 2, coarse = false): string[] {
  const out: string[] = []
  for (const f of files) {
    const bytes = readFileSync(f)
    for (let o = 0; o < bytes.length; o += labelBytes + 3072) {
      const hwc = Buffer.alloc(3072)
      for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) hwc[p * 3 + c] = bytes[o + labelBytes + c * 1024 + p]!
      out.push(`${bytes[o + (coarse ? 0 : labelBytes - 1)]}:${hwc.toString('base64')}`)
    }
  }
  return out.sort()
}

/** The records a stored dataset holds, read from its IDX files. */
function storedRecords(id: string, split: 'train' | 'test'): string[] {
  const dir = join(services.paths.dataDir, 'datasets', id)
  const images = readFileSync(join(dir, `${split}-images.idx`)).subarray(4 + 4 * 4)
  const labels = readFileSync(join(dir, `${split}-labels.idx`)).subarray(4 + 4)
  return Array.from(labels, (l, i) => `${l}:${images.subarray(i * 3072, (i + 1) * 3072).toString('base64')}`).sort()
}

/** A copy of a fixture folder to damage. */
function copyOf(folder: string, as = folder): string {
  const dir = join(scratch.dir, `${as}-${readdirSync(scratch.dir).length}`)
  cpSync(join(fixtures, folder), dir, { recursive: true })
  return dir
}

const stored = () => services.store.datasets.listLibrary().length
async function refused(paths: string[], reason: RegExp, opts: Parameters<typeof importDataset>[2] = {}): Promise<void> {
  const before = stored()
  await expect(importDataset(deps, paths, opts)).rejects.toThrow(reason)
  expect(stored()).toBe(before)
  expect(readdirSync(join(services.paths.dataDir, 'datasets')).filter((n) => n.startsWith('.partial'))).toEqual([])
}

/** A POSIX ustar archive, gzipped, of the given files: the fixtures' archives are GNU tar's. */
function tarGz(entries: Record<string, Uint8Array>): Buffer {
  const blocks: Buffer[] = []
  for (const [name, body] of Object.entries(entries)) {
    const h = Buffer.alloc(512)
    h.write(name, 0)
    h.write('0000644\0', 100)
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124)
    h.write('0', 156)
    h.write('ustar\x0000', 257)
    h.fill(' ', 148, 156)
    h.write(
      `${h
        .reduce((a, b) => a + b, 0)
        .toString(8)
        .padStart(6, '0')}\0 `,
      148
    )
    blocks.push(h, Buffer.from(body), Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  return gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)]))
}

describe('CIFAR import', () => {
  const c10bin = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'].map((b) =>
    join(fixtures, 'cifar-10-batches-bin', `${b}.bin`)
  )
  let cifar10 = ''

  it("imports CIFAR-10's python batches as downloaded: batches.meta's class names, the files' split, 32×32 RGB, every record", async () => {
    const result = await importDataset(deps, [join(fixtures, 'cifar-10-batches-py')])
    const d = result.dataset
    cifar10 = d.id
    expect(d.name).toBe('CIFAR-10')
    expect(d.classNames).toEqual(CIFAR10)
    expect(d.inputShape).toEqual([32, 32, 3])
    expect([d.trainSize, d.testSize]).toEqual([30, 6])
    expect(result.perClass.map((c) => c.train)).toEqual(Array(10).fill(3))
    expect(d.preprocessing).toMatchObject({ size: [32, 32], color: 'rgb', scaling: { kind: 'unit' } })
    expect(result.skipped).toEqual([])
    // Planes become pixels exactly: the same records as the binary version's bytes.
    expect(storedRecords(d.id, 'train')).toEqual(binRecords(c10bin, 1))
    expect(storedRecords(d.id, 'test')).toEqual(binRecords([join(fixtures, 'cifar-10-batches-bin', 'test_batch.bin')], 1))
    const loaded = await loadDataset(services.paths, d.id)
    expect(loaded.train.count).toBe(30)
    expect(JSON.parse(readFileSync(join(services.paths.dataDir, 'datasets', d.id, 'dataset.json'), 'utf8')).source).toEqual({
      kind: 'cifar-python',
      name: 'cifar-10-batches-py',
      split: 'given'
    })
  })

  it('the binary version, the files dropped one by one, the .tar.gz and re-pickled batches all give that same dataset', async () => {
    const same = async (paths: string[]) => {
      const r = await importDataset(deps, paths)
      expect(r.dataset.id).toBe(cifar10)
      expect(r.alreadyImported).toBe(true)
    }
    await same([join(fixtures, 'cifar-10-batches-bin')])
    const py = join(fixtures, 'cifar-10-batches-py')
    await same(readdirSync(py).map((n) => join(py, n)))
    await same([join(fixtures, 'cifar-10-python.tar.gz')])
    // The folder the archive was extracted into, holding the download's folder.
    const outer = join(scratch.dir, 'extracted')
    cpSync(py, join(outer, 'cifar-10-batches-py'), { recursive: true })
    await same([outer])
    for (const protocol of [2, 3, 4, 5]) {
      const dir = copyOf('cifar-10-batches-py')
      copyFileSync(join(fixtures, 'repickled', `data_batch_1.protocol-${protocol}`), join(dir, 'data_batch_1'))
      await same([dir])
    }
  })

  it('imports CIFAR-100 with its 100 fine classes by default, or its 20 coarse ones, in either version and from the archive', async () => {
    const fine = await importDataset(deps, [join(fixtures, 'cifar-100-python')], { scaling: 'standardize' })
    expect(fine.dataset.name).toBe('CIFAR-100')
    expect(fine.dataset.classNames).toHaveLength(100)
    expect(fine.dataset.classNames.slice(0, 3)).toEqual(['apple', 'aquarium_fish', 'baby'])
    expect([fine.dataset.trainSize, fine.dataset.testSize]).toEqual([100, 20])
    expect(storedRecords(fine.dataset.id, 'train')).toEqual(binRecords([join(fixtures, 'cifar-100-binary', 'train.bin')], 2))
    const fineBin = await importDataset(deps, [join(fixtures, 'cifar-100-binary')], { scaling: 'standardize' })
    expect(fineBin.dataset.id).toBe(fine.dataset.id)

    const coarse = await importDataset(deps, [join(fixtures, 'cifar-100-binary.tar.gz')], { labels: 'coarse' })
    expect(coarse.dataset.name).toBe('CIFAR-100 coarse')
    expect(coarse.dataset.classNames).toHaveLength(20)
    expect(coarse.dataset.classNames[0]).toBe('aquatic_mammals')
    expect(coarse.perClass.map((c) => c.train)).toEqual(Array(20).fill(5))
    expect(storedRecords(coarse.dataset.id, 'test')).toEqual(binRecords([join(fixtures, 'cifar-100-binary', 'test.bin')], 2, true))
    const coarsePy = await importDataset(deps, [join(fixtures, 'cifar-100-python')], { labels: 'coarse' })
    expect(coarsePy.dataset.id).toBe(coarse.dataset.id)
  })

  it("refuses a pickle that names any global but numpy's, before running anything, and stores nothing", async () => {
    const dir = copyOf('cifar-10-batches-py')
    copyFileSync(join(fixtures, 'hostile', 'os-system.pickle'), join(dir, 'data_batch_1'))
    await refused([dir], /data_batch_1: the pickle refers to os\.system; only numpy arrays and plain values are read/)
    copyFileSync(join(fixtures, 'hostile', 'posix-system.protocol-4'), join(dir, 'data_batch_1'))
    await refused([dir], /data_batch_1: the pickle refers to posix\.system; only numpy arrays and plain values are read/)
    const p = readFileSync(join(fixtures, 'hostile', 'os-system.pickle'))
    expect(() => readPickleBatch(p, 'x', 'CIFAR-10')).toThrow(ImportError)
  })

  it('runs no opcode that creates an object, and calls nothing but the allow-list', () => {
    const run = (pickle: string) => () => readPickle(Buffer.from(pickle, 'latin1'), 'p.pkl', numpyGlobals('p.pkl'))
    const plain = run('\x80\x02}q\x00(X\x01\x00\x00\x00aK\x01U\x01b]q\x01(K\x02\x8a\x01\xffeu.')()
    expect(plain).toEqual(
      new PyDict([
        ['a', 1],
        ['b', [2, -1]]
      ])
    )
    expect(run('\x80\x02(ios\nsystem\n.')).toThrow('p.pkl: the pickle uses opcode INST (creates an object) at byte 3')
    expect(run('\x80\x02cnumpy\nndarray\n)\x81.')).toThrow(/opcode NEWOBJ \(creates an object\) at byte 18; only numpy arrays/)
    expect(run('\x80\x04\x8c\x08builtins\x8c\x04eval\x93.')).toThrow('p.pkl: the pickle refers to builtins.eval; only numpy arrays')
    expect(run('\x80\x02X\x01\x00\x00\x00a)R.')).toThrow('p.pkl: the pickle calls a str at byte 9')
    expect(run('\x80\x02]}b.')).toThrow('p.pkl: the pickle sets the state of a list at byte 4')
    expect(run('cnumpy.core.multiarray\n_reconstruct\ncnumpy\ndtype\nK\x00\x85U\x01b\x87R.')).toThrow(
      '_reconstruct of a numpy.dtype; only numpy.ndarray is read'
    )
    expect(run('c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00utf-8\x86R.')).toThrow('_codecs.encode other than of a str to latin1')
    expect(run('\x80\x06N.')).toThrow('pickle protocol 6; protocols up to 5 are read')
  })

  it('refuses truncated and wrongly sized files, naming the file', async () => {
    const py = copyOf('cifar-10-batches-py')
    truncateSync(join(py, 'data_batch_3'), 9000)
    await refused(
      [py],
      /cifar-10-batches-py-\d+\/data_batch_3: the pickle ends at byte 9000 in the middle of a value .*\(the file is truncated\)/
    )
    // A pickle cut right before its STOP opcode.
    copyFileSync(join(fixtures, 'cifar-10-batches-py', 'data_batch_3'), join(py, 'data_batch_3'))
    truncateSync(join(py, 'batches.meta'), readFileSync(join(fixtures, 'cifar-10-batches-py', 'batches.meta')).length - 1)
    await refused([py], /batches\.meta: the pickle ends at byte 156 before its STOP opcode/)

    const bin = copyOf('cifar-10-batches-bin')
    truncateSync(join(bin, 'data_batch_2.bin'), 18438 - 100)
    await refused([bin], /data_batch_2\.bin: 18338 bytes is not a whole number of 3073-byte records \(1 label byte and 3072 pixel bytes\)/)

    // data of shape (4, 4608): as many bytes as (6, 3072), but not CIFAR's images.
    const shaped = copyOf('cifar-10-batches-py')
    const batch = readFileSync(join(shaped, 'data_batch_1'))
    const at = batch.indexOf(Buffer.from([0x4b, 6, 0x4d, 0x00, 0x0c]))
    batch.set([0x4b, 4, 0x4d, 0x00, 0x12], at)
    writeFileSync(join(shaped, 'data_batch_1'), batch)
    await refused([shaped], /data_batch_1: data is an array of u1 of shape \(4, 4608\); a CIFAR batch holds uint8 of shape \(N, 3072\)/)
  })

  it('refuses labels out of range, missing files, mixed downloads and coarse labels of CIFAR-10', async () => {
    const bin = copyOf('cifar-10-batches-bin')
    const batch = readFileSync(join(bin, 'test_batch.bin'))
    batch[3073] = 10
    writeFileSync(join(bin, 'test_batch.bin'), batch)
    await refused([bin], /test_batch\.bin: record 1 has label 10; CIFAR-10 labels go from 0 to 9/)

    const py = copyOf('cifar-10-batches-py')
    rmSync(join(py, 'batches.meta'))
    rmSync(join(py, 'data_batch_3'))
    await refused([py], /data_batch_3, batches\.meta are missing; CIFAR-10 \(python version\) is read from/)
    await refused([join(fixtures, 'cifar-100-python', 'train'), join(fixtures, 'cifar-100-python', 'test')], /the files: meta is missing/)

    const mixed = copyOf('cifar-10-batches-py')
    copyFileSync(join(fixtures, 'cifar-10-batches-bin', 'test_batch.bin'), join(mixed, 'test_batch.bin'))
    await refused([mixed], /holds files of CIFAR-10 \(python version\) and CIFAR-10 \(binary version\)/)

    const c100 = copyOf('cifar-100-binary')
    writeFileSync(join(c100, 'coarse_label_names.txt'), 'one\ntwo\n')
    await refused([c100], /coarse_label_names\.txt: names 2 coarse classes; CIFAR-100 has 20/)

    await refused([join(fixtures, 'cifar-10-batches-bin')], /CIFAR-10 has one set of labels; coarse labels exist only in CIFAR-100/, {
      labels: 'coarse'
    })
    await refused([join(fixtures, 'cifar-10-python.tar.gz'), c100], /Drop one archive at a time/)
  })

  it('refuses a truncated archive, one that inflates past the cap, and archives of anything else', async () => {
    const archive = readFileSync(join(fixtures, 'cifar-10-python.tar.gz'))
    const cut = join(scratch.dir, 'cut.tar.gz')
    writeFileSync(cut, archive.subarray(0, archive.length >> 1))
    await refused([cut], /cut\.tar\.gz: the archive ends early \(it is truncated\)/)
    await expect(openCifarArchive([join(fixtures, 'cifar-10-python.tar.gz')], 'fine', { maxInflated: 64 * 1024 })).rejects.toThrow(
      /cifar-10-python\.tar\.gz: inflates to more than 0\.0625 MiB/
    )
    const other = join(scratch.dir, 'photos.tar.gz')
    writeFileSync(other, tarGz({ 'photos/notes.txt': Buffer.from('not a dataset') }))
    await refused([other], /photos\.tar\.gz: holds no CIFAR-10 or CIFAR-100 files/)
    const notGzip = join(scratch.dir, 'plain.tgz')
    writeFileSync(notGzip, 'hello')
    await refused([notGzip], /plain\.tgz: not a gzip file/)
    // A POSIX ustar archive of the binary version, written here rather than by GNU tar, reads the same.
    const dir = join(fixtures, 'cifar-10-batches-bin')
    const ustar = join(scratch.dir, 'cifar-10-binary.tar.gz')
    writeFileSync(ustar, tarGz(Object.fromEntries(readdirSync(dir).map((n) => [`cifar-10-batches-bin/${n}`, readFileSync(join(dir, n))]))))
    expect((await importDataset(deps, [ustar])).dataset.id).toBe(cifar10)
  })

  it('a batch, meta file or archive damaged byte by byte: a clear refusal or a batch, never a crash', async () => {
    const original = new Uint8Array(readFileSync(join(fixtures, 'cifar-10-batches-py', 'data_batch_2')))
    const meta = new Uint8Array(readFileSync(join(fixtures, 'cifar-100-python', 'meta')))
    const damaged = (bytes: Uint8Array) => {
      const at = fc.nat({ max: bytes.length - 1 })
      return fc.oneof(
        fc.array(fc.tuple(at, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
          const out = bytes.slice()
          for (const [i, v] of flips) out[i] = v
          return out
        }),
        at.map((n) => bytes.slice(0, n))
      )
    }
    const onlyImportErrors = (work: () => unknown) => {
      try {
        work()
      } catch (err) {
        expect(err, String(err)).toBeInstanceOf(ImportError)
      }
    }
    // The pickle's header and structure are in its first 300 bytes; the rest is pixels.
    fc.assert(
      fc.property(damaged(original.subarray(0, 300)), (head) => {
        const bytes = Uint8Array.from([...head, ...original.subarray(300)])
        onlyImportErrors(() => readPickleBatch(bytes, 'data_batch_2', 'CIFAR-10'))
      }),
      { numRuns: 400, seed: 7 }
    )
    fc.assert(
      fc.property(damaged(meta), (bytes) => onlyImportErrors(() => readPickleMeta(bytes, 'meta', 'CIFAR-100'))),
      { numRuns: 300, seed: 8 }
    )
    const archive = new Uint8Array(readFileSync(join(fixtures, 'cifar-100-binary.tar.gz')))
    const file = join(scratch.dir, 'fuzz.tar.gz')
    await fc.assert(
      fc.asyncProperty(damaged(archive), async (bytes) => {
        writeFileSync(file, bytes)
        try {
          await openCifarArchive([file], 'fine')
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(ImportError)
        }
      }),
      { numRuns: 60, seed: 9 }
    )
  })

  it('imports from the command line, coarse labels and all', async () => {
    const db = join(scratch.dir, 'cli', 'audit.db')
    mkdirSync(join(scratch.dir, 'cli'))
    const cli = await runAuditCli(['import-dataset', join(fixtures, 'cifar-100-binary.tar.gz'), '--labels', 'coarse', '--db', db])
    expect(cli.code, cli.stderr).toBe(0)
    expect(cli.stdout).toMatch(/imported: CIFAR-100 coarse\n/)
    expect(cli.stdout).toContain('input 32×32×3, 100 train and 20 test images')
    expect(cli.stdout).toContain('class 0 aquatic_mammals: 5 train, 1 test')
    const bad = await runAuditCli(['import-dataset', join(fixtures, 'cifar-10-batches-py'), '--labels', 'medium', '--db', db])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/labels/)
    expect(existsSync(db)).toBe(true)
  })
})
