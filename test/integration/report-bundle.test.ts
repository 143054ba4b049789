import { readFileSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { unzipSync, zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { exportReport } from '@main/api/handlers'
import { exportBundle } from '@main/audit/bundle/export-bundle'
import { importBundle } from '@main/audit/bundle/import-bundle'
import { verifyStore } from '@main/audit/verify'
import { contentHash, reportManifest } from '@main/reports/manifest'
import { leaderboardRows } from '@shared/charts/leaderboard'
import { ALL_METRICS } from '@shared/metrics/groups'
import { writeVerdict } from '@shared/verdict'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'
import { pageInk, pdfText, readPdf } from '../helpers/pdf'
import { tinySweep } from '../helpers/tiny-sweep'

const services = useAuditServices('report')
const copy = useAuditServices('report-copy')

const sweep = tinySweep('report sweep')

const oneLine = (text: string) => text.replace(/\s+/g, ' ')

describe('the audit report and the bundle', () => {
  let taskId = ''

  it('prints the auditor, the verdict, every hash and metric, on pages that all render with content, in A4 and Letter', async () => {
    ;({ taskId } = await runAuditExpectingDone(services, sweep))
    services.store.settings.write({ auditorName: 'Ana Šimić', organisation: 'Prüfstelle Nord' })
    const pdf = join(services.paths.dataDir, 'report.pdf')
    await exportReport(services, taskId, pdf)

    const runs = services.store.runs.list(taskId)
    const facts = await readPdf(pdf)
    const text = oneLine(facts.text)
    expect(text).toContain('Ana Šimić, Prüfstelle Nord')
    expect(text).toContain(oneLine(writeVerdict(runs, sweep.task)))
    expect(text).toContain(contentHash(reportManifest(services.store.tasks.get(taskId)!, runs, services.store.splits.list(taskId))))
    for (const split of services.store.splits.list(taskId)) expect(text).toContain(split.sha256)
    for (const run of runs) expect(text).toContain(run.outputModelSha256!)
    for (const label of ['Test accuracy', 'Attack success', 'Utility × Healed', 'Gap to retrain', 'retrain (ref.)', 'original (ref.)'])
      expect(text).toContain(label)
    expect(text).toMatch(/Contents Task \d+ Models \d+ Methods and settings \d+ Results \d+/)
    // The contents are also the PDF's bookmarks.
    const raw = readFileSync(pdf).toString('latin1')
    expect(raw).toContain('/Outlines')
    for (const section of ['Task', 'Models', 'Results', 'Manifest']) expect(raw).toContain(`/Title (${section})`)

    // A4 on every page, and every page renders with content above its footer.
    for (const page of facts.pages) expect([page.width, page.height]).toEqual([expect.closeTo(595.28, 1), expect.closeTo(841.89, 1)])
    const ink = await pageInk(pdf, 30)
    expect(ink).toHaveLength(facts.pages.length)
    ink.forEach((share, k) => expect(share, `page ${k + 1}`).toBeGreaterThan(0.004))

    // Nothing runs off the page (a clipped table would), and every font is embedded, as a subset, with text
    // that reads back as Unicode (no private-use or replacement characters).
    const right = Math.max(...facts.pages.map((p) => p.textRight))
    expect(right).toBeLessThanOrEqual(595.28 - 30)
    expect(facts.fonts.length).toBeGreaterThan(0)
    for (const font of facts.fonts) expect(font, font.name).toMatchObject({ embedded: true, subset: true })
    expect(facts.text).not.toMatch(/[\uE000-\uF8FF\uFFFD]/u)

    services.store.settings.write({ pageSize: 'Letter' })
    const letter = join(services.paths.dataDir, 'letter.pdf')
    await exportReport(services, taskId, letter)
    for (const page of (await readPdf(letter)).pages)
      expect([page.width, page.height]).toEqual([expect.closeTo(612, 1), expect.closeTo(792, 1)])
  }, 300_000)

  it('exports a bundle that another copy imports, read-only, with the same leaderboard and hashes that verify', async () => {
    const file = join(services.paths.dataDir, 'sweep.audit-bundle.zip')
    const written = await exportBundle(services, taskId, { file, includeModels: true })
    const runs = services.store.runs.list(taskId)
    expect(written.models).toBe(new Set(runs.flatMap((r) => [r.inputModelSha256, r.outputModelSha256]).filter(Boolean)).size)
    const entries = unzipSync(new Uint8Array(readFileSync(file)))
    expect(Object.keys(entries)).toEqual(
      expect.arrayContaining(['bundle.json', 'audit.json', 'report.pdf', 'spec.json', 'metrics.json', 'metrics.csv', 'manifest.json'])
    )
    expect(new TextDecoder().decode(entries['metrics.csv']!).split('\n')).toHaveLength(runs.length + 2)

    const imported = await importBundle({ store: copy.store, ...copy.paths }, file)
    expect(imported).toMatchObject({ alreadyImported: false, modelsIncluded: written.models })
    expect(imported.task.origin).toMatchObject({ bundleSha256: written.sha256 })
    const copied = copy.store.runs.list(taskId)
    expect(leaderboardRows(copied, ALL_METRICS)).toEqual(leaderboardRows(runs, ALL_METRICS))
    // Each run keeps the backend it ran on and why faster ones were skipped there.
    expect(copied.map((r) => [r.backend, r.backendSkipped])).toEqual(runs.map((r) => [r.backend, r.backendSkipped]))
    // (tfjs-node is never installed in tests, so unless a backend is forced there is a reason to carry.)
    if (!process.env.UNLEARN_BACKEND) expect(runs[0]!.backendSkipped.length).toBeGreaterThan(0)
    expect(copy.store.splits.list(taskId).map((s) => s.sha256)).toEqual(services.store.splits.list(taskId).map((s) => s.sha256))
    const verified = await verifyStore(copy.store, copy.paths)
    expect(verified.findings).toEqual([])
    expect(verified.runsChecked).toBe(runs.length)
    expect(verified.audits[0]!.contentHash).toBe(imported.task.origin!.contentHash)
    // Shown, never run: the audit service refuses to resume it.
    expect(() => copy.audits.resume(taskId)).toThrow(/imported from a bundle/)
    expect(await importBundle({ store: copy.store, ...copy.paths }, file)).toMatchObject({ alreadyImported: true })
    const copyReport = join(copy.paths.dataDir, 'copy.pdf')
    await exportReport(copy, taskId, copyReport)
    expect(oneLine(await pdfText(copyReport))).toContain(
      `Imported from a bundle made by Unlearning Audit ${copy.appVersion} (bundle sha256 ${written.sha256})`
    )

    // A metric changed inside audit.json is caught by its file hash…
    const audit = JSON.parse(new TextDecoder().decode(entries['audit.json']!)) as { runs: Array<{ metrics: Record<string, number> }> }
    audit.runs[1]!.metrics.testAccuracy! += 0.1
    const changed = new TextEncoder().encode(JSON.stringify(audit))
    const tampered = join(services.paths.dataDir, 'tampered.zip')
    writeFileSync(tampered, zipSync({ ...entries, 'audit.json': changed }))
    await expect(importBundle({ store: copy.store, ...copy.paths }, tampered)).rejects.toThrow('audit.json in the bundle was changed')
    // …and, with bundle.json rewritten to match, by the content hash.
    const manifest = JSON.parse(new TextDecoder().decode(entries['bundle.json']!)) as {
      files: Array<{ path: string; sha256: string; bytes: number }>
    }
    for (const f of manifest.files)
      if (f.path === 'audit.json') Object.assign(f, { sha256: createHash('sha256').update(changed).digest('hex'), bytes: changed.length })
    writeFileSync(
      tampered,
      zipSync({ ...entries, 'audit.json': changed, 'bundle.json': new TextEncoder().encode(JSON.stringify(manifest)) })
    )
    await expect(importBundle({ store: copy.store, ...copy.paths }, tampered)).rejects.toThrow(
      /the audit in the bundle does not match its manifest/
    )
    // A model's file swapped for another model's is caught too, and nothing is stored.
    const [first, second] = [
      ...new Set(
        Object.keys(entries)
          .filter((n) => n.startsWith('models/'))
          .map((n) => n.split('/')[1]!)
      )
    ]
    const swapped = { ...entries, [`models/${first}/weights.bin`]: entries[`models/${second}/weights.bin`]! }
    writeFileSync(tampered, zipSync(swapped))
    await expect(importBundle({ store: copy.store, ...copy.paths }, tampered)).rejects.toThrow(
      `models/${first}/weights.bin in the bundle was changed`
    )
    expect(copy.store.tasks.list()).toHaveLength(1)
  }, 120_000)
})
