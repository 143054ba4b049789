import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createApiHandlers } from '@main/api/handlers'
import { createRouter } from '@main/api/router'
import { useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('library-api')
const dispatch = createRouter(createApiHandlers({ ...services, appVersion: 'test' }))
const call = async (channel: string, input: unknown) => dispatch(channel, input)
const value = async <T>(channel: string, input: unknown): Promise<T> => {
  const e = await call(channel, input)
  if (!e.ok) throw new Error(`${channel}: ${e.error.code} ${e.error.message}`)
  return e.value as T
}
const fixtures = join(__dirname, '..', 'fixtures')

describe('the library over the API contract', () => {
  it('refuses upload paths that leave the upload, and data that is not base64', async () => {
    const { uploadId } = await value<{ uploadId: string }>('uploads:begin', {})
    const escape = await call('uploads:write', { uploadId, path: '../../audit.db', base64: 'AAAA', append: false })
    expect(escape).toMatchObject({ ok: false, error: { code: 'VALIDATION', message: expect.stringMatching(/leaves the model folder/) } })
    const absolute = await call('uploads:write', { uploadId, path: '/etc/passwd', base64: 'AAAA', append: false })
    expect(absolute).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    const notBase64 = await call('uploads:write', { uploadId, path: 'a.bin', base64: 'not base64!', append: false })
    expect(notBase64).toMatchObject({ ok: false, error: { code: 'VALIDATION', message: expect.stringMatching(/base64/) } })
    expect(
      await call('uploads:write', { uploadId: '00000000-0000-4000-8000-000000000000', path: 'a.bin', base64: 'AAAA', append: false })
    ).toMatchObject({ ok: false, error: { code: 'VALIDATION', message: expect.stringMatching(/No upload/) } })
    await value('uploads:discard', { uploadId })
  })

  it('imports a model sent in chunks, lists it, and deletes it while keeping its row', async () => {
    const { uploadId } = await value<{ uploadId: string }>('uploads:begin', {})
    const dir = join(fixtures, 'models', 'valid')
    for (const name of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, name))
      // Two chunks per file: the second is appended to the first.
      const half = Math.ceil(bytes.length / 2)
      await value('uploads:write', { uploadId, path: `valid/${name}`, base64: bytes.subarray(0, half).toString('base64'), append: false })
      await value('uploads:write', { uploadId, path: `valid/${name}`, base64: bytes.subarray(half).toString('base64'), append: true })
    }
    const imported = await value<{ model: { sha256: string; testAccuracy: number } }>('models:import', {
      uploadId,
      datasetId: 'fashion-mnist',
      name: 'chunked'
    })
    expect(imported.model.testAccuracy).toBeGreaterThanOrEqual(0)
    // The upload is gone once its model is in the library.
    expect(readdirSync(join(services.paths.dataDir, 'uploads'))).toEqual([])
    const lib = await value<{ models: Array<{ sha256: string; name: string }>; datasets: Array<{ id: string }> }>('library:list', {})
    expect(lib.models.map((m) => m.name)).toEqual(['chunked'])
    expect(lib.datasets.map((d) => d.id)).toEqual(['fashion-mnist'])

    expect(await call('models:delete', { sha256: 'nope' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    const deleted = await value<{ deletedAt: number; path: string }>('models:delete', { sha256: imported.model.sha256 })
    expect(deleted.deletedAt).toBeGreaterThan(0)
    expect(existsSync(join(services.paths.dataDir, deleted.path))).toBe(false)
    expect((await value<{ models: unknown[] }>('library:list', {})).models).toEqual([])
    expect(await call('datasets:delete', { id: 'fashion-mnist' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', message: expect.stringMatching(/built in/) }
    })
  })
})
