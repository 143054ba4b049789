import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { loadBuiltinDataset } from '@main/engine/data/dataset'
import { createNodeServices } from '@main/cli/node-services'
import { loadModel } from '@main/engine/model/model-files'
import { exportModel } from '@main/library/model-export'
import { importModel } from '@main/library/model-library'
import { saveLayersModel } from '../helpers/layers-model'
import { useAuditServices } from '../helpers/audit-services'
import { runAuditCli } from '../helpers/run-cli'
import { makeTempDir } from '../helpers/tmp'

const services = useAuditServices('import')
const scratch = makeTempDir('import-src')
const fixtures = join(__dirname, '..', 'fixtures', 'models')
const deps = { store: services.store, engine: services.engine, dataDir: services.paths.dataDir, resourcesDir: services.paths.resourcesDir }
const importFrom = (paths: string[]) => importModel(deps, paths, { datasetId: 'fashion-mnist' })

function nothingStored(): void {
  expect(services.store.models.listLibrary()).toEqual([])
  const dir = join(services.paths.dataDir, 'models', 'imported')
  expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([])
}

describe('model import', () => {
  it.each([
    ['truncated-json', /model\.json is not valid JSON/],
    ['wrong-weight-size', /weightsManifest\[0\] describes 27240 bytes \(\d+ weights\) but group1-shard1of1\.bin holds 27232 bytes/],
    ['zero-byte-weights', /the weights file "group1-shard1of1\.bin" is empty \(0 bytes\)/],
    ['escaping-path', /the weights path "\.\.\/group1-shard1of1\.bin" leaves the model folder/],
    ['unsupported-layer', /layer "max_pooling2d\w*" has type LSTM, which is not supported/],
    ['three-classes', /The model outputs 3 classes, but Fashion-MNIST has 10/]
  ])('refuses %s with its own reason and stores nothing', async (name, reason) => {
    await expect(importFrom([join(fixtures, name)])).rejects.toThrow(reason)
    nothingStored()
  })

  it('refuses an empty folder, a missing path, a link out of the folder, and an absolute weights path', async () => {
    const empty = join(scratch.dir, 'empty')
    mkdirSync(empty)
    await expect(importFrom([empty])).rejects.toThrow(/The folder .*empty is empty/)
    await expect(importFrom([join(scratch.dir, 'nope')])).rejects.toThrow(/nope does not exist/)

    const linked = join(scratch.dir, 'linked')
    mkdirSync(linked)
    writeFileSync(join(linked, 'model.json'), readFileSync(join(fixtures, 'valid', 'model.json')))
    symlinkSync(join(fixtures, 'valid', 'group1-shard1of1.bin'), join(linked, 'group1-shard1of1.bin'))
    await expect(importFrom([linked])).rejects.toThrow(/is a symbolic link; links are refused/)

    const absolute = join(scratch.dir, 'absolute')
    mkdirSync(absolute)
    const json = JSON.parse(readFileSync(join(fixtures, 'valid', 'model.json'), 'utf8'))
    json.weightsManifest[0].paths = ['/etc/passwd']
    writeFileSync(join(absolute, 'model.json'), JSON.stringify(json))
    await expect(importFrom([absolute])).rejects.toThrow(/weights path "\/etc\/passwd" is absolute/)
    nothingStored()
  })

  it('imports a folder, measures its test accuracy, warns at chance level, and knows it again as loose files or a .zip', async () => {
    const valid = join(fixtures, 'valid')
    const before = readFileSync(join(valid, 'group1-shard1of1.bin'))
    const first = await importFrom([valid])
    expect(first.alreadyImported).toBe(false)
    expect(first.model).toMatchObject({
      source: 'imported',
      name: 'valid',
      datasetId: 'fashion-mnist',
      numClasses: 10,
      inputShape: [28, 28, 1],
      bytes: 27240 + readFileSync(join(valid, 'model.json')).length
    })
    expect(first.model.sha256).toMatch(/^[0-9a-f]{64}$/)
    // An untrained model guesses: the import says so.
    expect(first.model.testAccuracy).toBeLessThan(0.2)
    expect(first.warning).toMatch(/at the level of guessing/)
    // The copy sits under its sha256 in the data folder; the dropped files are untouched.
    expect(readdirSync(join(services.paths.dataDir, first.model.path)).sort()).toEqual(['group1-shard1of1.bin', 'model.json'])
    expect(readFileSync(join(valid, 'group1-shard1of1.bin')).equals(before)).toBe(true)

    const loose = await importFrom([join(valid, 'model.json'), join(valid, 'group1-shard1of1.bin')])
    expect(loose).toMatchObject({ alreadyImported: true, model: { sha256: first.model.sha256 } })
    const zip = join(scratch.dir, 'model.zip')
    writeFileSync(zip, zipSync({ 'my-model/model.json': readFileSync(join(valid, 'model.json')), 'my-model/group1-shard1of1.bin': before }))
    expect(await importFrom([zip])).toMatchObject({ alreadyImported: true, model: { sha256: first.model.sha256 } })
    expect(services.store.models.listLibrary()).toHaveLength(1)
  })
})

