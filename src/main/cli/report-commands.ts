import { resolve } from 'node:path'
import { ReportSettings } from '@shared/api/contract'
import { describeZodError } from '@shared/zod-errors'
import { exportReport } from '../api/handlers'
import { exportBundle } from '../audit/bundle/export-bundle'
import { importBundle } from '../audit/bundle/import-bundle'
import { ImportError } from '../library/model-bundle'
import type { createNodeServices } from './node-services'

type Services = ReturnType<typeof createNodeServices>
type Fail = (message: string, code?: number) => never

/** An audit named by its id or by the start of it, as the CLI prints them. */
function findTask(services: Services, idOrPrefix: string, fail: Fail) {
  const matches = services.store.tasks.list().filter((t) => t.id === idOrPrefix || t.id.startsWith(idOrPrefix))
  if (matches.length !== 1)
    fail(
      matches.length ? `${matches.length} audits start with ${idOrPrefix}; give more of the id` : `no audit ${idOrPrefix} in this database`
    )
  return matches[0]!
}

/** `report <audit> <file.pdf>`: the report of any audit in the store, as the app exports it. */
export async function reportCommand(services: Services, args: string[], fail: Fail): Promise<void> {
  const [id, file, ...rest] = args
  if (!id || !file || rest.length) fail('usage: npm run audit -- report <audit id> <file.pdf> [--db FILE]')
  const task = findTask(services, id, fail)
  const pdf = await exportReport(services, task.id, resolve(file))
  process.stdout.write(`report: ${pdf.path} (${pdf.bytes} bytes, sha256 ${pdf.sha256})\n`)
}

/** `export-bundle <audit> <file.zip> [--with-models]`. */
export async function exportBundleCommand(services: Services, args: string[], withModels: boolean, fail: Fail): Promise<void> {
  const [id, file, ...rest] = args
  if (!id || !file || rest.length) fail('usage: npm run audit -- export-bundle <audit id> <file.zip> [--with-models] [--db FILE]')
  const task = findTask(services, id, fail)
  const out = await exportBundle(services, task.id, { file: resolve(file), includeModels: withModels })
  process.stdout.write(`bundle: ${out.path} (${out.bytes} bytes, sha256 ${out.sha256}; ${out.models} model(s) included)\n`)
}

/** `import-bundle <file.zip>`: shows another copy's audit here, read-only. */
export async function importBundleCommand(services: Services, args: string[], fail: Fail): Promise<void> {
  const [file, ...rest] = args
  if (!file || rest.length) fail('usage: npm run audit -- import-bundle <file.zip> [--db FILE]')
  try {
    const result = await importBundle({ store: services.store, ...services.paths }, resolve(file))
    const t = result.task
    process.stdout.write(
      `${result.alreadyImported ? 'already here' : 'imported'}: audit "${t.name}" (${t.id}), ${Object.values(t.counts).reduce((a, b) => a + b, 0)} runs, ${result.modelsIncluded} model(s) with files\n  content hash ${t.origin?.contentHash ?? ''}\n`
    )
  } catch (err) {
    fail(err instanceof ImportError ? `cannot import: ${err.message}` : (err as Error).message, err instanceof ImportError ? 2 : 1)
  }
}

/** `settings [--auditor NAME] [--organisation ORG] [--page-size A4|Letter]`: sets and prints the report settings. */
export function settingsCommand(
  services: Services,
  values: { auditor?: string | undefined; organisation?: string | undefined; 'page-size'?: string | undefined },
  fail: Fail
): void {
  const changes = {
    ...(values.auditor !== undefined ? { auditorName: values.auditor } : {}),
    ...(values.organisation !== undefined ? { organisation: values.organisation } : {}),
    ...(values['page-size'] !== undefined ? { pageSize: values['page-size'] } : {})
  }
  const parsed = ReportSettings.partial().strict().safeParse(changes)
  if (!parsed.success) fail(`invalid settings: ${describeZodError(parsed.error)}`)
  const s = services.store.settings.write(parsed.data)
  process.stdout.write(
    `auditor: ${s.auditorName || '(not set)'}\norganisation: ${s.organisation || '(not set)'}\npage size: ${s.pageSize}\n`
  )
}
