/** Datasets that ship with the app, so a first audit needs nothing else. */
export interface DatasetInfo {
  id: string
  name: string
  classNames: string[]
  inputShape: number[]
  trainSize: number
  testSize: number
  licence: string
}

export const BUILTIN_DATASETS: DatasetInfo[] = [
  {
    id: 'fashion-mnist',
    name: 'Fashion-MNIST',
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    inputShape: [28, 28, 1],
    trainSize: 60000,
    testSize: 10000,
    licence: 'MIT (Zalando SE, 2017)'
  }
]

export function findBuiltinDataset(id: string): DatasetInfo | undefined {
  return BUILTIN_DATASETS.find((d) => d.id === id)
}