describe('headless model import', () => {
  it('prints the same reasons and exits 2 on a bad model; imports a good one and prints its hash and accuracy', async () => {
    const db = join(scratch.dir, 'cli.db')
    const bad = await runAuditCli(['import-model', join(fixtures, 'unsupported-layer'), '--db', db])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^audit: cannot import: model\.json: layer "max_pooling2d\w*" has type LSTM, which is not supported/m)
    const good = await runAuditCli(['import-model', join(fixtures, 'valid'), '--db', db, '--name', 'my classifier'])
    expect(good.code, good.stderr).toBe(0)
    expect(good.stdout).toMatch(/^imported: my classifier\n {2}sha256 [0-9a-f]{64}\n/)
    expect(good.stdout).toMatch(/test accuracy \d+\.\d\d %/)
    expect(good.stderr).toMatch(/warning: Test accuracy .* is at the level of guessing/)
    const sha = /sha256 ([0-9a-f]{64})/.exec(good.stdout)![1]!
    const out = join(scratch.dir, 'cli-export')
    const exported = await runAuditCli(['export-model', sha, out, '--db', db])
    expect(exported.code, exported.stderr).toBe(0)
    expect(JSON.parse(readFileSync(join(out, 'export-manifest.json'), 'utf8')).model.sha256).toBe(sha)
    expect(readFileSync(join(out, 'group1-shard1of1.bin')).equals(readFileSync(join(fixtures, 'valid', 'group1-shard1of1.bin')))).toBe(true)
    const again = await runAuditCli(['export-model', sha, out, '--db', db])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/cannot export: .*cli-export is not empty/)
  }, 120_000)
})

