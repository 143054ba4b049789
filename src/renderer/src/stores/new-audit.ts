import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { type DatasetLimits, isUnder, problemsUnder, specProblems, type SpecProblem } from '@shared/spec-validation'
import type { TaskSpec } from '@shared/task-spec'
import {
  type AuditFormState,
  buildSpec,
  defaultForm,
  formFromSpec,
  GIVEN,
  type PresetId,
  type PrivacyChoice,
  presetForm,
  STEPS
} from '../views/new-audit/form-model'
import { useAuditStore } from './audit'
import { useLibraryStore } from './library'

/** The audit being set up: the form's fields, the step shown, and what is wrong with the spec they make. */
export const useNewAuditStore = defineStore('new-audit', () => {
  const audit = useAuditStore()
  const library = useLibraryStore()
  const form = ref<AuditFormState>(defaultForm(audit.catalog))
  const step = ref(1)
  /** The preset last applied, or the audit duplicated: what the form started from. */
  const origin = ref<{ preset: PresetId } | { from: string; name: string } | null>({ preset: 'quickstart' })

  const dataset = computed(() => audit.catalog?.datasets.find((d) => d.id === form.value.datasetId) ?? null)
  const limits = computed<DatasetLimits | undefined>(() =>
    dataset.value
      ? { numClasses: dataset.value.classNames.length, trainSize: dataset.value.trainSize, testSize: dataset.value.testSize }
      : undefined
  )
  /** The library model the audit starts from, if one is chosen. */
  const givenModel = computed(() =>
    form.value.model.startsWith(GIVEN) ? (library.models.find((m) => GIVEN + m.sha256 === form.value.model) ?? null) : null
  )
  /** Codes come with the given model, or are learnt while training (or fine-tuning) the original. */
  const codesAvailable = computed(() => (form.value.codesTMix ?? 0) !== 0 || Boolean(givenModel.value?.codesSha256))

  /** Set when choosing privacy evidence added retrain to the methods, so the form can say it did. */
  const retrainAdded = ref(false)

  /** Privacy evidence compares every model with retraining: choosing it adds retrain to the methods if they lack it. */
  function choosePrivacy(choice: PrivacyChoice): void {
    form.value.privacy = choice
    if (choice !== 'off' && !form.value.methods.includes('retrain')) {
      form.value.methods = ['retrain', ...form.value.methods]
      retrainAdded.value = true
    }
  }

  const spec = computed(() => buildSpec(form.value))
  const problems = computed<SpecProblem[]>(() => specProblems(spec.value, limits.value))

  /** The step whose fields a problem is about: method settings are the Methods step's, the rest by the spec's sections. */
  function stepOf(path: string): number {
    if (isUnder(path, 'sweep.params')) return 3
    return STEPS.find((s) => s.fields.some((f) => isUnder(path, f)))?.n ?? 5
  }
  const problemsByStep = computed(() => {
    const by: Record<number, SpecProblem[]> = {}
    for (const p of problems.value) (by[stepOf(p.path)] ??= []).push(p)
    return by
  })
  const problemsFor = (prefix: string) => problemsUnder(problems.value, prefix)

  function applyPreset(id: PresetId): void {
    form.value = presetForm(id, audit.catalog, library.models)
    retrainAdded.value = false
    origin.value = { preset: id }
  }

  /** Every field from a stored audit's spec, the name marked as a copy. */
  function duplicate(taskId: string, stored: TaskSpec): void {
    form.value = { ...formFromSpec(stored, audit.catalog), name: `${stored.name} (copy)` }
    retrainAdded.value = false
    origin.value = { from: taskId, name: stored.name }
    step.value = 1
  }

  function reset(): void {
    form.value = defaultForm(audit.catalog)
    retrainAdded.value = false
    origin.value = { preset: 'quickstart' }
    step.value = 1
  }

  return {
    form,
    step,
    origin,
    dataset,
    givenModel,
    codesAvailable,
    spec,
    problems,
    problemsByStep,
    problemsFor,
    stepOf,
    retrainAdded,
    choosePrivacy,
    applyPreset,
    duplicate,
    reset
  }
})
