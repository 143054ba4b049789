/** One row of bench/results.json, compared across commits. `pytorch` and `ratio` are written as null where there is no reference. */
export interface Entry {
  name: string
  ours: number
  pytorch?: number | null
  /** Our speed relative to PyTorch's: ours / pytorch for throughputs, pytorch / ours for times (s/run); 1 or more is at least as fast. */
  ratio?: number | null
  unit: string
  backend: string
  peakRssMb: number
  pytorchPeakRssMb?: number | null
  flopsPerSample?: number
}

const round = (v: number | null | undefined, digits: number) => (v === null || v === undefined ? null : Number(v.toFixed(digits)))

/** The row as results.json stores it: every key present, numbers rounded. */
export function toResultRow(e: Entry) {
  return {
    name: e.name,
    ours: round(e.ours, 1)!,
    pytorch: round(e.pytorch, 1),
    ratio: round(e.ratio, 3),
    unit: e.unit,
    backend: e.backend,
    peakRssMb: round(e.peakRssMb, 0)!,
    ...(e.pytorchPeakRssMb === undefined ? {} : { pytorchPeakRssMb: round(e.pytorchPeakRssMb, 0) }),
    ...(e.flopsPerSample === undefined ? {} : { flopsPerSample: e.flopsPerSample })
  }
}
