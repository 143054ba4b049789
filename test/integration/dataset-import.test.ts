import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { hashDataset } from '@main/audit/dataset-hash'
import { requireDataset } from '@main/engine/data/catalog'
import { loadDataset } from '@main/engine/data/dataset'
import { importDataset } from '@main/library/datasets/import-dataset'
import { deleteDataset } from '@main/library/library'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'
import { runAuditCli } from '../helpers/run-cli'
import { encodeNpy } from '../helpers/npy'
import { makeTempDir } from '../helpers/tmp'

const services = useAuditServices('dataset-import')
const scratch = makeTempDir('dataset-src')
const fixtures = join(__dirname, '..', 'fixtures', 'datasets')
const deps = { store: services.store, dataDir: services.paths.dataDir }
const roots = services.paths

function nothingStored(): void {
  expect(services.store.datasets.listLibrary()).toEqual([])
  const dir = join(services.paths.dataDir, 'datasets')
  expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([])
}

describe('dataset import', () => {
  it.each([
    ['empty', /empty: the folder is empty/],
    ['non-image-among-images', /1 file could not be read:\n {2}vertical\/notes\.png: not a PNG or JPEG image\nNothing was imported/]
  ])('refuses %s with its own reason and stores nothing', async (name, reason) => {
    await expect(importDataset(deps, [join(fixtures, name)])).rejects.toThrow(reason)
    nothingStored()
  })

  it('refuses a folder with a single class, and labels out of the class list', async () => {
    const one = join(scratch.dir, 'one-class')
    cpSync(join(fixtures, 'strokes', 'vertical'), join(one, 'vertical'), { recursive: true })
    await expect(importDataset(deps, [one])).rejects.toThrow(/1 class folder found; a classifier needs at least 2/)
    nothingStored()
  })

  it('imports a folder of class folders of PNG and JPEG images, split per class, and loads it for the engine', async () => {
    const result = await importDataset(deps, [join(fixtures, 'strokes')])
    const d = result.dataset
    expect(d.classNames).toEqual(['diagonal', 'horizontal', 'vertical'])
    expect(d.inputShape).toEqual([12, 12, 1])
    expect(result.perClass).toEqual([
      { train: 32, test: 8 },
      { train: 32, test: 8 },
      { train: 32, test: 8 }
    ])
    expect([d.trainSize, d.testSize]).toEqual([96, 24])
    expect(result.skipped).toEqual([])
    expect(result.samples.filter((s) => s.label === 2)).toHaveLength(2)
    expect(d.preprocessing).toMatchObject({ size: [12, 12], color: 'grey', scaling: { kind: 'unit' } })
    // The stored hash is the one the engine and the audit compute when they read the files.
    const location = requireDataset(roots, d.id)
    expect(await hashDataset(location)).toBe(d.sha256)
    const loaded = await loadDataset(roots, d.id)
    expect(loaded.sha256).toBe(d.sha256)
    expect(loaded.train.count).toBe(96)
    expect(Math.max(...loaded.train.images)).toBeLessThanOrEqual(1)
    // Class-mixed order: a train limit of 12 still sees every class.
    expect(new Set((await loadDataset(roots, d.id, { trainLimit: 12 })).train.labels).size).toBe(3)
    // The same files again change nothing.
    const again = await importDataset(deps, [join(fixtures, 'strokes')])
    expect(again.alreadyImported).toBe(true)
    expect(services.store.datasets.listLibrary()).toHaveLength(1)
  })

  it('imports the rest and records the unreadable files when asked to', async () => {
    const result = await importDataset(deps, [join(fixtures, 'non-image-among-images')], { skipUnreadable: true, name: 'with notes' })
    expect(result.skipped).toEqual([{ path: 'vertical/notes.png', reason: 'not a PNG or JPEG image' }])
    expect(result.dataset.trainSize + result.dataset.testSize).toBe(18)
    expect(services.store.datasets.find(result.dataset.id)?.skipped).toEqual(result.skipped)
  })

  it('keeps given train/test folders, and resizes to RGB when asked', async () => {
    const split = join(scratch.dir, 'split')
    cpSync(join(fixtures, 'strokes'), join(split, 'train'), { recursive: true })
    mkdirSync(join(split, 'test'))
    cpSync(join(fixtures, 'strokes', 'diagonal'), join(split, 'test', 'diagonal'), { recursive: true })
    const result = await importDataset(deps, [split], { size: [8, 10], color: 'rgb' })
    expect(result.dataset.inputShape).toEqual([8, 10, 3])
    expect(result.perClass.map((c) => c.test)).toEqual([40, 0, 0])
    expect(result.perClass.map((c) => c.train)).toEqual([40, 40, 40])
    const loaded = await loadDataset(roots, result.dataset.id)
    expect(loaded.train.images.length).toBe(120 * 8 * 10 * 3)
  })

  it('imports an .npz of float images and int64 labels, standardised with the training mean and std', async () => {
    const result = await importDataset(deps, [join(fixtures, 'strokes.npz')], { scaling: 'standardize' })
    const p = result.dataset.preprocessing as { scaling: { mean: number[]; std: number[] }; valueScale: string }
    expect(p.valueScale).toMatch(/<f4|f4 values in \[0, 1\], multiplied by 255/)
    expect([result.dataset.trainSize, result.dataset.testSize]).toEqual([90, 30])
    const train = (await loadDataset(roots, result.dataset.id)).train.images
    const mean = train.reduce((a, b) => a + b, 0) / train.length
    const std = Math.sqrt(train.reduce((a, b) => a + (b - mean) ** 2, 0) / train.length)
    expect(Math.abs(mean)).toBeLessThan(1e-3)
    expect(Math.abs(std - 1)).toBeLessThan(1e-3)
  })

  it('refuses a .npy pair whose counts differ', async () => {
    const dir = join(scratch.dir, 'npy')
    mkdirSync(dir)
    writeFileSync(join(dir, 'images.npy'), encodeNpy('|u1', [4, 2, 2], new Uint8Array(16)))
    writeFileSync(join(dir, 'labels.npy'), encodeNpy('|u1', [3], Uint8Array.of(0, 1, 0)))
    await expect(importDataset(deps, [join(dir, 'images.npy'), join(dir, 'labels.npy')])).rejects.toThrow(/4 images but 3 labels/)
  })

  it('runs an audit on the imported dataset, from the command line too, and deleting it keeps the results', async () => {
    const id = services.store.datasets.listLibrary().find((d) => d.name === 'strokes')!.id
    const spec = {
      name: 'imported strokes',
      dataset: { id },
      model: { arch: 'mlp' },
      train: { epochs: 10, batchSize: 16, optimizer: 'adam', learningRate: 0.003 },
      task: { kind: 'class', classes: [1] },
      methods: ['retrain'],
      seeds: [0]
    }
    const { taskId, metrics } = await runAuditExpectingDone(services, spec)
    expect(metrics.original!.testAccuracy).toBeGreaterThan(0.8)
    expect(metrics.retrain!.forgetAccuracy).toBeLessThan(0.2)
    expect(metrics.retrain!.retainAccuracy).toBeGreaterThan(0.8)
    expect(services.store.datasets.find(id)?.runs).toBe(2)

    const specFile = join(scratch.dir, 'task.json')
    writeFileSync(specFile, JSON.stringify(spec))
    const cli = await runAuditCli([specFile, '--db', services.paths.dbFile])
    expect(cli.code, cli.stderr).toBe(0)

    deleteDataset(deps, id)
    expect(existsSync(join(services.paths.dataDir, 'datasets', id))).toBe(false)
    expect(services.store.datasets.listLibrary().map((d) => d.id)).not.toContain(id)
    expect(services.store.datasets.find(id)?.deletedAt).toBeGreaterThan(0)
    expect(services.store.runs.list(taskId).every((r) => r.status === 'done' && r.metrics.testAccuracy !== undefined)).toBe(true)
    await expect(services.audits.start(spec)).rejects.toThrow(/dataset\.id: unknown dataset/)
  })
})
