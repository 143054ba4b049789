/** How the UI and the report group the metrics; each with a one-line definition a reader can check. */
export interface MetricInfo {
  key: string
  label: string
  definition: string
  /** Whether higher is better (for marking); null when neither is. */
  higherIsBetter: boolean | null
}

export interface MetricGroup {
  id: 'utility' | 'forgetting' | 'privacy' | 'retrain' | 'cost'
  label: string
  metrics: MetricInfo[]
}

export const METRIC_GROUPS: MetricGroup[] = [
  {
    id: 'utility',
    label: 'Utility',
    metrics: [
      { key: 'testAccuracy', label: 'Test accuracy', definition: 'Share of the test split classified correctly.', higherIsBetter: true },
      {
        key: 'retainAccuracy',
        label: 'Retain accuracy',
        definition: 'Share of the retain set (training samples not forgotten) classified with its training label.',
        higherIsBetter: true
      },
      {
        key: 'utility',
        label: 'Utility',
        definition: 'REM: clean test accuracy; for an inter-class swap, on the classes not involved.',
        higherIsBetter: true
      }
    ]
  },
  {
    id: 'forgetting',
    label: 'Forgetting',
    metrics: [
      {
        key: 'forgetAccuracy',
        label: 'Forget accuracy',
        definition: 'Share of the forget set classified with its training label (the corrupted label for corrupted tasks).',
        higherIsBetter: null
      },
      {
        key: 'healedTrain',
        label: 'Healed (train)',
        definition: 'REM: accuracy on all of D_c with clean labels (the trigger kept for poison).',
        higherIsBetter: true
      },
      {
        key: 'healedDiscovered',
        label: 'Healed, discovered',
        definition: 'Healed (train) on the discovered part of D_c (D_f).',
        higherIsBetter: true
      },
      { key: 'healedUndiscovered', label: 'Healed, undiscovered', definition: 'Healed (train) on D_c without D_f.', higherIsBetter: true },
      {
        key: 'followsCorruptedDiscovered',
        label: 'Still corrupted, discovered',
        definition: 'Share of the discovered corrupted samples (D_f) still predicted with their corrupted label.',
        higherIsBetter: false
      },
      {
        key: 'followsCorruptedUndiscovered',
        label: 'Still corrupted, undiscovered',
        definition: 'Share of the undiscovered corrupted samples (D_c without D_f) still predicted with their corrupted label.',
        higherIsBetter: false
      },
      {
        key: 'healedTest',
        label: 'Healed (test)',
        definition:
          'Poison: triggered test images, clean labels; inter-class swap: test accuracy on the two classes; random swap: test accuracy.',
        higherIsBetter: true
      },
      {
        key: 'attackSuccessRate',
        label: 'Attack success',
        definition: 'Poison: share of triggered test images outside the target class classified as the target.',
        higherIsBetter: false
      },
      {
        key: 'targetClassAccuracy',
        label: 'Target class (test)',
        definition:
          "Poison: test accuracy on the target class's own clean images. Attack success can fall to 0 because the model stopped predicting the target class at all; this shows it.",
        higherIsBetter: true
      },
      {
        key: 'utilityTimesHealed',
        label: 'Utility × Healed',
        definition: "REM's aggregate score: utility × healed (train), per run.",
        higherIsBetter: true
      }
    ]
  },
  {
    id: 'privacy',
    label: 'Privacy',
    metrics: [
      {
        key: 'miaEfficacy',
        label: 'MIA efficacy',
        definition:
          'SalUn: a threshold on true-label confidence fitted to separate retain (members) from test (non-members); the share of forget samples it calls non-members.',
        higherIsBetter: null
      },
      {
        key: 'miaAuc',
        label: 'MIA AUC',
        definition: 'AUC of a loss-threshold attack separating the forget set from the test set (0.5 = indistinguishable).',
        higherIsBetter: null
      },
      {
        key: 'liraAuc',
        label: 'LiRA AUC',
        definition:
          'Offline LiRA (Carlini et al. 2022): per forget sample, a Gaussian of the reference models that never saw it; AUC of telling the forget set from as many held-out test samples (0.5 = no leak).',
        higherIsBetter: null
      },
      {
        key: 'liraTprAt1Fpr',
        label: 'LiRA TPR @ 1% FPR',
        definition: 'Share of the attacked forget samples LiRA calls members at a threshold that lets 1 % of the test samples through.',
        higherIsBetter: null
      },
      {
        key: 'liraTprAt01Fpr',
        label: 'LiRA TPR @ 0.1% FPR',
        definition: 'As LiRA TPR @ 1% FPR at 0.1 % of the test samples (below 1 / (test samples attacked) it reads 0).',
        higherIsBetter: null
      },
      {
        key: 'rmiaAuc',
        label: 'RMIA AUC',
        definition:
          "Offline RMIA (Zarifzadeh et al. 2024): each sample's likelihood ratio against the reference models' (offline correction a = 0.3), compared with population test samples; AUC against held-out test samples.",
        higherIsBetter: null
      },
      {
        key: 'rmiaTprAt1Fpr',
        label: 'RMIA TPR @ 1% FPR',
        definition: 'Share of the attacked forget samples RMIA calls members at 1 % false positives.',
        higherIsBetter: null
      },
      {
        key: 'ulira',
        label: 'U-LiRA AUC',
        definition:
          "Per forget sample, a Gaussian of the retrained models' outputs; AUC of telling this model's outputs from a held-out retrain's (0.5 = indistinguishable from retraining), averaged over which retrain is held out.",
        higherIsBetter: false
      },
      {
        key: 'uliraSelfTest',
        label: 'U-LiRA self-test',
        definition:
          'U-LiRA with the audit’s retrain held out and read as if it were a method, against the other retrains: a calibrated test scores 0.5 within its interval. Needs 3 retrains.',
        higherIsBetter: null
      }
    ]
  },
  {
    id: 'retrain',
    label: 'Against retraining',
    metrics: [
      {
        key: 'tow',
        label: 'ToW',
        definition: 'Product over forget, retain and test of (1 − |acc_U − acc_R|); 1 means the same as retraining.',
        higherIsBetter: true
      },
      {
        key: 'gapToRetrain',
        label: 'Gap to retrain',
        definition: 'Mean absolute gap to the retrained model over forget, retain and test accuracy and MIA efficacy.',
        higherIsBetter: false
      }
    ]
  },
  {
    id: 'cost',
    label: 'Cost',
    metrics: [
      { key: 'seconds', label: 'Seconds', definition: 'Wall-clock time of the method itself, without evaluation.', higherIsBetter: false },
      {
        key: 'paramsChanged',
        label: 'Params changed',
        definition: 'Fraction of parameter values that differ from the original model.',
        higherIsBetter: null
      }
    ]
  }
]

/** Every metric of every group, in display order. */
export const ALL_METRICS: MetricInfo[] = METRIC_GROUPS.flatMap((g) => g.metrics)

/** A metric's label for charts and tables; its key when the metric has no entry. */
export const metricLabel = (key: string): string => ALL_METRICS.find((m) => m.key === key)?.label ?? key
