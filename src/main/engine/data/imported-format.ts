import { z } from 'zod'

/**
 * An imported dataset on disk: four ubyte IDX files (images as [N, height, width, channels]) and
 * this description beside them. The pixels are stored after resizing and colour conversion; the
 * scaling is applied each time the dataset is loaded, so it is recorded rather than baked in.
 */
export const DATASET_FILE = 'dataset.json'
export const IMPORTED_FILES = ['train-images.idx', 'train-labels.idx', 'test-images.idx', 'test-labels.idx'] as const

export const Scaling = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('unit') }),
  z.object({ kind: z.literal('standardize'), mean: z.array(z.number()), std: z.array(z.number().positive()) })
])
export type Scaling = z.infer<typeof Scaling>

export const Preprocessing = z.object({
  /** [height, width] every image was resampled to (bilinear, at pixel centres). */
  size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  color: z.enum(['grey', 'rgb']),
  scaling: Scaling,
  /** How non-byte source values became bytes, when they were not bytes already. */
  valueScale: z.string().nullable()
})
export type Preprocessing = z.infer<typeof Preprocessing>

export const ImportedDatasetFile = z.object({
  format: z.literal('unlearning-audit-dataset'),
  version: z.literal(1),
  id: z.string(),
  name: z.string(),
  classNames: z.array(z.string()).min(2),
  inputShape: z.array(z.number().int().positive()).length(3),
  trainSize: z.number().int().positive(),
  testSize: z.number().int().positive(),
  preprocessing: Preprocessing,
  source: z.object({
    kind: z.enum(['image-folder', 'idx', 'npz', 'npy', 'cifar-python', 'cifar-binary']),
    name: z.string(),
    /** 'given' when the source named its splits; otherwise the test share drawn per class with seed 0. */
    split: z.union([z.literal('given'), z.object({ testFraction: z.number() })])
  }),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
  sha256: z.string()
})
export type ImportedDatasetFile = z.infer<typeof ImportedDatasetFile>
