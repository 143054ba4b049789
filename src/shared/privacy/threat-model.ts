import { RETRAIN_BAND_RULE } from './retrain-band'
import { PER_EXAMPLE_VARIANCE_FROM, RMIA_OFFLINE_A } from './attacks'
import type { PrivacySettings } from './settings'

/**
 * What each privacy number assumes of the attacker, in sentences the report and the Privacy tab
 * print the same way, so a reader knows what a low score does and does not rule out.
 */
export function threatModel(p: PrivacySettings): string[] {
  const k = p.referenceModels
  return [
    'Access: black-box. The attacker queries the model and reads its output probabilities for an image and its label; not its weights, gradients or training code.',
    `Attacker's data: the training pool itself. ${k} reference models were trained with the original's recipe, in pairs on complementary random halves of the pool, so every pool sample was unseen by ${k / 2} of them; a test sample is read on one model of each pair too, so both sides of the attack rest on ${k / 2} model${k === 2 ? '' : 's'}. The attacker knows the recipe and the pool (the strongest usual assumption) but not which samples were forgotten.`,
    `Attacked samples: up to ${p.attackSize} forget samples (members of the original) against as many held-out test samples (never trained on); RMIA compares each with up to 2,000 other test samples (the population).`,
    `LiRA, offline (Carlini et al. 2022): per sample, a Gaussian of the logit-scaled confidence of the reference models that never saw it; ${k / 2 < PER_EXAMPLE_VARIANCE_FROM ? `with fewer than ${PER_EXAMPLE_VARIANCE_FROM} such models, one variance pooled over every sample` : 'each sample with its own variance'}. RMIA, offline (Zarifzadeh et al. 2024): the likelihood ratio against the reference models' mean, with the offline correction a = ${RMIA_OFFLINE_A}.`,
    'Reading: AUC, and the true-positive rate at 1 % and 0.1 % false positives, each with a 95 % bootstrap interval over the attacked samples. At 0.1 % a TPR needs at least 1,000 non-members to be more than 0.',
    `U-LiRA, at the cost of the models already there: per forget sample, a Gaussian of ${p.retrains} retrained models' outputs; the AUC of telling a model's outputs from a held-out retrain's (0.5 = like retraining). Its interval adds the spread between retrains to the bootstrap. Self-test: the audit's retrain, held out and read as a method.`,
    RETRAIN_BAND_RULE
  ]
}
