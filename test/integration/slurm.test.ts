import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { makeTempDir } from '../helpers/tmp'

const ROOT = join(__dirname, '..', '..')
const SLURM = join(ROOT, 'examples', 'slurm')
const SCRIPTS = ['submit.sh', 'run-shard.sbatch', 'merge.sbatch']

describe('the Slurm example', () => {
  const tmp = makeTempDir('slurm')
  afterAll(() => tmp.cleanup())

  // ShellCheck comes from Debian, not npm: CI installs it and requires it (UNLEARN_REQUIRE_SHELLCHECK=1);
  // a fresh machine without it still checks the syntax with bash -n.
  const hasShellcheck = spawnSync('shellcheck', ['--version']).error === undefined
  if (!hasShellcheck && process.env.UNLEARN_REQUIRE_SHELLCHECK === '1')
    throw new Error('shellcheck is required here: apt-get install shellcheck')

  it('passes bash -n and shellcheck', () => {
    for (const script of SCRIPTS) {
      const parsed = spawnSync('bash', ['-n', join(SLURM, script)], { encoding: 'utf8' })
      expect(parsed.status, `${script}: ${parsed.stderr}`).toBe(0)
      if (!hasShellcheck) continue
      const checked = spawnSync('shellcheck', ['-s', 'bash', join(SLURM, script)], { encoding: 'utf8' })
      expect(checked.status, `${script}: ${checked.stdout}`).toBe(0)
    }
    if (!hasShellcheck) console.warn('shellcheck is not installed: the Slurm scripts were checked with bash -n only')
  })

  it('plans, runs every shard as an array task and merges after them, through a stand-in sbatch', () => {
    const task = join(tmp.dir, 'task.json')
    writeFileSync(
      task,
      JSON.stringify({
        name: 'on the cluster',
        dataset: { id: 'fashion-mnist', trainLimit: 400, testLimit: 100 },
        model: { arch: 'mlp' },
        train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
        task: { kind: 'random', fraction: 0.1 },
        methods: ['retrain', 'finetune'],
        seeds: [0, 1, 2]
      })
    )
    const work = join(tmp.dir, 'work')
    const standIn = join(tmp.dir, 'sbatch-jobs')
    spawnSync('mkdir', ['-p', standIn])
    const run = spawnSync('bash', [join(SLURM, 'submit.sh'), task, '3', work], {
      encoding: 'utf8',
      cwd: tmp.dir,
      env: {
        ...process.env,
        PATH: `${join(ROOT, 'test', 'fixtures', 'slurm')}:${process.env.PATH}`,
        SBATCH_STANDIN_DIR: standIn
        // UNLEARNING_AUDIT left unset: the script's default, this checkout's `npm run audit`.
      },
      timeout: 300_000
    })
    expect(run.status, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/submitted: shards as array job \d+ \(1-3\), merge as job \d+/)
    const summary = JSON.parse(readFileSync(join(work, 'merged', 'summary.json'), 'utf8')) as {
      runs: Array<{ status: string; seed: number }>
    }
    expect(summary.runs).toHaveLength(9)
    expect(summary.runs.every((r) => r.status === 'done')).toBe(true)
    expect(new Set(summary.runs.map((r) => r.seed))).toEqual(new Set([0, 1, 2]))
    expect(
      readFileSync(join(work, 'merged', 'report.pdf'))
        .subarray(0, 4)
        .toString()
    ).toBe('%PDF')
  }, 300_000)
})