describe('an audit that starts from a model built with tfjs-layers', () => {
  it('imports it from its folder on the fly, measures it as the original, and runs REM and retrain on it', async () => {
    // The user's side: a dense classifier trained with tfjs-layers' own fit() and saved with its own save().
    const data = await loadBuiltinDataset(services.paths.resourcesDir, 'fashion-mnist', { trainLimit: 1000, testLimit: 10 })
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) })
      ]
    })
    model.compile({ optimizer: tf.train.adam(0.003), loss: 'sparseCategoricalCrossentropy' })
    const x = tf.tensor4d(data.train.images, [1000, 28, 28, 1])
    const y = tf.tensor1d(data.train.labels, 'float32')
    await model.fit(x, y, { epochs: 12, batchSize: 50, shuffle: false, verbose: 0 })
    x.dispose()
    y.dispose()
    const dir = join(scratch.dir, 'users-model')
    await saveLayersModel(model, dir)
    model.dispose()

    const { taskId, done } = await services.audits.start({
      name: 'given model',
      dataset: { id: 'fashion-mnist', trainLimit: 1000, testLimit: 500 },
      model: { path: dir },
      train: { epochs: 3, batchSize: 64, learningRate: 0.05 },
      task: { kind: 'random', fraction: 0.1 },
      methods: ['rem', 'retrain'],
      seeds: [0]
    })
    await done
    const task = services.store.tasks.get(taskId)!
    expect(task.spec.model).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })
    const [original, rem, retrain] = services.store.runs.list(taskId)
    for (const r of [original, rem, retrain]) expect(r!.status, `${r!.method}: ${r!.error}`).toBe('done')
    // The original is the user's model, measured and not trained: its sha256 is the imported one.
    expect(original!.metrics.reusedModel).toBe(1)
    expect(original!.outputModelSha256).toBe((task.spec.model as { sha256: string }).sha256)
    expect(original!.metrics.forgetAccuracy).toBeGreaterThan(0.9)
    // REM runs on it and forgets random examples down to the original's held-out accuracy, landing
    // where retraining does (measured: test 0.73 and forget 0.80 against retrain's 0.73 and 0.77;
    // with the old fixed threshold of 0.2 its test accuracy fell to 0.19). Retrain re-initialises
    // the user's architecture and learns again.
    const m = (r: typeof rem, k: string) => r!.metrics[k] as number
    expect(m(rem, 'forgetAccuracy')).toBeLessThan(m(original, 'forgetAccuracy') - 0.1)
    expect(m(rem, 'testAccuracy')).toBeGreaterThan(m(retrain, 'testAccuracy') - 0.05)
    expect(Math.abs(m(rem, 'forgetAccuracy') - m(retrain, 'forgetAccuracy'))).toBeLessThanOrEqual(0.1)
    expect(retrain!.metrics.testAccuracy as number).toBeGreaterThan(0.6)
    expect(retrain!.metrics.forgetAccuracy as number).toBeLessThan(original!.metrics.forgetAccuracy as number)

    // Export the unlearned model and import it into another library: same hash, same predictions.
    const exported = exportModel(services.store, services.paths.dataDir, rem!.outputModelSha256!, join(scratch.dir, 'exported'))
    expect(exported.files.map((f) => f.name)).toEqual(['model.json', 'weights.bin'])
    const other = createNodeServices({ dataDir: join(scratch.dir, 'other-library') })
    try {
      const again = await importModel(
        { store: other.store, engine: other.engine, dataDir: other.paths.dataDir, resourcesDir: other.paths.resourcesDir },
        [exported.dir],
        { datasetId: 'fashion-mnist' }
      )
      expect(again).toMatchObject({ alreadyImported: false, model: { sha256: rem!.outputModelSha256, testAccuracy: expect.any(Number) } })
      const a = await loadModel(join(services.paths.dataDir, services.store.models.find(rem!.outputModelSha256!)!.path))
      const b = await loadModel(join(other.paths.dataDir, again.model.path))
      const images = tf.tensor4d(data.train.images.subarray(0, 50 * 784), [50, 28, 28, 1])
      const [pa, pb] = [a.model.forward(images), b.model.forward(images)]
      expect(Array.from(await pb.data())).toEqual(Array.from(await pa.data()))
      tf.dispose([images, pa, pb])
      a.model.dispose()
      b.model.dispose()
    } finally {
      other.dispose()
    }

    // A corrupted task needs an original trained on its corruption: refused with a given model.
    await expect(
      services.audits.start({ ...task.spec, task: { kind: 'corrupted', corruption: 'random-swap', corruptedCount: 50, discoveryRate: 1 } })
    ).rejects.toThrow(/corrupted tasks train their own original/)
  }, 300_000)

  it('exports a model trained with Mnemonic codes with its codes sidecar, and imports the codes with it', async () => {
    const { taskId, done } = await services.audits.start({
      name: 'with codes',
      dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 100 },
      model: { arch: 'mlp' },
      train: { epochs: 1, batchSize: 64, learningRate: 0.05, mnemonicCodes: { tMix: 0.1 } },
      task: { kind: 'class', classes: [1] },
      methods: ['finetune'],
      seeds: [0]
    })
    await done
    const original = services.store.runs.list(taskId)[0]!
    expect(original.status, original.error ?? '').toBe('done')
    const exported = exportModel(services.store, services.paths.dataDir, original.outputModelSha256!, join(scratch.dir, 'with-codes'))
    expect(exported.files.map((f) => f.name)).toContain('mnemonic-codes.json')

    const other = createNodeServices({ dataDir: join(scratch.dir, 'codes-library') })
    try {
      const otherDeps = { store: other.store, engine: other.engine, dataDir: other.paths.dataDir, resourcesDir: other.paths.resourcesDir }
      // Codes that do not fit the dataset are refused before anything is stored.
      const tampered = join(scratch.dir, 'tampered-codes')
      mkdirSync(tampered)
      for (const f of exported.files) writeFileSync(join(tampered, f.name), readFileSync(join(exported.dir, f.name)))
      const codes = JSON.parse(readFileSync(join(tampered, 'mnemonic-codes.json'), 'utf8'))
      writeFileSync(join(tampered, 'mnemonic-codes.json'), JSON.stringify({ ...codes, classes: 3 }))
      await expect(importModel(otherDeps, [tampered], { datasetId: 'fashion-mnist' })).rejects.toThrow(
        /mnemonic-codes\.json: codes for 3 classes, but the dataset has 10/
      )
      expect(other.store.models.listLibrary()).toEqual([])

      const imported = await importModel(otherDeps, [exported.dir], { datasetId: 'fashion-mnist' })
      // Both stores record the codes by their sha256.
      const recorded = services.store.models.find(original.outputModelSha256!)!.codesSha256
      expect(recorded).toMatch(/^[0-9a-f]{64}$/)
      expect(imported.model.codesSha256).toBe(recorded)
      const copied = join(other.paths.dataDir, imported.model.path, 'mnemonic-codes.json')
      expect(readFileSync(copied, 'utf8')).toBe(readFileSync(join(exported.dir, 'mnemonic-codes.json'), 'utf8'))
    } finally {
      other.dispose()
    }
  }, 120_000)
})
