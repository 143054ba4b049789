import type { MethodId } from './methods'

/**
 * What an auditor should know about each method's defaults before trusting a result: which rule
 * each default follows, and, where a paper's claim did not reproduce on the models this app trains,
 * what was measured instead. The method picker, the report and the README print these.
 */
export interface MethodNote {
  /** Where the defaults come from. */
  defaults: string
  /** A claim or default that did not hold here, with the measured numbers; the tuner is the remedy offered. */
  measuredHere?: string
}

export const METHOD_NOTES: Record<MethodId, MethodNote> = {
  retrain: { defaults: "The task's own training recipe (epochs, learning rate): retraining is the reference, never tuned." },
  finetune: { defaults: 'No paper fixes them: 2 epochs at 0.01, a short finetune on the retain set.' },
  rem: {
    defaults:
      "The official code's values (if-loops/rem): capacity 0.5, p_mem 0.2, β 1, γ 0.2, 10 rounds, momentum SGD 0.9 with weight decay 5e-4; the learning rate is a fifth of the task's training rate, as the official 0.005 is of its 0.025; the official behaviours where the code differs from the paper's text (last-round fallback, batch statistics in Flush, PyTorch-initialised new channels, the reference's own shared mask).",
    measuredHere:
      "On a small CNN the paper's poison result did not reproduce at these settings. Quickstart-sized poison task (cnn-small, 5,000 images, 150 poisons of class 2, discovery 0.4): attack success fell to 0.000, but by deleting the target class (its test accuracy 0.78 → 0.00); 0.61 / 0.69 of the triggered training images healed (seeds 0 / 1) at 4.9 / 3.0 points of utility, where retraining without any poison heals 0.80 / 0.89. A PyTorch re-implementation of the official code did the same at seed 1 (healed 0.41, class deleted) and healed 0.87 at seed 0; the official code has no Fashion-MNIST setting (its poison results are ResNet-9 on 50,000 CIFAR-10 images, 41 epochs). Tuned by U×H, REM kept the class (0.73) with attack success 0.004 at +3.6 points of utility, healing 0.43. The audit flags a lost target class (targetClassAccuracy, and the verdict)."
  },
  npo: {
    defaults:
      'Measured here (the NPO paper has no image-classifier recipe): momentum SGD at 0.001, β 1, until forget accuracy reaches the removal threshold, the epoch with the best proxy kept.',
    measuredHere:
      'No rate from 1e-4 to 0.01 stayed within 3 points of retain accuracy on both quickstart-sized tasks (cnn-small, 6,000 images, seeds 0 / 1). At 0.001: random 10 % −4.3 / −4.0 points, class −4.1 / −5.3 (forget 0.00 / 0.01); at the former 0.01: −7.9 / −6.5 and −17.8 / −36.3. On random examples the cost follows the target: stopping halfway to the held-out accuracy costs −1.5 / −1.8. Tune it per task.'
  },
  'gradient-ascent': {
    defaults:
      'Measured here: momentum SGD at 5e-4 until forget accuracy reaches the removal threshold, the epoch with the best proxy kept.',
    measuredHere:
      'No rate from 1e-4 to 0.01 stayed within 3 points on both quickstart-sized tasks and seeds. At 5e-4: random −4.5 / −4.6 points, class −5.8 / −7.1 (forget 0.00 / 0.07); at the former 0.01: −13.9 / −1.4 and −3.8 / −22.6. Tune it per task.'
  },
  potion: {
    defaults: "The Potion paper's: λ 1, relative and absolute cuts 0.2, at most 50 loosening tries.",
    measuredHere:
      "The REM paper reports Potion's utility collapsing at low regularity (53 % averaged over its grid). Here it did not: on random label swaps (mlp, 1,000 images memorised over 60 epochs, 100 swapped, discovery 0.4) utility stayed at 0.760 / 0.776 against 0.778 (seeds 0 / 1), but it removed little either (forget accuracy 0.70 / 0.90, healed 0.20 / 0.14). On poison (cnn-small, 5,000 images) it removed the trigger (attack success 0.05 / 0.02) by deleting the target class (0.78 → 0.00) at 6-8 points of utility."
  },
  del: { defaults: "The DEL paper's CIFAR-10 recipe: budget 0.3, learning rate 0.015, as many epochs as the original was trained." },
  unsir: {
    defaults:
      "Measured here, not the notebook's: one noise copy and Adam 0.002 for both impair and repair (the notebook: 20 copies, impair 0.02 and repair 0.01, twice and once the Adam rate its ResNet-18 was trained with; these models are trained with SGD). The noise's 40 steps at 0.1 are the notebook's.",
    measuredHere:
      "At the notebook's settings UNSIR cost 13.9 points of retain accuracy on the mlp class task (4,000 images, class 1) and 53.4 on cnn-small (6,000 images), where reproductions report 2.5-6. At the defaults above: mlp +0.5 / −1.5 points (seeds 0 / 1), cnn-small −1.2 / −4.0, forget accuracy 0.00 on all four. Neither the rates nor the copies alone fixed both models: the mlp needed the lower rates, the BN model fewer noise copies."
  },
  mnemonic: {
    defaults: "The paper's MNIST setting: λ1 = 1e-3, λ2 = 10 (the paper picks λ per dataset; 1e-5 and 1e4 for CIFAR).",
    measuredHere:
      'It did not forget at these settings on the ReLU models here: forget accuracy 0.957 against 0.959 before on the mlp class task, and 0.64 / 0.97 (seeds 0 / 1) on cnn-small, at a cost of at most 1.7 points. No (λ1, λ2) from 1e-5 to 1 and 10 to 1e8 forgot (forget ≤ 0.1) within 3 points on both seeds of both models; the CIFAR setting cost 18.6 and 38.1 points on cnn-small without forgetting. With one code image per class, ReLU gives exactly zero Fisher entries, so a few parameters get ratios of 1e7-1e11 and pin the per-tensor step near zero; the paper’s MNIST MLP uses sigmoid units. Tune it per model.'
  },
  'neggrad-plus': {
    defaults:
      'The SalUn-family code: 10 epochs at 0.01, but retain weight 0.999, measured here: at the code’s 0.99 the model collapsed to chance on the class task (cnn-small, both seeds).',
    measuredHere:
      'At 0.999: class task +5.1 / +3.5 points of retain accuracy with forget accuracy 0.00; random 10 %: +5.4 / +3.5 points, but forget accuracy stayed within 1 point of the original (it does not forget random examples at any setting tried).'
  },
  'l1-sparse': { defaults: 'The SalUn-family code: 10 epochs at 0.01, α 7e-5 decaying linearly.' },
  'random-label': { defaults: 'The SalUn-family code: 10 epochs at 0.01.' },
  scrub: {
    defaults:
      "The SCRUB paper's α 0.01, temperature 4, 5 epochs (3 with max-steps), at 0.001 (a fiftieth of the quickstart's training rate), measured here: the former 0.005 cost 13.8 / 66.0 points on the class task.",
    measuredHere:
      'At 0.001: class −0.2 / −1.9 points with forget accuracy 0.00 (seeds 0 / 1); random 10 %: no cost, but forget accuracy barely moves (0.888 / 0.882 against 0.900 / 0.882). The window is narrow: 0.0005 does not forget the class (0.39 / 0.78) and 0.0015 costs 4-5 points. The official max step (ascending T²·KL only) was not gentler here. The window moves with the model: on the mlp class task (4,000 images) 0.001 forgot only half the class (0.48 / 0.54) where 0.005 forgot it at a cost of 11.0 / 9.0 points; tuned (4 trials) it forgot it at −1.4.'
  },
  'bad-teacher': { defaults: "The Bad Teacher paper's: 1 epoch of Adam at 1e-4, KL at temperature 1." },
  ssd: { defaults: "The SSD paper's: α 10, λ 1." },
  salun: { defaults: "The SalUn paper's: saliency 0.5, 10 epochs at 0.01 with random labels." },
  'cf-k': { defaults: 'Goel et al.: the last 2 weighted layers, 5 epochs at 0.01.' },
  'eu-k': { defaults: "Goel et al.: the last 2 weighted layers re-initialised and trained with the task's own recipe." }
}
