/** 2 corruptions × 2 discovery rates × (original, finetune, retrain), one seed, on a tiny mlp: 12 runs. */
export function tinySweep(name: string) {
  return {
    name,
    dataset: { id: 'fashion-mnist', trainLimit: 600, testLimit: 200 },
    model: { arch: 'mlp' },
    train: { epochs: 2, batchSize: 64, learningRate: 0.05 },
    task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 40, discoveryRate: 0.5 },
    methods: [
      { id: 'finetune', params: { epochs: 1 } },
      { id: 'retrain', params: { epochs: 1 } }
    ],
    seeds: [0],
    sweep: { corruption: ['poison', 'interclass-swap'], discoveryRate: [0.5, 1] }
  }
}
