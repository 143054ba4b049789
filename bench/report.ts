import { createHash } from 'node:crypto'
import { buildReportDefinition, renderReportPdf } from '@main/reports/audit-report'
import type { ReportInput } from '@main/reports/report-input'
import { describeMachine } from '@main/reports/report-input'
import { DEFAULT_REPORT_SETTINGS, type RunRecord } from '@shared/api/contract'
import { parseTaskSpec } from '@shared/task-spec'

/**
 * Report creation for a 3 × 3 × 6-method sweep (3 corruptions × 3 discovery rates, original + 6
 * methods, 3 seeds: 189 runs), goal under 10 s. The runs are synthetic, with every metric a real
 * run of a corrupted-data task stores (per-class accuracy, the confusion matrix, REM's curves), so
 * every chart and table of the real report is drawn.
 */

const CORRUPTIONS = ['poison', 'interclass-swap', 'random-swap']
const RATES = [0.1, 0.5, 1]
const METHODS = ['original', 'retrain', 'finetune', 'rem', 'neggrad-plus', 'scrub', 'salun']
const SEEDS = [0, 1, 2]

const hex = (text: string) => createHash('sha256').update(text).digest('hex')

/** A deterministic stand-in for Math.random, so every bench run draws the same report. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32
}

function syntheticRuns(): RunRecord[] {
  const rand = rng(42)
  const runs: RunRecord[] = []
  for (const corruption of CORRUPTIONS) {
    for (const discoveryRate of RATES) {
      for (const seed of SEEDS) {
        for (const method of METHODS) {
          const cell = { corruption, discoveryRate }
          const cellKey = `corruption=${corruption},discoveryRate=${discoveryRate}`
          const healed = method === 'original' ? 0.1 + 0.1 * rand() : 0.3 + 0.6 * rand()
          const utility = 0.8 + 0.1 * rand()
          const id = hex(`${cellKey}|${seed}|${method}`).slice(0, 32)
          runs.push({
            id,
            taskId: 'bench',
            method,
            params: method === 'rem' ? { capacity: 0.5, rounds: 10, learningRate: 0.01 } : { epochs: 2, learningRate: 0.05 },
            seed,
            cellKey,
            cell,
            replica: null,
            status: 'done',
            backend: 'wasm',
            backendSkipped: [],
            error: null,
            steps: Math.round(100 * rand()),
            forgetCount: Math.round(300 * discoveryRate),
            retainCount: 6000 - Math.round(300 * discoveryRate),
            forgetSha256: hex(`forget|${cellKey}|${seed}`),
            inputModelSha256: method === 'original' ? null : hex(`original|${cellKey}|${seed}`),
            outputModelSha256: hex(`model|${id}`),
            createdAt: 0,
            startedAt: 0,
            endedAt: 0,
            metrics: {
              testAccuracy: utility,
              retainAccuracy: utility + 0.02,
              utility,
              forgetAccuracy: rand(),
              healedTrain: healed,
              healedDiscovered: Math.min(1, healed + 0.1),
              healedUndiscovered: Math.max(0, healed - 0.1),
              followsCorruptedDiscovered: 1 - healed,
              followsCorruptedUndiscovered: 1 - healed + 0.05,
              healedTest: healed,
              attackSuccessRate: corruption === 'poison' ? 1 - healed : null,
              utilityTimesHealed: utility * healed,
              miaEfficacy: rand(),
              miaAuc: 0.5 + 0.2 * rand(),
              tow: rand(),
              gapToRetrain: 0.2 * rand(),
              seconds: 1 + 20 * rand(),
              paramsChanged: method === 'original' ? null : rand(),
              perClassTestAccuracy: Array.from({ length: 10 }, () => 0.6 + 0.4 * rand()),
              testConfusion: Array.from({ length: 100 }, (_, k) => (k % 11 === 0 ? 80 : Math.round(3 * rand()))),
              corruptedPredictions: Array.from({ length: 300 }, () => Math.floor(10 * rand())),
              ...(method === 'rem'
                ? {
                    remProxy: Array.from({ length: 11 }, () => rand()),
                    remForgetAccuracyDrop: Array.from({ length: 11 }, () => rand()),
                    remForgetAccuracyMask: Array.from({ length: 11 }, () => rand()),
                    remFlushEpochs: Array.from({ length: 10 }, (_, k) => k),
                    remBestRound: 4
                  }
                : {})
            }
          })
        }
      }
    }
  }
  return runs
}

export function syntheticInput(): ReportInput {
  const runs = syntheticRuns()
  const spec = parseTaskSpec({
    name: 'bench: 3 × 3 × 6-method sweep',
    dataset: { id: 'fashion-mnist', trainLimit: 6000, testLimit: 1000 },
    model: { arch: 'cnn-small' },
    train: { epochs: 4, batchSize: 128, learningRate: 0.05 },
    task: {
      kind: 'corrupted',
      corruption: 'poison',
      corruptedCount: 300,
      discoveryRate: 0.5,
      trigger: { size: 3, position: 'bottom-right', targetClass: 0 }
    },
    methods: METHODS.slice(1),
    seeds: SEEDS,
    sweep: { corruption: CORRUPTIONS, discoveryRate: RATES }
  })
  const splits = runs
    .filter((r) => r.method === 'original')
    .flatMap((r) =>
      ['forget', 'corrupted'].map((kind) => ({
        cellKey: r.cellKey,
        seed: r.seed,
        kind,
        count: kind === 'forget' ? r.forgetCount! : 300,
        sha256: hex(`${kind}|${r.cellKey}|${r.seed}`)
      }))
    )
  const classNames = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
  return {
    task: {
      id: 'bench',
      name: spec.name,
      spec,
      specSha256: hex('spec'),
      datasetId: 'fashion-mnist',
      datasetSha256: hex('dataset'),
      createdAt: 0,
      counts: { done: runs.length },
      active: false,
      verdict: null,
      origin: null,
      shard: null
    },
    runs,
    splits,
    appVersion: 'bench',
    generatedAt: new Date(),
    dataset: {
      id: 'fashion-mnist',
      name: 'Fashion-MNIST',
      source: 'builtin',
      sha256: hex('dataset'),
      classNames,
      inputShape: [28, 28, 1],
      trainSize: 60000,
      testSize: 10000,
      bytes: null,
      preprocessing: null,
      skipped: [],
      createdAt: 0,
      runs: runs.length,
      deletedAt: null
    },
    logHead: { seq: 1000, hash: hex('log') },
    settings: { ...DEFAULT_REPORT_SETTINGS, auditorName: 'Bench Auditor' },
    machine: describeMachine(),
    models: runs.map((r) => ({
      sha256: r.outputModelSha256!,
      arch: 'cnn-small',
      parameterCount: 110_000,
      bytes: 440_000,
      layers: 'Conv2D ×2, MaxPooling2D ×2, Flatten, Dense ×2'
    }))
  }
}

export interface ReportBench {
  runs: number
  definitionSeconds: number
  totalSeconds: number
  pages: number
  bytes: number
}

export async function reportBench(): Promise<ReportBench> {
  const input = syntheticInput()
  // One warm-up: the first render loads fonts and ECharts' SVG renderer.
  await renderReportPdf({ ...input, runs: input.runs.slice(0, 7) })
  let t = performance.now()
  buildReportDefinition(input)
  const definitionSeconds = (performance.now() - t) / 1000
  t = performance.now()
  const pdf = await renderReportPdf(input)
  const totalSeconds = (performance.now() - t) / 1000
  const pages = (pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length
  return { runs: input.runs.length, definitionSeconds, totalSeconds, pages, bytes: pdf.length }
}

export function printReportBench(b: ReportBench): void {
  process.stdout.write(
    `\nReport creation, 3 corruptions × 3 discovery rates × (original + 6 methods) × 3 seeds (goal: under 10 s)\n\n| runs | charts and tables (s) | whole PDF (s) | pages | size (KiB) |\n|---:|---:|---:|---:|---:|\n`
  )
  process.stdout.write(
    `| ${b.runs} | ${b.definitionSeconds.toFixed(2)} | ${b.totalSeconds.toFixed(2)} | ${b.pages} | ${(b.bytes / 1024).toFixed(0)} |\n`
  )
}

if (process.argv[1]?.endsWith('report.ts')) {
  reportBench()
    .then(printReportBench)
    .catch((err: Error) => {
      process.stderr.write(`bench: ${err.message}\n`)
      process.exit(1)
    })
}
